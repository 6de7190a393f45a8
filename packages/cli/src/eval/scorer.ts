/**
 * What scores the images of `camanim eval`, the same code in the single-process run and in a queue
 * worker (`camanim worker`): the model loaded under its contract, the layers per method, the run's
 * key (model hash, settings hash), and `score(items)`: the image rows, score rows and gallery items
 * (gallery-item.ts) of some images, scored in batches of the memory plan's size (score-batch.ts). A
 * spec is plain data, so that a coordinator can send it to workers in a job; a worker checks that
 * its model file and settings give the coordinator's key before scoring anything.
 */
import { readFileSync } from 'node:fs';
import { defaultCamRegistry, layersFor, type LayerInfo, type LayerSelection, type TargetKind } from '@camanim/cam-methods';
import { describeContract, type InputContract } from '@camanim/core';
import { openSession, readContract, type ContractFlags } from '../contract.ts';
import { cliError } from '../errors.ts';
import type { GpuSession } from '../gpu-session.ts';
import { readImage } from '../image.ts';
import { loadLabels, type Labels } from '../labels.ts';
import { withBatchFallback } from '../metrics.ts';
import { preprocess, type Preprocessed } from '../preprocess.ts';
import type { Progress } from '../progress.ts';
import type { RoadChoice } from '../road.ts';
import { taskFor } from '../task.ts';
import { foldLabel, type DatasetItem } from './dataset.ts';
import type { GalleryRow } from './gallery-folder.ts';
import { galleryItem } from './gallery-item.ts';
import { planBatch, scoreBatch, type BatchContext } from './score-batch.ts';
import { sha256, type ImageRow, type RunKey, type ScoreRow } from './store.ts';

/** Everything that decides a run's numbers; JSON, so that it travels in a queue job. */
export interface EvalSpec {
  /** Absolute path of the ONNX file (workers read the same path). */
  readonly model: string;
  readonly methods: readonly string[];
  readonly layers: LayerSelection;
  readonly targetKind: TargetKind;
  readonly road: RoadChoice;
  /** Most images per batch; the memory plan may choose fewer. */
  readonly batch: number;
  readonly maxPixels: number;
  /** Absolute path of the class names file, if any. */
  readonly labels?: string;
  readonly contract: ContractFlags;
  /** The first readable image's size: the input size where the model leaves it open. */
  readonly imageSize: { readonly width: number; readonly height: number };
}

/** A dataset item with the SHA-256 of its bytes (the store's image key). */
export interface HashedItem extends DatasetItem {
  readonly hash: string;
}

export interface Scored {
  readonly images: ImageRow[];
  readonly scores: ScoreRow[];
  /** The gallery item of each image scored ok. */
  readonly gallery: GalleryRow[];
}

export class Scorer {
  private constructor(
    private readonly session: GpuSession,
    private readonly ctx: BatchContext,
    private readonly labels: Labels,
    private readonly input: InputContract,
    private readonly spec: EvalSpec,
    readonly key: RunKey,
    readonly settings: unknown,
    /** Images per batch (the memory plan's, or 1 once the model turned out fixed at batch 1). */
    public batch: number,
  ) {}

  /**
   * Loads the model of `spec` and resolves its layers. With `expected` (a worker), refuses a model
   * file or settings whose key differs from the coordinator's, before scoring anything.
   */
  static async open(spec: EvalSpec, progress: Progress, env: NodeJS.ProcessEnv, expected?: RunKey): Promise<Scorer> {
    const modelHash = sha256(readFileSync(spec.model));
    if (expected && expected.modelHash !== modelHash)
      throw cliError(
        `The model file here has SHA-256 ${modelHash.slice(0, 12)}…, the coordinator's ${expected.modelHash.slice(0, 12)}…`,
        { file: spec.model },
        'Give every worker the same model file at the same path as the coordinator',
      );
    const methods = spec.methods.map((id) => defaultCamRegistry.get(id));
    const contracted = await readContract(spec.model, spec.contract, spec.imageSize, (m) => progress.notice(m));
    if (contracted.output.task !== 'classify')
      throw cliError(
        `camanim eval scores classifiers; this model's task is ${contracted.output.task}`,
        { file: spec.model },
        'Evaluate a classifier',
      );
    const session = await openSession(contracted, progress, env);
    try {
      const model = session.model;
      const contract = model.contract!;
      const labels = loadLabels(contract.output.classes, spec.labels, contracted.sidecar?.labels);
      const layers = new Map<string, readonly LayerInfo[]>(methods.map((m) => [m.id, layersFor(model, m, spec.layers)]));
      const settings = {
        methods: methods.map((m) => m.id),
        layers: Object.fromEntries([...layers].map(([id, ls]) => [id, ls.map((l) => l.name)])),
        targetKind: spec.targetKind,
        road: spec.road,
        contract: describeContract(contract),
      };
      const key: RunKey = { modelHash, settingsHash: sha256(JSON.stringify(settings)) };
      if (expected && expected.settingsHash !== key.settingsHash)
        throw cliError(
          `This worker resolves other settings (layers, contract) than the coordinator: ${JSON.stringify(settings)}`,
          { file: spec.model },
          'Run the same camanim version, with the same model, sidecar JSON and labels file, on the coordinator and every worker',
        );
      const ctx: BatchContext = {
        gpu: session,
        task: taskFor(contract.output, labels),
        methods,
        layers,
        targetKind: spec.targetKind,
        road: spec.road,
        progress,
      };
      return new Scorer(session, ctx, labels, contract.input, spec, key, settings, planBatch(model, spec.batch));
    } catch (e) {
      session.dispose();
      throw e;
    }
  }

