/**
 * camanim eval's pieces without a GPU: dataset listing (ImageFolder, CSV, JSONL, glob; nothing
 * outside the root), the SQLite store (INSERT OR IGNORE, one transaction per batch), the
 * aggregates against a direct computation and scipy's t-interval, and the Parquet export read back
 * with another reader (hyparquet).
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import { aggregate, meanCi, tQuantile } from '../src/eval/aggregates.ts';
import { foldLabel, listDataset } from '../src/eval/dataset.ts';
import { exportRows, toCsv, toParquet } from '../src/eval/export.ts';
import { evalReportHtml } from '../src/eval/report.ts';
import { EvalStore, type ImageRow, type ScoreRow } from '../src/eval/store.ts';
import { scratch } from './helpers/cli.ts';

function touch(file: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, 'x');
  return file;
}

describe('eval datasets', () => {
  it('lists an ImageFolder with its labels, a CSV, a JSONL and a glob', () => {
    const root = scratch('camanim-ds-');
    touch(join(root, 'cat', 'a.png'));
    touch(join(root, 'cat', 'deep', 'b.jpg'));
    touch(join(root, 'dog', 'c.webp'));
    touch(join(root, 'dog', 'notes.txt'));
    const folder = listDataset(root);
    expect(folder.items.map((i) => [i.path, i.label])).toEqual([
      ['cat/a.png', 'cat'],
      ['cat/deep/b.jpg', 'cat'],
      ['dog/c.webp', 'dog'],
    ]);
    writeFileSync(join(root, 'list.csv'), 'path,label\ncat/a.png,cat\n"dog/c.webp","big, dog"\n');
    expect(listDataset(join(root, 'list.csv')).items.map((i) => [i.path, i.label])).toEqual([
      ['cat/a.png', 'cat'],
      ['dog/c.webp', 'big, dog'],
    ]);
    writeFileSync(join(root, 'list.jsonl'), '{"path":"dog/c.webp","label":"dog"}\n{"path":"cat/a.png"}\n');
    expect(listDataset(join(root, 'list.jsonl')).items.map((i) => [i.path, i.label])).toEqual([
      ['dog/c.webp', 'dog'],
      ['cat/a.png', undefined],
    ]);
    expect(listDataset(join(root, '**/*.png')).items.map((i) => i.path)).toEqual(['cat/a.png']);
    expect(listDataset(join(root, 'cat/**/*.jpg')).items.map((i) => i.path)).toEqual(['deep/b.jpg']);
  });

  it('refuses paths outside the root, written or through a symlink', () => {
    const root = scratch('camanim-ds-');
    const outside = touch(join(scratch('camanim-outside-'), 'secret.png'));
    writeFileSync(join(root, 'list.csv'), `../${join('..', outside)},x\n`);
    expect(() => listDataset(join(root, 'list.csv'))).toThrow(/outside the dataset folder/);
    mkdirSync(join(root, 'cls'));
    symlinkSync(outside, join(root, 'cls', 'link.png'));
    expect(() => listDataset(root)).toThrow(/lies outside the dataset folder/);
  });

  it('folds class names so folder names match model labels', () => {
    expect(foldLabel('T-shirt/top')).toBe(foldLabel('t-shirt-top'));
    expect(foldLabel('Ankle boot')).toBe(foldLabel('ankle_boot'));
  });
});

