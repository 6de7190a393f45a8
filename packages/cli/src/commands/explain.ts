/**
 * `camanim explain`: load the model, preprocess each image, one forward per image, then for
 * every target class and CAM method the CAMs of every selected layer (cam-methods), rendered to
 * the requested formats. Everything is staged and moved into --out only at the end.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import {
  computeCams,
  guidedBackprop,
  defaultCamRegistry,
  eigenSmoothable,
  layersFor,
  smoothingSuffix,
  type CamMethod,
} from '@camanim/cam-methods';
import { cropNotice, describeContract, type InputContract, type Model } from '@camanim/core';
import type { ExplainOptions } from '../options.ts';
import { bundledModel, defaultImage } from '../assets.ts';
import { Staging, sanitizeName } from '../staging.ts';
import { conceptsJson } from '../concepts.ts';
import { writeGuidedImages } from '../guided-images.ts';
import { bundleCam, type BundleCam, type BundleManifest } from '../bundle.ts';
import { renderColorbar } from '../colorbar.ts';
import { renderGrid } from '../grid.ts';
import { encodePng, readImage, type RgbImage } from '../image.ts';
import type { Io } from '../io.ts';
import { loadLabels } from '../labels.ts';
import { contractLines, openContracted, readContract } from '../contract.ts';
import { displayImage, preprocess } from '../preprocess.ts';
import { Progress } from '../progress.ts';
import { renderExplanation, type Explanation, type RenderContext } from '../render.ts';
import { checkClassRange, predictionLine, saturationWarning, type ChosenTarget } from '../target.ts';
import { checkTaskOptions, taskFor } from '../task.ts';
import { parseTaskChoice } from '../task-flags.ts';
import { referenceEmbedding } from '../tasks/embed.ts';
import { checkClipRun, displayFrames, isClip, preprocessClip, readClip } from '../clip.ts';
import { cliError } from '../errors.ts';
import { escapeXml } from '../frames.ts';
import { GpuSession } from '../gpu-session.ts';
import { VIEWER_DIST } from './view.ts';
import { scoreFiles, scoreStack } from '../layer-scores.ts';
import { chartable } from '../metrics.ts';
import { roadSummary, roadTargetKind } from '../road.ts';
import { requireFfmpeg, type VideoFormat } from '../video.ts';

export async function explain(opts: ExplainOptions, io: Io): Promise<void> {
  const progress = new Progress(io, opts.quiet);
  // Cheap checks first: nothing heavy runs on a bad command line.
  const methods: CamMethod[] = opts.methods.map((id) => defaultCamRegistry.get(id));
  const unsmoothable = opts.eigenSmooth ? methods.filter((m) => !eigenSmoothable(m)) : [];
  if (unsmoothable.length)
    throw cliError(
      `--eigen-smooth does not apply to ${unsmoothable.map((m) => m.id).join(', ')}: these methods compute each layer's map themselves`,
      {},
      'Drop --eigen-smooth, or explain those methods in a separate run',
    );
  const videos = (['mp4', 'webm'] as VideoFormat[]).filter((f) => opts.formats.has(f));
  const ffmpeg = videos.length ? requireFfmpeg(io.env, videos) : undefined;
  const modelPath = resolve(opts.model ?? bundledModel());
  const imagePaths = opts.images.length || opts.videos.length ? opts.images : [defaultImage()];
  const clipOptions = { maxPixels: opts.maxPixels, env: io.env, onNotice: (m: string) => progress.notice(m) };
  // Video models: each clip's first frame until the contract says how many frames (clip.ts).
  let images: RgbImage[] = opts.videos.length
    ? await progress.time('read clips', () =>
        Promise.all(opts.videos.map((v) => readClip(v, 1, { ...clipOptions, onNotice: undefined }))),
      )
    : await progress.time('read images', () =>
        Promise.all(imagePaths.map((f) => readImage(f, { maxPixels: opts.maxPixels, onNotice: (m) => progress.notice(m) }))),
      );
  const taskChoice = parseTaskChoice(opts.contract);
  checkTaskOptions(taskChoice.task, opts);
  const contracted = await readContract(modelPath, opts.contract, images[0], (m) => progress.notice(m));
  checkClipRun(contracted.input, opts, modelPath);
  const frames = contracted.input.frames?.count;
  if (frames)
    images = await progress.time('read clips', () => Promise.all(opts.videos.map((v) => readClip(v, frames, clipOptions))));
  if (opts.formats.has('html') && !existsSync(join(VIEWER_DIST, 'index.html'))) {
    throw cliError('--format html needs the built viewer', { file: VIEWER_DIST }, 'Run pnpm --filter @camanim/viewer build');
  }
  const staging = await Staging.open(opts.out);
  const keepOnSignal = staging.removeOnSignal();
  let session: GpuSession | undefined;
  const written: string[] = [];
  const summaries: string[] = [];
  try {
    session = await GpuSession.open((device) => progress.time('load model', () => openContracted(contracted, device)), {
      onNotice: (m) => progress.notice(m),
      env: io.env,
    });
    const gpu = session;
    // Names, shapes and the contract only: the same after a reload on a new device.
    const model = session.model;
    const contract = model.contract!;
    progress.notice(contractLines(model).trimEnd());
    const pre = contract.input;
    const [H, W] = pre.size;
    const explained = model.graph.outputs[0].name;
    const numClasses = contract.output.classes;
    checkClassRange(opts.target, numClasses, model.source);
    const labels = loadLabels(numClasses, opts.labels, contracted.sidecar?.labels);
    const reference =
      taskChoice.reference === undefined
        ? undefined
        : await gpu.step('embedding the reference', (m) =>
            progress.time('embed --reference', () =>
              referenceEmbedding(m, taskChoice.reference!, opts.maxPixels, (n) => progress.notice(n)),
            ),
          );
    const task = taskFor(contract.output, labels, taskChoice, reference);
    // Per method: the selection, or the method's own tensors (attention blocks), refused here if the model has none.
    const selected = new Map(methods.map((m) => [m.id, layersFor(model, m, opts.layers)]));
    const modelLayers = new Map(model.layers.map((l) => [l.name, { index: l.index, shape: l.shape }]));
    const panelW = opts.size;
    const panelH = Math.max(2, Math.round((panelW * H) / W / 2) * 2);
    const colorbar = await gpu.step('rendering the colorbar', (m) => renderColorbar(m.runtime, opts.colormap, panelH));
    const bundled = opts.formats.has('bundle') || opts.formats.has('html');
    // --ybroad and --metrics road are one ROAD, scored once.
    const scoring = {
      ...opts.metrics,
      ids: [...new Set([...(opts.ybroad ? (['road'] as const) : []), ...(opts.metrics?.ids ?? [])])],
    };
    const confidence = roadTargetKind(opts.road, contract.output.activation);
    const dirs = new Set<string>();
    for (const image of images) {
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
        const exs: Explanation[] = [];
        try {
          await gpu.faultPoint();
          const scores = task.scores((await run.read(explained)).data);
          top = task.top(scores);
          const odd = task.warning(scores);
          if (odd) warnings.add(odd);
          const targets = task.targets(scores, opts.target, opts.targetKind);
          for (const target of targets) {
            for (const method of methods) {
              const stem = sanitizeName(method.id) + (targets.length > 1 ? `-class${target.class}` : '');
              const layers = selected.get(method.id)!;
              const stack = await progress.time(
                `${method.id}: backward + ${layers.length} CAMs`,
                (step) =>
                  computeCams(run, {
                    method,
                    eigenSmooth: opts.eigenSmooth,
                    augSmooth: opts.augSmooth,
                    options: opts.methodOptions,
                    target: task.camTarget(target),
                    layers,
                    onProgress: () => step.tick(),
                  }),
                layers.length,
              );
              const saturated = saturationWarning(target, maxAbsCam(stack.layers));
              if (saturated) warnings.add(saturated);
              const cams = { method, eigenSmooth: opts.eigenSmooth, augSmooth: opts.augSmooth, options: opts.methodOptions };
              const scores = await scoreStack(
                {
                  run,
                  stack,
                  classIndex: target.class,
                  activation: contract.output.activation,
                  road: opts.road,
                  cams,
                  progress,
                  label: method.id,
                },
                scoring,
              );
              const guided = method.id === 'guided-gradcam' ? await guidedBackprop(run, task.camTarget(target)) : undefined;
              exs.push({
                stem,
                methodId: method.id,
                methodTitle: method.title + smoothingSuffix(opts),
                target,
                stack,
                ybroad: scores.ybroad,
                metrics: scores.metrics,
                guided,
              });
            }
          }
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
          ffmpeg,
          env: io.env,
          display: await displayImage(image, pre, panelW, panelH),
          panelW,
          panelH,
          colorbar,
          ...(isClip(image) ? { frames: await displayFrames(image, pre, panelW, panelH) } : {}),
          modelShapes: new Map([...modelLayers].map(([n, l]) => [n, l.shape])),
          written,
        };
        if (['gif', 'mp4', 'webm', 'png'].some((f) => opts.formats.has(f as never))) {
          for (const ex of exs) await renderExplanation(ctx, ex);
        }
        for (const ex of exs) if (ex.guided) await writeGuidedImages(ctx, ex, ex.guided);
        for (const ex of exs)
          if (ex.stack.layers[0]?.concepts)
            written.push(await staging.write([dir, `${ex.stem}-concepts.json`], conceptsJson(ex.stack, labels)));
        if (opts.formats.has('grid')) {
          const classes = [...new Set(exs.map((e) => e.target.class))];
          for (const c of classes) {
            await renderGrid(
              ctx,
              exs.filter((e) => e.target.class === c),
              classes.length > 1 ? `-class${c}` : '',
              image,
              pre,
            );
          }
        }
        for (const [k, ex] of exs.entries()) {
          const scores = { ybroad: ex.ybroad, metrics: ex.metrics ?? [] };
          if (!scores.ybroad && !scores.metrics.length) continue;
          const about = {
            contract,
            method: ex.methodId,
            target: ex.target,
            confidence,
            layers: ex.stack.layers.map((l) => l.name),
          };
          const title = `${ex.methodTitle} · ${ex.target.label} (class ${ex.target.class}) · ${dir}`;
          const suffix = k === 0 ? '' : `-${ex.stem}`;
          for (const f of await scoreFiles(scores, about, title, suffix))
            written.push(await staging.write([dir, f.name], f.data));
          for (const m of bundled ? scores.metrics.filter((m) => !chartable(m)) : []) {
            const l = m.chart.values.findIndex((v) => !Number.isFinite(v));
            warnings.add(
              `${dir} · ${ex.stem}: ${m.id} has no value at layer ${l + 1} (${about.layers[l]}: a constant map), so the bundle leaves it out; ${m.id}${suffix}.json has it`,
            );
          }
          const text = (scores.ybroad ? roadSummary(scores.ybroad) : '') + scores.metrics.map((m) => m.text).join('');
          summaries.push(`${dir} · ${ex.stem}:\n${text.replace(/^/gm, '  ').trimEnd()}\n`);
        }
        if (bundled) {
          const from = written.length;
          await progress.time(`bundle ${dir}`, () =>
            writeBundle(ctx, exs, {
              model,
              modelPath,
              image,
              pre,
              crop: x.crop,
              frames: x.frames,
              shape: x.shape,
              top,
              normalization: opts.normalization,
              colormap: opts.colormap,
            }),
          );
          if (opts.formats.has('html')) await progress.time(`html ${dir}`, () => writeReport(ctx, written.slice(from)));
        }
      });
      progress.notice(`${dir}: ${predictionLine(top)}`);
      for (const w of warnings) progress.notice(w);
    }
    await staging.commit();
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

/** The largest |value| of any layer's raw CAM. */
function maxAbsCam(layers: readonly { raw: Float32Array }[]): number {
  let m = 0;
  for (const l of layers) for (const v of l.raw) m = Math.max(m, Math.abs(v));
  return m;
}

