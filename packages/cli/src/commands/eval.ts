/**
 * `camanim eval <model> <dataset>`: ybROAD of every image of a dataset, in batches (one forward
 * and one backward per method per batch), into a resumable SQLite store (eval/store.ts), then
 * scores.csv, scores.parquet, aggregates.json and report.html in --out. A rerun with the same
 * model and settings computes only the images the store lacks. Every image scored ok also gets its
 * gallery item (the input and its maps at every layer, eval/gallery-folder.ts), written before
 * its batch's transaction; gallery.json lists them for the viewer. With --queue the images go to
 * `camanim worker`s as BullMQ jobs (eval/coordinator.ts) and this process writes their results.
 * docs/eval.md.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AGGREGATES_FILE, GALLERY_FILE } from '@camanim/cam-methods';
import { cliError } from '../errors.ts';
import { readImage, type RgbImage } from '../image.ts';
import type { Io } from '../io.ts';
import { Progress } from '../progress.ts';
import { flushFolder, removeStaleTemps, writeFileAtomic } from '../staging.ts';
import { aggregate } from '../eval/aggregates.ts';
import { coordinate } from '../eval/coordinator.ts';
import { listDataset, type DatasetItem } from '../eval/dataset.ts';
import { exportRows, toCsv, toParquet } from '../eval/export.ts';
import { GalleryFolder } from '../eval/gallery-folder.ts';
import { galleryIndex, type GalleryRun } from '../eval/gallery-index.ts';
import { progressLine } from '../eval/progress-line.ts';
import { connectRedis } from '../eval/queue.ts';
import { evalReportHtml } from '../eval/report.ts';
import { Scorer, imageHash, type EvalSpec, type HashedItem, type Scored } from '../eval/scorer.ts';
import { EvalStore } from '../eval/store.ts';

/** The run's settings as given (paths as typed: the spec takes them absolute), and where it goes. */
export interface EvalOptions
  extends Pick<EvalSpec, 'model' | 'methods' | 'layers' | 'targetKind' | 'road' | 'batch' | 'maxPixels' | 'labels' | 'contract'> {
  readonly dataset: string;
  readonly out: string;
  readonly quiet: boolean;
  /** redis://host:port: the work goes to `camanim worker`s through a BullMQ queue there. */
  readonly queue?: string;
}

