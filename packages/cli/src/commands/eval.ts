/**
 * `camanim eval <model> <dataset>`: ybROAD of every image of a dataset, in batches (one forward
 * and one backward per method per batch), into a resumable SQLite store (eval/store.ts), then
 * scores.csv, scores.parquet, aggregates.json and report.html in --out. A rerun with the same
 * model and settings computes only the images the store lacks. docs/eval.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultCamRegistry, layersFor, type LayerSelection, type TargetKind } from '@camanim/cam-methods';
import { describeContract } from '@camanim/core';
import { readContract, openContracted, contractLines, type ContractFlags } from '../contract.ts';
import { cliError } from '../errors.ts';
import { readImage, type RgbImage } from '../image.ts';
import type { Io } from '../io.ts';
import { loadLabels, type Labels } from '../labels.ts';
import { preprocess, type Preprocessed } from '../preprocess.ts';
import { GpuSession } from '../gpu-session.ts';
import { Progress } from '../progress.ts';
import type { RoadChoice } from '../road.ts';
import { withBatchFallback } from '../metrics.ts';
import { taskFor } from '../task.ts';
import { aggregate } from '../eval/aggregates.ts';
import { foldLabel, listDataset, type DatasetItem } from '../eval/dataset.ts';
import { exportRows, toCsv, toParquet } from '../eval/export.ts';
import { evalReportHtml } from '../eval/report.ts';
import { planBatch, scoreBatch, type BatchContext } from '../eval/score-batch.ts';
import { EvalStore, sha256, type ImageRow, type RunKey, type ScoreRow } from '../eval/store.ts';

export interface EvalOptions {
  readonly model: string;
  readonly dataset: string;
  readonly out: string;
  readonly methods: readonly string[];
  readonly layers: LayerSelection;
  readonly targetKind: TargetKind;
  readonly road: RoadChoice;
  /** Most images per batch; the memory plan may choose fewer. */
  readonly batch: number;
  readonly maxPixels: number;
  readonly labels?: string;
  readonly quiet: boolean;
  readonly contract: ContractFlags;
}

export async function evalCommand(opts: EvalOptions, io: Io): Promise<void> {
  const progress = new Progress(io, opts.quiet);
  const methods = opts.methods.map((id) => defaultCamRegistry.get(id));
  const modelPath = resolve(opts.model);
  const dataset = listDataset(opts.dataset);
  mkdirSync(opts.out, { recursive: true });
  const first = await firstReadable(dataset.items, opts.maxPixels);
  const contracted = await readContract(modelPath, opts.contract, first, (m) => progress.notice(m));
  if (contracted.output.task !== 'classify')
    throw cliError(
      `camanim eval scores classifiers; this model's task is ${contracted.output.task}`,
      { file: modelPath },
      'Evaluate a classifier',
    );
  const store = EvalStore.open(join(opts.out, 'eval.sqlite'));
  let session: GpuSession | undefined;
  try {
    session = await GpuSession.open((device) => progress.time('load model', () => openContracted(contracted, device)), {
      onNotice: (m) => progress.notice(m),
      env: io.env,
    });
    const model = session.model;
    const contract = model.contract!;
    progress.notice(contractLines(model).trimEnd());
    const labels = loadLabels(contract.output.classes, opts.labels, contracted.sidecar?.labels);
    const layers = new Map(methods.map((m) => [m.id, layersFor(model, m, opts.layers)]));
    const settings = {
      methods: methods.map((m) => m.id),
      layers: Object.fromEntries([...layers].map(([id, ls]) => [id, ls.map((l) => l.name)])),
      targetKind: opts.targetKind,
      road: opts.road,
      contract: describeContract(contract),
    };
    const key: RunKey = { modelHash: sha256(readFileSync(modelPath)), settingsHash: sha256(JSON.stringify(settings)) };
    store.beginRun(key, { model: modelPath, dataset: dataset.root, settings });
    const done = store.done(key);
    const todo = dataset.items.map((it) => ({ it, hash: imageHash(it) })).filter((t) => !done.has(t.hash));
    const ctx: BatchContext = {
      gpu: session,
      task: taskFor(contract.output, labels),
      methods,
      layers,
      targetKind: opts.targetKind,
      road: opts.road,
      progress,
    };
    let batch = planBatch(model, opts.batch);
    progress.notice(
      `eval: ${dataset.items.length} images (${done.size} already in the store), ${todo.length} to score in batches of ${batch} (memory plan)`,
    );
    const started = performance.now();
    for (let at = 0; at < todo.length; at += batch) {
      const chunk = todo.slice(at, at + batch);
      const read = await Promise.all(chunk.map(async (t) => ({ ...t, x: await prepared(t.it, contract.input, opts.maxPixels) })));
      const good = read.filter((r): r is typeof r & { x: Preprocessed } => !(typeof r.x === 'string'));
      const results = good.length
        ? await withBatchFallback(progress, 'eval', async (b) => {
            if (b !== 1)
              return scoreBatch(
                ctx,
                good.map((g) => g.x),
              );
            batch = 1;
            return (await Promise.all(good.map((g) => scoreBatch(ctx, [g.x])))).flat();
          })
        : [];
      const images: ImageRow[] = read.map((r) => {
        const k = good.indexOf(r as (typeof good)[number]);
        const label = r.it.label ?? null;
        const base = { imageHash: r.hash, path: r.it.path, label, labelIndex: classOf(label, labels, contract.output.classes) };
        if (k < 0) return { ...base, predicted: null, status: 'failed', reason: r.x as string };
        const failure = results[k].failure;
        return { ...base, predicted: results[k].predicted, status: failure ? 'failed' : 'ok', reason: failure ?? null };
      });
      const scores: ScoreRow[] = good.flatMap((g, k) =>
        (results[k].failure ? [] : [...results[k].road]).flatMap(([method, series]) =>
          series.map((s, layer) => ({ imageHash: g.hash, method, layer, layerName: s.name, metric: 'road', value: s.value })),
        ),
      );
      store.writeBatch(key, images, scores);
      const n = Math.min(todo.length, at + chunk.length);
      const rate = n / ((performance.now() - started) / 1000);
      progress.notice(
        `eval: ${n}/${todo.length} images · ${rate.toFixed(2)} images/s · ETA ${((todo.length - n) / rate).toFixed(0)} s · GPU ${mib(model.runtime.stats().liveBytes)} in use`,
      );
    }
    io.out(writeResults(store, key, opts.out, dataset.root));
  } finally {
    session?.dispose();
    store.close();
  }
  progress.printSummary();
}

