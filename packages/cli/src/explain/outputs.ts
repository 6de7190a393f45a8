/**
 * One image's files, from its explanations, into the staging folder: the animations and PNG
 * frames (render.ts; MPRT's beside them, mprt-frames.ts), the guided images, DFF's concepts, the grid, each stack's score files and
 * summary, the bundle and the HTML report.
 */
import type { Model, ModelContract } from '@camanim/core';
import { conceptsJson } from '../concepts.ts';
import { renderGrid } from '../grid.ts';
import { writeGuidedImages } from '../guided-images.ts';
import type { RgbImage } from '../image.ts';
import type { Labels } from '../labels.ts';
import { scoreFiles } from '../layer-scores.ts';
import type { Format } from '../options.ts';
import type { Preprocessed } from '../preprocess.ts';
import { renderMprt } from '../mprt-frames.ts';
import { renderExplanation, type Explanation, type RenderContext } from '../render.ts';
import { roadSummary } from '../road.ts';
import type { ChosenTarget } from '../target.ts';
import { writeBundle } from './bundle-writer.ts';
import { writeReport } from './html-report.ts';

/** What every image of a run shares. */
export interface OutputSettings {
  readonly model: Model;
  readonly modelPath: string;
  readonly contract: ModelContract;
  readonly labels: Labels;
  /** The confidence the scores measure (road.ts' roadTargetKind). */
  readonly confidence: string;
  readonly formats: ReadonlySet<Format>;
  readonly normalization: string;
  readonly colormap: string;
}

/** The image the explanations are of. */
export interface ExplainedImage {
  readonly image: RgbImage;
  readonly x: Preprocessed;
  /** The top predictions, as the bundle's prediction card shows them. */
  readonly top: readonly ChosenTarget[];
}

export interface ImageNotes {
  /** Per explanation with scores: its ybROAD and metrics, as printed at the end. */
  readonly summaries: string[];
  readonly warnings: string[];
}

export async function writeImageFiles(
  ctx: RenderContext,
  exs: readonly Explanation[],
  run: OutputSettings,
  img: ExplainedImage,
): Promise<ImageNotes> {
  await writeRenders(ctx, exs, run, img);
  const bundled = run.formats.has('bundle') || run.formats.has('html');
  const notes = await writeScores(ctx, exs, run);
  if (bundled) {
    const from = ctx.written.length;
    await ctx.progress.time(`bundle ${ctx.dir}`, () =>
      writeBundle(ctx, exs, {
        model: run.model,
        modelPath: run.modelPath,
        image: img.image,
        pre: run.contract.input,
        crop: img.x.crop,
        frames: img.x.frames,
        shape: img.x.shape,
        top: [...img.top],
        normalization: run.normalization,
        colormap: run.colormap,
      }),
    );
    if (run.formats.has('html')) await ctx.progress.time(`html ${ctx.dir}`, () => writeReport(ctx, ctx.written.slice(from)));
  }
  return notes;
}

/** Animations and frames, guided images, concepts and the grid (one per target class). */
async function writeRenders(
  ctx: RenderContext,
  exs: readonly Explanation[],
  run: OutputSettings,
  img: ExplainedImage,
): Promise<void> {
  if (['gif', 'mp4', 'webm', 'png'].some((f) => run.formats.has(f as Format))) {
    for (const ex of exs) {
      await renderExplanation(ctx, ex);
      await renderMprt(ctx, ex);
    }
  }
  for (const ex of exs) if (ex.guided) await writeGuidedImages(ctx, ex, ex.guided);
  for (const ex of exs)
    if (ex.stack.layers[0]?.concepts)
      ctx.written.push(await ctx.staging.write([ctx.dir, `${ex.stem}-concepts.json`], conceptsJson(ex.stack, run.labels)));
  if (!run.formats.has('grid')) return;
  const classes = [...new Set(exs.map((e) => e.target.class))];
  for (const c of classes) {
    const of = exs.filter((e) => e.target.class === c);
    await renderGrid(ctx, of, classes.length > 1 ? `-class${c}` : '', img.image, run.contract.input);
  }
}

/**
 * Each scored explanation's files (layer-scores.ts: the first one's unsuffixed, the others'
 * -<stem>) and its summary; a metric without a value at some layer is named.
 */
async function writeScores(ctx: RenderContext, exs: readonly Explanation[], run: OutputSettings): Promise<ImageNotes> {
  const summaries: string[] = [];
  const warnings: string[] = [];
  for (const [k, ex] of exs.entries()) {
    const scores = { ybroad: ex.ybroad, metrics: ex.metrics ?? [] };
    if (!scores.ybroad && !scores.metrics.length) continue;
    const layers = ex.stack.layers.map((l) => l.name);
    const about = { contract: run.contract, method: ex.methodId, target: ex.target, confidence: run.confidence, layers };
    const title = `${ex.methodTitle} · ${ex.target.label} (class ${ex.target.class}) · ${ctx.dir}`;
    const suffix = k === 0 ? '' : `-${ex.stem}`;
    for (const f of await scoreFiles(scores, about, title, suffix))
      ctx.written.push(await ctx.staging.write([ctx.dir, f.name], f.data));
    for (const m of scores.metrics) {
      const l = m.chart.values.findIndex((v) => !Number.isFinite(v));
      if (l >= 0)
        warnings.push(
          `${ctx.dir} · ${ex.stem}: ${m.id} has no value at layer ${l + 1} (${layers[l]}: a constant map), null in ${m.id}${suffix}.json and the bundle, a gap in the charts`,
        );
    }
    const text = (scores.ybroad ? roadSummary(scores.ybroad) : '') + scores.metrics.map((m) => m.text).join('');
    summaries.push(`${ctx.dir} · ${ex.stem}:\n${text.replace(/^/gm, '  ').trimEnd()}\n`);
  }
  return { summaries, warnings };
}