function uniqueDir(used: Set<string>, file: string): string {
  const base = sanitizeName(basename(file, extname(file)), 60);
  let name = base;
  for (let k = 2; used.has(name); k++) name = `${base}-${k}`;
  used.add(name);
  return name;
}

interface BundleInfo {
  model: Model;
  modelPath: string;
  image: RgbImage;
  pre: InputContract;
  crop: Buffer;
  /** Video models: every frame as the model saw it. */
  frames?: readonly Buffer[];
  shape: readonly number[];
  top: { class: number; label: string; logit: number; probability: number }[];
  normalization: string;
  colormap: string;
}

/**
 * `--format html`: <dir>/report/ with the built viewer (viewer/), a copy of the bundle
 * (bundle/) and index.html opening the viewer on it (?bundle=../bundle/).
 */
async function writeReport(ctx: RenderContext, bundleFiles: readonly string[]): Promise<void> {
  const report = [ctx.dir, 'report'];
  for (const f of bundleFiles) ctx.written.push(await ctx.staging.write([...report, 'bundle', basename(f)], await readFile(f)));
  const walk = async (rel: string[]): Promise<void> => {
    for (const e of await readdir(join(VIEWER_DIST, ...rel), { withFileTypes: true })) {
      if (e.isDirectory()) await walk([...rel, e.name]);
      else if (e.isFile())
        await ctx.staging.write([...report, 'viewer', ...rel, e.name], await readFile(join(VIEWER_DIST, ...rel, e.name)));
    }
  };
  await walk([]);
  const target = 'viewer/index.html?bundle=../bundle/';
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>camanim report: ${escapeXml(ctx.dir)}</title>
<meta http-equiv="refresh" content="0; url=${target}">
</head>
<body>
<p>Opening <a href="${target}">the camanim viewer on this bundle</a>.</p>
<p>Browsers block fetch() on file:// pages: if the viewer reports that it cannot fetch the bundle,
serve this folder over HTTP, e.g. <code>camanim view bundle</code> (from here) or
<code>python3 -m http.server</code> in this folder and open http://127.0.0.1:8000/.</p>
</body>
</html>
`;
  ctx.written.push(await ctx.staging.write([...report, 'index.html'], html));
}

async function writeBundle(ctx: RenderContext, exs: readonly Explanation[], info: BundleInfo): Promise<void> {
  const dir = [ctx.dir, 'bundle'];
  const modelLayers = new Map(info.model.layers.map((l) => [l.name, { index: l.index, shape: l.shape }]));
  const cams: BundleCam[] = [];
  for (const ex of exs) {
    const { cam, layerBin, inputBin } = bundleCam(ex, modelLayers);
    ctx.written.push(await ctx.staging.write([...dir, cam.files.layer], layerBin));
    ctx.written.push(await ctx.staging.write([...dir, cam.files.input], inputBin));
    cams.push(cam);
  }
  const [H, W] = info.pre.size;
  ctx.written.push(await ctx.staging.write([...dir, 'input.png'], await encodePng(info.crop, W, H, 3)));
  const frames: string[] = [];
  for (const [t, f] of (info.frames ?? []).entries()) {
    frames.push(`input-${t}.png`);
    ctx.written.push(await ctx.staging.write([...dir, frames[t]], await encodePng(f, W, H, 3)));
  }
  const input = info.model.inputs[0];
  const contract = info.model.contract!;
  const manifest: BundleManifest = {
    version: 1,
    generator: 'camanim 0.1.0',
    created: new Date().toISOString(),
    model: {
      file: basename(info.modelPath),
      path: info.modelPath,
      input: { name: input.name, shape: input.shape },
      output: { name: contract.output.name, shape: contract.output.shape },
      classes: contract.output.classes,
    },
    image: {
      source: resolve(info.image.file),
      file: 'input.png',
      width: W,
      height: H,
      original: { width: info.image.width, height: info.image.height },
      ...(frames.length ? { frames } : {}),
    },
    inputShape: info.shape,
    contract: { ...contract, summary: describeContract(contract) },
    prediction: info.top.map((t) => ({ class: t.class, label: t.label, logit: t.logit, probability: t.probability })),
    normalization: info.normalization,
    colormap: info.colormap,
    endianness: 'little',
    dtype: 'float32',
    method: cams[0].method,
    methods: [...new Set(cams.map((c) => c.method))],
    target: cams[0].target,
    score: cams[0].score,
    files: cams[0].files,
    layers: cams[0].layers,
    cams,
    ...(cams[0].ybroad ? { ybroad: cams[0].ybroad } : {}),
  };
  ctx.written.push(await ctx.staging.write([...dir, 'manifest.json'], `${JSON.stringify(manifest, null, 2)}\n`));
}