/** scores.csv, scores.parquet, aggregates.json and report.html from the store; returns the summary printed. */
export function writeResults(store: EvalStore, key: RunKey, out: string, title: string): string {
  const images = store.images(key);
  const scores = store.scores(key);
  const rows = exportRows(images, scores);
  const agg = aggregate(images, scores);
  const files = {
    'scores.csv': toCsv(rows),
    'scores.parquet': new Uint8Array(toParquet(rows)),
    'aggregates.json': `${JSON.stringify(agg, null, 2)}\n`,
    'report.html': evalReportHtml(agg, `camanim eval · ${title}`),
  };
  for (const [name, data] of Object.entries(files)) writeFileSync(join(out, name), data);
  const lines = agg.methods.map(
    (m) =>
      `${m.method}: ybROAD_mean ${m.modelMean.mean.toFixed(4)} [${m.modelMean.lo.toFixed(4)}, ${m.modelMean.hi.toFixed(4)}] (95% t-interval, ${m.modelMean.n} images)`,
  );
  const acc = agg.accuracy.value === null ? 'n/a' : `${(agg.accuracy.value * 100).toFixed(1)}% of ${agg.accuracy.labelled}`;
  return `${lines.join('\n')}\naccuracy: ${acc} · failed: ${agg.failed}\n${Object.keys(files)
    .map((f) => `${join(out, f)}\n`)
    .join('')}`;
}

function imageHash(it: DatasetItem): string {
  try {
    return sha256(readFileSync(it.file));
  } catch {
    return sha256(`unreadable:${it.path}`);
  }
}

async function firstReadable(items: readonly DatasetItem[], maxPixels: number): Promise<RgbImage> {
  for (const it of items) {
    const image = await readImage(it.file, { maxPixels }).catch(() => undefined);
    if (image) return image;
  }
  throw cliError('No image of the dataset can be read', { file: items[0]?.file }, 'Check the dataset (PNG/JPEG/WebP/GIF images)');
}

/** The model input, or why the image was refused (recorded as a failed item). */
async function prepared(
  it: DatasetItem,
  input: Parameters<typeof preprocess>[1],
  maxPixels: number,
): Promise<Preprocessed | string> {
  try {
    return await preprocess(await readImage(it.file, { maxPixels }), input);
  } catch (e) {
    return (e as Error).message ?? String(e);
  }
}

/** The class index a dataset label names: a class name (case and punctuation folded) or an index. */
function classOf(label: string | null, labels: Labels, K: number): number | null {
  if (label === null) return null;
  const f = foldLabel(label);
  for (let k = 0; k < K; k++) if (foldLabel(labels.name(k)) === f) return k;
  return /^\d+$/.test(label) && Number(label) < K ? Number(label) : null;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
