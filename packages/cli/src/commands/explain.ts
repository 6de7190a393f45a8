/**
 * `camanim explain`: load the model, preprocess each image, one forward per image, then for
 * every target class and CAM method the CAMs of every selected layer (cam-methods), rendered to
 * the requested formats. Everything is staged and moved into --out only at the end. The steps:
 * explain/inputs.ts (what is read before the model loads), explain/explanations.ts (one image's
 * stacks and scores), explain/outputs.ts (its files).
 */
import { basename, extname } from 'node:path';
import { layersFor } from '@camanim/cam-methods';
import { cropNotice, type InputContract, type TensorData } from '@camanim/core';
import { displayFrames, isClip, preprocessClip } from '../clip.ts';
import { cliError } from '../errors.ts';
import { renderColorbar } from '../colorbar.ts';
import { needsProposals, openSession } from '../contract.ts';
import { explainTargets, type ExplainSettings } from '../explain/explanations.ts';
import { readExplainInputs } from '../explain/inputs.ts';
import { writeImageFiles, type OutputSettings } from '../explain/outputs.ts';
import type { GpuSession } from '../gpu-session.ts';
import type { Io } from '../io.ts';
import { loadLabels } from '../labels.ts';
import type { ExplainOptions } from '../options.ts';
import { displayImage, preprocess } from '../preprocess.ts';
import { Progress } from '../progress.ts';
import type { Explanation, RenderContext } from '../render.ts';
import { roadTargetKind } from '../road.ts';
import { Staging, sanitizeName } from '../staging.ts';
import { checkClassRange, predictionLine, type ChosenTarget } from '../target.ts';
import { taskFor } from '../task.ts';
import { referenceEmbedding } from '../tasks/embed.ts';