describe('eval aggregates', () => {
  it('t quantiles equal scipy.stats.t.ppf(0.975, df)', () => {
    // scipy 1.10: measured |error| ≤ 2.3e-13.
    const scipy: [number, number][] = [
      [1, 12.706204736174694],
      [2, 4.302652729749462],
      [5, 2.5705818356363146],
      [11, 2.200985160091639],
      [59, 2.000995378088267],
      [1000, 1.9623390808264083],
    ];
    for (const [df, t] of scipy) expect(Math.abs(tQuantile(0.975, df) - t)).toBeLessThan(1e-9);
  });

  it('the 95% interval equals scipy.stats.t.interval', () => {
    // scipy: t.interval(0.95, 4, loc=mean, scale=sem([1.2, 0.7, 1.9, 1.4, 0.3])); measured error < 1e-12.
    const s = meanCi([1.2, 0.7, 1.9, 1.4, 0.3]);
    expect(s.mean).toBeCloseTo(1.1, 12);
    expect(Math.abs(s.lo - 0.3295677502157556)).toBeLessThan(1e-9);
    expect(Math.abs(s.hi - 1.870432249784244)).toBeLessThan(1e-9);
  });

  it('per layer, per class, best layer, model mean and accuracy match a direct computation', () => {
    const L = 4;
    const rnd = mulberry(7);
    const images: ImageRow[] = Array.from({ length: 13 }, (_, k) => ({
      imageHash: `h${k}`,
      path: `c${k % 3}/${k}.png`,
      label: `c${k % 3}`,
      labelIndex: k % 3,
      predicted: k % 4 === 0 ? 9 : k % 3,
      status: 'ok',
      reason: null,
    }));
    images.push({
      imageHash: 'bad',
      path: 'c0/bad.png',
      label: 'c0',
      labelIndex: 0,
      predicted: null,
      status: 'failed',
      reason: 'corrupt',
    });
    const value = new Map<string, number[]>(
      images.slice(0, 13).map((i) => [i.imageHash, Array.from({ length: L }, () => rnd() * 2 - 0.5)]),
    );
    const scores: ScoreRow[] = [...value].flatMap(([h, v]) =>
      v.map((x, layer) => ({ imageHash: h, method: 'gradcam', layer, layerName: `l${layer}`, metric: 'road', value: x })),
    );
    const a = aggregate(images, scores);
    expect(a.images).toBe(13);
    expect(a.failed).toBe(1);
    const right = images.slice(0, 13).filter((i) => i.predicted === i.labelIndex).length;
    expect(a.accuracy.value).toBeCloseTo(right / 13, 12);
    const [m] = a.methods;
    const vs = [...value.values()];
    for (let l = 0; l < L; l++) {
      const col = vs.map((v) => v[l]);
      const mean = col.reduce((x, y) => x + y, 0) / col.length;
      const sd = Math.sqrt(col.reduce((x, y) => x + (y - mean) ** 2, 0) / (col.length - 1));
      expect(m.layers[l].stats.mean).toBeCloseTo(mean, 12);
      expect(m.layers[l].stats.hi - mean).toBeCloseTo((2.1788128296672284 * sd) / Math.sqrt(13), 9); // scipy t.ppf(0.975, 12)
    }
    const best = Array(L).fill(0);
    for (const v of vs) best[v.indexOf(Math.max(...v))]++;
    expect(m.bestLayer).toEqual(best);
    const c1 = [...value].filter(([h]) => Number(h.slice(1)) % 3 === 1).map(([, v]) => v[2]);
    expect(m.perClass.c1[2]).toBeCloseTo(c1.reduce((x, y) => x + y, 0) / c1.length, 12);
    const perImage = vs.map((v) => v.reduce((x, y) => x + y, 0) / L);
    expect(m.modelMean.mean).toBeCloseTo(perImage.reduce((x, y) => x + y, 0) / 13, 12);
    // The report: the curve with its CI band, and one heat-map cell per (class, layer).
    const html = evalReportHtml(a, 'test');
    expect(html).toContain('data-role="band"');
    expect(html.match(/data-role="cell"/g)).toHaveLength(3 * L);
  });
});

describe('eval store and exports', () => {
  const key = { modelHash: 'm', settingsHash: 's' };
  const img = (h: string): ImageRow => ({
    imageHash: h,
    path: `${h}.png`,
    label: 'cat',
    labelIndex: 1,
    predicted: 1,
    status: 'ok',
    reason: null,
  });
  const sc = (h: string, layer: number, value: number): ScoreRow => ({
    imageHash: h,
    method: 'gradcam',
    layer,
    layerName: `conv,${layer}`,
    metric: 'road',
    value,
  });

  it('writes a result once however often it is written, and a failed batch not at all', () => {
    const dir = scratch('camanim-store-');
    const store = EvalStore.open(join(dir, 'eval.sqlite'));
    store.beginRun(key, { model: 'm.onnx', dataset: dir, settings: {} });
    expect(store.writeBatch(key, [img('a')], [sc('a', 0, 0.5), sc('a', 1, 0.25)])).toBe(2);
    expect(store.writeBatch(key, [img('a')], [sc('a', 0, 0.9), sc('a', 1, 0.9)])).toBe(0);
    // A value SQLite cannot bind fails the batch after its image row was inserted: the transaction rolls it back.
    expect(() => store.writeBatch(key, [img('c')], [sc('c', 0, 1), sc('c', 1, {} as never)])).toThrow();
    expect([...store.done(key)]).toEqual(['a']);
    expect(store.scores(key).map((s) => s.value)).toEqual([0.5, 0.25]);
    store.close();
    const again = EvalStore.open(join(dir, 'eval.sqlite'));
    expect(again.scores(key)).toHaveLength(2);
    again.close();
  });

  it('exports CSV and a Parquet file that hyparquet reads back equal', async () => {
    const images = [img('a'), { ...img('b'), label: 'dog, "big"' }];
    const scores = [sc('a', 0, 0.5), sc('a', 1, -0.125), sc('b', 0, 1.5)];
    const rows = exportRows(images, scores);
    const csv = toCsv(rows).trim().split('\n');
    expect(csv[0]).toBe('path,image_hash,label,label_index,predicted,method,layer,layer_name,metric,value');
    expect(csv[3]).toBe('b.png,b,"dog, ""big""",1,1,gradcam,0,"conv,0",road,1.5');
    const back = await parquetReadObjects({ file: toParquet(rows) });
    expect(back).toHaveLength(3);
    expect(back.map((r) => [r.path, r.label, r.layer, r.layer_name, r.value])).toEqual([
      ['a.png', 'cat', 0, 'conv,0', 0.5],
      ['a.png', 'cat', 1, 'conv,1', -0.125],
      ['b.png', 'dog, "big"', 0, 'conv,0', 1.5],
    ]);
  });
});

function mulberry(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