export async function evalCommand(opts: EvalOptions, io: Io): Promise<void> {
  const progress = new Progress(io, opts.quiet);
  const dataset = listDataset(opts.dataset);
  mkdirSync(opts.out, { recursive: true });
  removeStaleTemps(opts.out);
  const first = await firstReadable(dataset.items, opts.maxPixels);
  const spec: EvalSpec = {
    model: resolve(opts.model),
    methods: opts.methods,
    layers: opts.layers,
    targetKind: opts.targetKind,
    road: opts.road,
    batch: opts.batch,
    maxPixels: opts.maxPixels,
    labels: opts.labels === undefined ? undefined : resolve(opts.labels),
    contract: opts.contract,
    imageSize: { width: first.width, height: first.height },
  };
  // Before the model loads: a Redis that cannot be reached fails at once.
  const queue = opts.queue === undefined ? undefined : { url: opts.queue, redis: await connectRedis(opts.queue) };
  const store = EvalStore.open(join(opts.out, 'eval.sqlite'));
  let scorer: Scorer | undefined;
  try {
    // The coordinator loads the model too: its layers are part of the run's key, resolved as the workers resolve them.
    scorer = await Scorer.open(spec, progress, io.env);
    const key = scorer.key;
    store.beginRun(key, { model: spec.model, dataset: dataset.root, settings: scorer.settings });
    const gallery = GalleryFolder.open(opts.out, key);
    const run = { key, model: spec.model, dataset: dataset.root, classes: scorer.classes, input: scorer.inputSize };
    // An image scored ok whose gallery item is missing or damaged is scored again (its rows stay as stored).
    const stored = store.images(key);
    const maps = scorer.mapsPerImage;
    const done = new Set(stored.filter((i) => i.status === 'failed' || gallery.has(i.imageHash, maps)).map((i) => i.imageHash));
    const lacking = stored.length - done.size;
    const items: HashedItem[] = dataset.items.map((it) => ({ ...it, hash: imageHash(it) }));
    const todo = items.filter((t) => !done.has(t.hash));
    const head = `eval: ${dataset.items.length} images (${stored.length} already in the store${lacking ? `, ${lacking} of them without their gallery item` : ''}), ${todo.length} to score`;
    // The items first, then the rows: an image the store holds has its item.
    const record = (r: Scored) => {
      gallery.write(r.gallery);
      store.writeBatch(key, r.images, r.scores);
    };
    if (queue) {
      scorer.dispose();
      scorer = undefined;
      // Fixed batches of the whole dataset, less what is stored: a restarted coordinator makes the same jobs.
      const jobs: HashedItem[][] = [];
      for (let at = 0; at < items.length; at += opts.batch) {
        const job = items.slice(at, at + opts.batch).filter((t) => !done.has(t.hash));
        if (job.length) jobs.push(job);
      }
      progress.notice(`${head} in ${jobs.length} jobs of at most ${opts.batch}`);
      await coordinate({ ...queue, key, spec, jobs }, record, progress);
    } else {
      progress.notice(`${head} in batches of ${scorer.batch} (memory plan)`);
      const started = performance.now();
      for (let at = 0; at < todo.length; ) {
        const chunk = todo.slice(at, at + scorer.batch);
        record(await scorer.score(chunk));
        at += chunk.length;
        progress.notice(progressLine(at, todo.length, started, ` · GPU ${mib(scorer.liveBytes())} in use`));
      }
    }
    io.out(writeResults(store, run, opts.out, gallery));
  } finally {
    scorer?.dispose();
    store.close();
    queue?.redis.disconnect();
  }
  progress.printSummary();
}

/**
 * scores.csv, scores.parquet, aggregates.json, gallery.json and report.html from the store, each
 * written whole or not at all; returns the summary printed.
 */
export function writeResults(
  store: EvalStore,
  run: Omit<GalleryRun, 'images' | 'scores'>,
  out: string,
  gallery: GalleryFolder,
): string {
  const images = store.images(run.key);
  const scores = store.scores(run.key);
  const rows = exportRows(images, scores);
  const agg = aggregate(images, scores);
  const files = {
    'scores.csv': toCsv(rows),
    'scores.parquet': new Uint8Array(toParquet(rows)),
    [AGGREGATES_FILE]: `${JSON.stringify(agg, null, 2)}\n`,
    [GALLERY_FILE]: `${JSON.stringify(galleryIndex({ ...run, images, scores }, gallery))}\n`,
    'report.html': evalReportHtml(agg, `camanim eval · ${run.dataset}`),
  };
  for (const [name, data] of Object.entries(files)) writeFileAtomic(join(out, name), data);
  flushFolder(out);
  const lines = agg.methods.map(
    (m) =>
      `${m.method}: ybROAD_mean ${m.modelMean.mean.toFixed(4)} [${m.modelMean.lo.toFixed(4)}, ${m.modelMean.hi.toFixed(4)}] (95% t-interval, ${m.modelMean.n} images)`,
  );
  const acc = agg.accuracy.value === null ? 'n/a' : `${(agg.accuracy.value * 100).toFixed(1)}% of ${agg.accuracy.labelled}`;
  return `${lines.join('\n')}\naccuracy: ${acc} · failed: ${agg.failed}\n${Object.keys(files)
    .map((f) => `${join(out, f)}\n`)
    .join('')}`;
}

async function firstReadable(items: readonly DatasetItem[], maxPixels: number): Promise<RgbImage> {
  for (const it of items) {
    const image = await readImage(it.file, { maxPixels }).catch(() => undefined);
    if (image) return image;
  }
  throw cliError('No image of the dataset can be read', { file: items[0]?.file }, 'Check the dataset (PNG/JPEG/WebP/GIF images)');
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
