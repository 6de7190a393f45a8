/**
 * `--format bundle`: <dir>/bundle/ with every explanation's layer and input maps (bundle.ts'
 * bundleCam), the input as the model saw it (input.png, and input-<t>.png per frame of a video
 * model) and manifest.json, the viewer's way in.
 */
import { basename, resolve } from 'node:path';
import { describeContract, type InputContract, type Model } from '@camanim/core';
import { bundleCam, type BundleCam, type BundleManifest } from '../bundle.ts';
import { encodePng, type RgbImage } from '../image.ts';
import type { Explanation, RenderContext } from '../render.ts';

export interface BundleInfo {
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

export async function writeBundle(ctx: RenderContext, exs: readonly Explanation[], info: BundleInfo): Promise<void> {
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