export async function explain(opts: ExplainOptions, io: Io): Promise<void> {
  const progress = new Progress(io, opts.quiet);
  const inputs = await readExplainInputs(opts, io, progress);
  const staging = await Staging.open(opts.out);
  const keepOnSignal = staging.removeOnSignal();
  let session: GpuSession | undefined;
  const written: string[] = [];
  const summaries: string[] = [];
  try {
    // One forward and one backward per image: on a CPU adapter compiling the pipelines is most of
    // the time, so the kernels are sized for a quick start unless metrics re-run the model many
    // times (or CAMANIM_UNROLL says otherwise). The outputs are the same bit for bit.
    const rerunning = opts.ybroad || (opts.metrics?.ids.length ?? 0) > 0;
    const unroll = io.env.CAMANIM_UNROLL || rerunning ? undefined : 'startup';
    // A two-stage detector's model is its second stage on one image's proposals.
    const proposalsOf = needsProposals(inputs.contracted) ? await oneImage(inputs.images, inputs.contracted.input) : undefined;
    session = await openSession(inputs.contracted, progress, io.env, { unroll }, proposalsOf);
    const gpu = session;
    // Names, shapes and the contract only: the same after a reload on a new device.
    const model = session.model;
    const contract = model.contract!;
    const pre = contract.input;
    const [H, W] = pre.size;
    checkClassRange(opts.target, contract.output.classes, model.source);
    const labels = loadLabels(contract.output.classes, opts.labels, inputs.contracted.sidecar?.labels);
    const { taskChoice } = inputs;
    const reference =
      taskChoice.reference === undefined
        ? undefined
        : await gpu.step('embedding the reference', (m) =>
            progress.time('embed --reference', () =>
              referenceEmbedding(m, taskChoice.reference!, opts.maxPixels, (n) => progress.notice(n)),
            ),
          );
    const task = taskFor(contract.output, labels, taskChoice, reference);
    const settings: ExplainSettings = {
      methods: inputs.methods,
      // Per method: the selection, or the method's own tensors (attention blocks), refused here if the model has none.
      layers: new Map(inputs.methods.map((m) => [m.id, layersFor(model, m, opts.layers)])),
      eigenSmooth: opts.eigenSmooth,
      augSmooth: opts.augSmooth,
      options: opts.methodOptions,
      task,
      activation: contract.output.activation,
      road: opts.road,
      // --ybroad and --metrics road are one ROAD, scored once.
      scoring: {
        ...opts.metrics,
        ids: [...new Set([...(opts.ybroad ? (['road'] as const) : []), ...(opts.metrics?.ids ?? [])])],
      },
      progress,
    };
    const outputs: OutputSettings = {
      model,
      modelPath: inputs.modelPath,
      contract,
      labels,
      confidence: roadTargetKind(opts.road, contract.output.activation),
      formats: opts.formats,
      normalization: opts.normalization,
      colormap: opts.colormap,
    };
    const modelShapes = new Map(model.layers.map((l) => [l.name, l.shape]));
    const panelW = opts.size;
    const panelH = Math.max(2, Math.round((panelW * H) / W / 2) * 2);
    const colorbar = await gpu.step('rendering the colorbar', (m) => renderColorbar(m.runtime, opts.colormap, panelH));
    const explained = model.graph.outputs[0].name;
    const dirs = new Set<string>();
    for (const image of inputs.images) {
      const dir = uniqueDir(dirs, image.file);
      const cropped = cropNotice(image, pre, dir);
      if (cropped) progress.notice(cropped);
      const x = isClip(image) ? await preprocessClip(image, pre) : await preprocess(image, pre);
      const warnings = new Set<string>();
      let top: ChosenTarget[] = [];
      const [writtenBefore, summariesBefore] = [written.length, summaries.length];
      // One step per image, from the forward to its last file: after a device loss it runs
      // again on the new device and rewrites the same staged files.
      await gpu.step(`explaining ${dir}`, async (model) => {
        written.length = writtenBefore;
        summaries.length = summariesBefore;
        const run = await progress.time(`forward ${dir}`, () => model.run({ data: x.data, shape: x.shape }));
        let exs: Explanation[];
        try {
          await gpu.faultPoint();
          const scores = task.scores((await run.read(explained)).data);
          top = task.top(scores);
          const odd = task.warning(scores);
          if (odd) warnings.add(odd);
          const explainedImage = await explainTargets(run, task.targets(scores, opts.target, opts.targetKind), settings);
          exs = explainedImage.explanations;
          for (const w of explainedImage.warnings) warnings.add(w);
        } finally {
          run.dispose();
        }
        const ctx: RenderContext = {
          rt: model.runtime,
          staging,
          dir,
          progress,
          formats: opts.formats,
          normalization: opts.normalization,
          colormap: opts.colormap,
          alpha: opts.alpha,
          fps: opts.fps,
          ffmpeg: inputs.ffmpeg,
          env: io.env,
          display: await displayImage(image, pre, panelW, panelH),
          panelW,
          panelH,
          colorbar,
          ...(isClip(image) ? { frames: await displayFrames(image, pre, panelW, panelH) } : {}),
          modelShapes,
          written,
        };
        const notes = await writeImageFiles(ctx, exs, outputs, { image, x, top });
        summaries.push(...notes.summaries);
        for (const w of notes.warnings) warnings.add(w);
      });
      progress.notice(`${dir}: ${predictionLine(top)}`);
      for (const w of warnings) progress.notice(w);
    }
    await staging.commit();
    const rt = session.model.runtime;
    progress.notice(`pipelines: ${rt.pipelineCount} compiled; the steps waited ${(rt.compileWait / 1000).toFixed(2)} s for them`);
  } catch (e) {
    await staging.abort();
    throw e;
  } finally {
    keepOnSignal();
    session?.dispose();
  }
  for (const f of written) io.out(`${staging.finalPath(f)}\n`);
  // ybROAD and the metrics are results: printed (on stderr, stdout lists files) even with --quiet.
  for (const s of summaries) io.err(s);
  progress.printSummary();
}

function uniqueDir(used: Set<string>, file: string): string {
  const base = sanitizeName(basename(file, extname(file)), 60);
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
  used.add(name);
  return name;
}

/** The one still image a two-stage detector's second stage is built on, preprocessed. */
async function oneImage(images: readonly Parameters<typeof preprocess>[0][], pre: InputContract): Promise<TensorData> {
  if (images.length !== 1 || isClip(images[0]))
    throw cliError(
      `A two-stage detector (Faster R-CNN) is explained one still image per command: its second stage is built on that image's proposals (${images.length} inputs given)`,
      {},
      'Run camanim explain once per image',
    );
  return preprocess(images[0], pre);
}