  /** The model's class names, by index. */
  get classes(): string[] {
    return Array.from({ length: this.session.model.contract!.output.classes }, (_, k) => this.labels.name(k));
  }

  /** The model input's size: what every gallery map covers. */
  get inputSize(): { width: number; height: number } {
    const [height, width] = this.input.size;
    return { width, height };
  }

  /** Maps in each gallery item: every layer of every method. */
  get mapsPerImage(): number {
    return [...this.ctx.layers.values()].reduce((n, ls) => n + ls.length, 0);
  }

  /** GPU memory in use, for the progress lines. */
  liveBytes(): number {
    return this.session.model.runtime.stats().liveBytes;
  }

  /** The rows of `items`, scored in batches of `batch`: an image that cannot be read or scored is a failed row. */
  async score(items: readonly HashedItem[]): Promise<Scored> {
    const out: Scored = { images: [], scores: [], gallery: [] };
    // `batch` may drop to 1 during a chunk (a model fixed at batch 1): step by what was scored.
    for (let at = 0; at < items.length; ) {
      const chunk = items.slice(at, at + this.batch);
      const part = await this.scoreBatch(chunk);
      out.images.push(...part.images);
      out.scores.push(...part.scores);
      out.gallery.push(...part.gallery);
      at += chunk.length;
    }
    return out;
  }

  dispose(): void {
    this.session.dispose();
  }

  private async scoreBatch(chunk: readonly HashedItem[]): Promise<Scored> {
    const K = this.session.model.contract!.output.classes;
    const read = await Promise.all(chunk.map(async (it) => ({ it, x: await prepared(it, this.input, this.spec.maxPixels) })));
    const good = read.filter((r): r is { it: HashedItem; x: Preprocessed } => typeof r.x !== 'string');
    const results = good.length
      ? await withBatchFallback(this.ctx.progress, 'eval', async (b) => {
          if (b !== 1)
            return scoreBatch(
              this.ctx,
              good.map((g) => g.x),
            );
          this.batch = 1;
          return (await Promise.all(good.map((g) => scoreBatch(this.ctx, [g.x])))).flat();
        })
      : [];
    const images: ImageRow[] = read.map((r) => {
      const k = good.indexOf(r as (typeof good)[number]);
      const label = r.it.label ?? null;
      const base = { imageHash: r.it.hash, path: r.it.path, label, labelIndex: classOf(label, this.labels, K) };
      if (k < 0) return { ...base, predicted: null, status: 'failed', reason: r.x as string };
      const failure = results[k].failure;
      return { ...base, predicted: results[k].predicted, status: failure ? 'failed' : 'ok', reason: failure ?? null };
    });
    const scores: ScoreRow[] = good.flatMap((g, k) =>
      (results[k].failure ? [] : [...results[k].road]).flatMap(([method, series]) =>
        series.map((s, layer) => ({ imageHash: g.it.hash, method, layer, layerName: s.name, metric: 'road', value: s.value })),
      ),
    );
    const ok = good.filter((_, k) => !results[k].failure);
    const gallery: GalleryRow[] = await Promise.all(
      ok.map(async (g) => ({
        imageHash: g.it.hash,
        item: Buffer.from(await galleryItem(g.it.hash, g.x.crop, this.inputSize, results[good.indexOf(g)].maps)).toString(
          'base64',
        ),
      })),
    );
    return { images, scores, gallery };
  }
}

/** The SHA-256 of the image's bytes; an unreadable file is keyed by its path (it is stored as failed). */
export function imageHash(it: DatasetItem): string {
  try {
    return sha256(readFileSync(it.file));
  } catch {
    return sha256(`unreadable:${it.path}`);
  }
}

/** The model input, or why the image was refused (recorded as a failed item). */
async function prepared(it: DatasetItem, input: InputContract, maxPixels: number): Promise<Preprocessed | string> {
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
