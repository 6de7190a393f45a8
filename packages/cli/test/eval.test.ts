/**
 * `camanim eval` end to end on a generated ImageFolder of the bundled model's classes (the bundled
 * samples flipped, rotated and dimmed: about 60 images, plus a corrupt one): the per-image ybROAD
 * equals `camanim explain --ybroad` on the same images, aggregates.json equals a direct
 * computation over scores.csv, scores.parquet reads back (hyparquet) equal to it, a rerun adds
 * nothing, and a run SIGKILLed three times at random points then rerun holds every key exactly
 * once, equal to the uninterrupted run. One layer, one percentile, one method: minutes on 2 cores.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, bundledSamples } from '../src/assets.ts';
import { sanitizeName } from '../src/staging.ts';
import { readBundle } from '../src/bundle.ts';
import type { Aggregates } from '../src/eval/aggregates.ts';
import { EvalStore, type RunKey } from '../src/eval/store.ts';
import { camanim, scratch, type CliResult } from './helpers/cli.ts';
import { imageFolder } from './helpers/image-folder.ts';

const BIN = resolve(import.meta.dirname, '../bin/camanim.js');
const LAYER = ['--layers', 'stages\\.3\\.0/relu2/Relu_output_0$'];
const EVAL_FLAGS = [...LAYER, '--percentiles', '50', '--batch', '4', '--quiet'];
const VARIANTS = 10;

let root: string;
let out: string;
let first: CliResult;
let files: string[];

function runKey(dir: string): { store: EvalStore; key: RunKey } {
  const store = EvalStore.open(join(dir, 'eval.sqlite'));
  const runs = store.runs();
  expect(runs).toHaveLength(1);
  return { store, key: runs[0] };
}

function contents(dir: string): Map<string, number> {
  const { store, key } = runKey(dir);
  const rows = store.scores(key);
  store.close();
  const m = new Map<string, number>();
  for (const r of rows) {
    const k = `${r.imageHash}|${r.method}|${r.layer}|${r.metric}`;
    expect(m.has(k), `key ${k} twice`).toBe(false);
    m.set(k, r.value);
  }
  return m;
}

beforeAll(async () => {
  const tmp = scratch('camanim-eval-');
  root = join(tmp, 'dataset');
  files = await imageFolder(root, VARIANTS, { corrupt: true });
  out = join(tmp, 'out');
  first = await camanim(['eval', BUNDLED_MODEL, root, '--out', out, ...EVAL_FLAGS]);
}, 600_000);

describe('camanim eval', () => {
  it('scores the set and records the corrupt image as failed', () => {
    expect(first.err).not.toMatch(/camanim: /);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/gradcam: ybROAD_mean -?\d\.\d{4} \[/);
    const { store, key } = runKey(out);
    const images = store.images(key);
    store.close();
    expect(images).toHaveLength(files.length + 1);
    const bad = images.find((i) => i.path === 'bag/corrupt.png');
    expect(bad?.status).toBe('failed');
    expect(bad?.reason).toMatch(/corrupt|decode/i);
  });

  it('gives each image the ybROAD of camanim explain --ybroad', async () => {
    const some = [files[0], files[13], files[27], files[44]];
    const ex = join(out, '..', 'explain');
    const r = await camanim([
      'explain',
      ...some.flatMap((f) => ['--image', f]),
      ...LAYER,
      '--road-percentiles',
      '50',
      '--ybroad',
      '--format',
      'bundle',
      '--out',
      ex,
      '--quiet',
    ]);
    expect(r.code, r.err).toBe(0);
    const { store, key } = runKey(out);
    const byPath = new Map(store.images(key).map((i) => [i.path, i.imageHash]));
    const scores = store.scores(key);
    store.close();
    for (const f of some) {
      const { manifest } = await readBundle(join(ex, sanitizeName(basename(f, extname(f)), 60), 'bundle'));
      const hash = byPath.get(f.slice(root.length + 1))!;
      const mine = scores.filter((s) => s.imageHash === hash).map((s) => s.value);
      const theirs = manifest.ybroad!.series.map((s) => s.road);
      expect(mine).toHaveLength(theirs.length);
      // Measured max |Δ| = 0 on SwiftShader (5 images, batch 6 vs explain's 1, 2 layers); a GPU's GEMM may round otherwise.
      mine.forEach((v, k) => expect(Math.abs(v - theirs[k])).toBeLessThan(1e-5));
    }
  }, 300_000);

  it('writes aggregates equal to a direct computation over scores.csv, and a Parquet file equal to it', async () => {
    const csv = readFileSync(join(out, 'scores.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(','));
    const values = csv.map((c) => Number(c[9]));
    const agg = JSON.parse(readFileSync(join(out, 'aggregates.json'), 'utf8')) as Aggregates;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(agg.methods[0].layers[0].stats.n).toBe(values.length);
    expect(agg.methods[0].layers[0].stats.mean).toBeCloseTo(mean, 12);
    // One layer: the model's mean is that layer's mean.
    expect(agg.methods[0].modelMean.mean).toBeCloseTo(mean, 12);
    const right = csv.filter((c) => c[3] === c[4]).length;
    expect(agg.accuracy.value).toBeCloseTo(right / csv.length, 12);
    const buf = readFileSync(join(out, 'scores.parquet'));
    const back = await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) });
    expect(back.map((r) => [r.path, r.value])).toEqual(csv.map((c) => [c[0], Number(c[9])]));
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html.match(/data-role="cell"/g)).toHaveLength(bundledSamples().length);
  });

  it('adds nothing when run again', async () => {
    const before = contents(out);
    const again = await camanim(['eval', BUNDLED_MODEL, root, '--out', out, ...EVAL_FLAGS.filter((f) => f !== '--quiet')]);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toMatch(
      new RegExp(`${files.length + 1} images \\(${files.length + 1} already in the store\\), 0 to score`),
    );
    expect(contents(out)).toEqual(before);
  }, 300_000);

  it('survives three SIGKILLs at random points: every key once, equal to the uninterrupted run on those images', async () => {
    // 30 of the images (8 batches: three kills after 1-2 batches each leave work), listed in a CSV under the same
    // root: the same image hashes and settings as the first run.
    const subset = files.filter((_, k) => k % 2 === 0).map((f) => f.slice(root.length + 1));
    const list = join(root, 'subset.csv');
    writeFileSync(list, `path,label\n${subset.map((p) => `${p},${p.split('/')[0]}`).join('\n')}\n`);
    const crashed = join(out, '..', 'crashed');
    const args = [BIN, 'eval', BUNDLED_MODEL, list, '--out', crashed, ...EVAL_FLAGS.filter((f) => f !== '--quiet')];
    const env = { ...process.env, CAMANIM_RAW_STDERR: '1' };
    for (let k = 0; k < 3; k++) {
      // Killed a random 0..1.5 s after its first or second committed batch.
      const after = 1 + Math.floor(Math.random() * 2);
      const delay = Math.floor(Math.random() * 1500);
      const signal = await new Promise<string | null>((done, fail) => {
        const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
        let seen = 0;
        let err = '';
        child.stderr.on('data', (d: Buffer) => {
          err += d;
          seen = (err.match(/^eval: \d+\/\d+ images/gm) ?? []).length;
          if (seen >= after) setTimeout(() => child.kill('SIGKILL'), delay);
        });
        child.on('close', (code, sig) => (sig || code === 0 ? done(sig) : fail(new Error(`eval exited ${code}: ${err}`))));
      });
      expect(signal).toBe('SIGKILL');
    }
    const last = await camanim(['eval', BUNDLED_MODEL, list, '--out', crashed, ...EVAL_FLAGS]);
    expect(last.code, last.err).toBe(0);
    const { store, key } = runKey(out);
    const hashes = new Set(
      store
        .images(key)
        .filter((i) => subset.includes(i.path))
        .map((i) => i.imageHash),
    );
    store.close();
    const expected = new Map([...contents(out)].filter(([k]) => hashes.has(k.split('|')[0])));
    expect(expected.size).toBe(subset.length);
    expect(contents(crashed)).toEqual(expected);
  }, 600_000);
});
