/**
 * From a CamStack to files: normalize (global / local / both, cam-methods' normalizeMaps),
 * colour and overlay on the GPU, compose labelled frames, and encode the requested formats
 * (GIF, MP4, WebM, PNG frames) into the staging folder.
 */
import {
  normalizeMaps,
  range,
  targetKindSuffix,
  type CamStack,
  type GuidedGradient,
  type Normalization,
  type YbRoad,
} from '@camanim/cam-methods';
import type { Runtime } from '@camanim/core';
import type { ColormapName } from '@camanim/shaders';
import type { Format, NormalizationChoice } from './options.ts';
import { sanitizeName, type Staging } from './staging.ts';
import { conceptPanels } from './concepts.ts';
import { composeFrames, fmt, frameLayout, type FrameLayout, type FrameText } from './frames.ts';
import { GifStream } from './gif.ts';
import { encodePng } from './image.ts';
import { renderOverlays } from './overlay.ts';
import type { Progress, Step } from './progress.ts';
import type { ScoredMetric } from './metrics.ts';
import type { ChosenTarget } from './target.ts';
import { encodeVideo, type VideoFormat } from './video.ts';

export interface RenderContext {
  readonly rt: Runtime;
  readonly staging: Staging;
  /** Folder (sanitized) of this image inside --out. */
  readonly dir: string;
  readonly progress: Progress;
  readonly formats: ReadonlySet<Format>;
  readonly normalization: NormalizationChoice;
  readonly colormap: ColormapName;
  readonly alpha: number;
  readonly fps: number;
  readonly ffmpeg?: string;
  readonly env: NodeJS.ProcessEnv;
  /** The display image, RGB 0..1, panelW × panelH. */
  readonly display: Float32Array;
  /** Video models: every input frame at display size (the animation runs through them per layer). */
  readonly frames?: readonly Float32Array[];
  readonly panelW: number;
  readonly panelH: number;
  readonly colorbar: Uint8Array;
  /** Model shape of each layer, by ONNX name. */
  readonly modelShapes: ReadonlyMap<string, readonly number[]>;
  /** Files written (staging paths). */
  readonly written: string[];
}

export interface Explanation {
  readonly stem: string;
  readonly methodId: string;
  readonly methodTitle: string;
  readonly target: ChosenTarget;
  readonly stack: CamStack;
  /** ybROAD of the stack (explain --ybroad, --metrics road). */
  readonly ybroad?: YbRoad;
  /** The other metrics of the stack (explain --metrics). */
  readonly metrics?: readonly ScoredMetric[];
  /** The guided input gradient (explain --method guided-gradcam), written as images. */
  readonly guided?: GuidedGradient;
}

export function modes(choice: NormalizationChoice): Normalization[] {
  return choice === 'both' ? ['global', 'local'] : [choice];
}

/** ReLU'd maps normalized per mode, and the [0, max] range each panel caption shows. */
export function normalized(stack: CamStack, mode: Normalization): { maps: Float32Array[]; captions: string[] } {
  const maps = normalizeMaps(
    stack.layers.map((l) => l.upsampled),
    mode,
  );
  const maxima = stack.layers.map((l) => Math.max(0, range(l.upsampled).max));
  const globalMax = Math.max(0, ...maxima);
  const captions = maxima.map((m) => `${mode} · 0 to ${fmt(mode === 'global' ? globalMax : m)}`);
  return { maps, captions };
}

export function frameText(ctx: RenderContext, stack: CamStack, k: number, detail: string, yb?: YbRoad): FrameText {
  const l = stack.layers[k];
  const shape = ctx.modelShapes.get(l.name) ?? l.shape;
  const road = yb?.series[k] ? ` · ROAD ${fmt(yb.series[k].road)}${k === yb.max.layer ? ' ★ ybROAD_max' : ''}` : '';
  return { title: `layer ${k + 1}/${stack.layers.length} · ${l.opType} · [${shape.join(', ')}]${road}`, name: l.name, detail };
}

/** The target of a frame: class, the score explained unless the logit, the logit and probability. */
export function targetText(t: ChosenTarget): string {
  if (t.caption) return t.caption;
  const name = t.label === `class ${t.class}` ? t.label : `${t.label} (class ${t.class})`;
  if (t.segment) return `${name} · ${(100 * t.probability).toFixed(1)}% of pixels · Σ score ${fmt(t.logit)}`;
  return `${name}${targetKindSuffix(t.kind)} · logit ${fmt(t.logit)} · p ${t.probability.toFixed(3)}`;
}

/** Maps (each mapH × mapW, in [0, 1]) coloured over `image` at the panel size: one RGBA panel per map. */
export function overlayPanels(
  ctx: RenderContext,
  maps: Float32Array[],
  mapH: number,
  mapW: number,
  image = ctx.display,
): Promise<Uint8Array[]> {
  const { panelH: outH, panelW: outW, colormap, alpha } = ctx;
  return renderOverlays(ctx.rt, { maps, mapH, mapW, image, outH, outW, colormap, alpha });
}

/**
 * Writes the animation formats of one explanation: a frame per layer, or for a video model a
 * frame per (layer, input frame), layer after layer, each layer playing the clip through time.
 */
export async function renderExplanation(ctx: RenderContext, ex: Explanation): Promise<void> {
  const L = ex.stack.layers.length;
  const [H, W] = ex.stack.inputShape.slice(-2);
  const displays = ctx.frames ?? [ctx.display];
  const T = displays.length;
  const perMode = modes(ctx.normalization).map((m) => ({ ...normalized(ex.stack, m) }));
  const layout = frameLayout(ctx.panelW, ctx.panelH, perMode.length);
  const gif = gifStream(ctx, layout);
  const frames = await ctx.progress.time(
    `frames ${ex.stem}`,
    async (step) => {
      // Per mode and input frame t: every layer's map at t over that frame.
      // Deep Feature Factorization's frames colour the concepts (concepts.ts), the same in every mode.
      const overlays: Uint8Array[][][] = ex.stack.layers[0]?.concepts
        ? perMode.map(() => [conceptPanels(ctx, ex.stack)])
        : await Promise.all(
            perMode.map((p) =>
              Promise.all(
                displays.map((image, t) =>
                  overlayPanels(
                    ctx,
                    p.maps.map((m) => m.subarray(t * H * W, (t + 1) * H * W)),
                    H,
                    W,
                    image,
                  ),
                ),
              ),
            ),
          );
      // Frame i: layer k = ⌊i / T⌋ at input frame t = i mod T; the GIF encoded as they come.
      const detail = `${ex.methodTitle} · ${targetText(ex.target)}`;
      return composeFrames(
        layout,
        ctx.colorbar,
        L * T,
        (i) => {
          const [k, t] = [Math.floor(i / T), i % T];
          const text = frameText(ctx, ex.stack, k, detail, ex.ybroad);
          return {
            panels: perMode.map((p, j) => ({ rgba: overlays[j][t][k], caption: p.captions[k] })),
            text: T > 1 ? { ...text, title: `${text.title} · frame ${t + 1}/${T}` } : text,
          };
        },
        framesTo(step, gif),
      );
    },
    L * T,
  );
  await writeAnimation(ctx, ex.stem, frames, layout, ex.stack, ctx.formats, T, gif);
}

/**
 * The GIF of an animation in `formats`, to feed its frames as composeFrames delivers them
 * (writeAnimation then only finishes it); undefined without 'gif'.
 */
export function gifStream(ctx: RenderContext, layout: FrameLayout, formats = ctx.formats): GifStream | undefined {
  return formats.has('gif') ? new GifStream(layout.width, layout.height, ctx.fps) : undefined;
}

/** composeFrames' onFrame: each frame into the GIF (if any) as it comes, and a tick of the progress step. */
export function framesTo(step: Step, gif?: GifStream): (frame: Buffer) => void {
  return (frame) => {
    gif?.add(frame);
    step.tick();
  };
}

/**
 * GIF / MP4 / WebM / PNG frames of already composed frames, `perLayer` of them for each layer in
 * order. `gif` holds the GIF's first frames already encoded (gifStream), if any.
 */
export async function writeAnimation(
  ctx: RenderContext,
  stem: string,
  frames: readonly Buffer[],
  layout: FrameLayout,
  stack: CamStack,
  formats = ctx.formats,
  perLayer = 1,
  gif?: GifStream,
): Promise<void> {
  const { width, height } = layout;
  if (formats.has('gif')) {
    const stream = gif ?? new GifStream(width, height, ctx.fps);
    const rest = frames.slice(stream.frames);
    await ctx.progress.time(
      `gif ${stem}`,
      async (step) => {
        for (const f of rest) {
          stream.add(f);
          step.tick();
        }
        ctx.written.push(await ctx.staging.write([ctx.dir, `${stem}.gif`], stream.finish()));
      },
      Math.max(1, rest.length),
    );
  }
  for (const format of ['mp4', 'webm'] as VideoFormat[]) {
    if (!formats.has(format) || !ctx.ffmpeg) continue;
    await ctx.progress.time(`${format} ${stem}`, async () => {
      const file = ctx.staging.path(ctx.dir, `${stem}.${format}`);
      await ctx.staging.write([ctx.dir, `${stem}.${format}`], ''); // creates the folder
      await encodeVideo(ctx.ffmpeg!, ctx.env, frames, width, height, ctx.fps, format, file);
      ctx.written.push(file);
    });
  }
  if (formats.has('png')) {
    const digits = Math.max(3, String(frames.length).length);
    await ctx.progress.time(
      `png ${stem}`,
      async (step) => {
        for (const [k, f] of frames.entries()) {
          const time = perLayer > 1 ? `-t${(k % perLayer) + 1}` : '';
          const name = `${String(k + 1).padStart(digits, '0')}-${sanitizeName(stack.layers[Math.floor(k / perLayer)].name, 60)}${time}.png`;
          ctx.written.push(await ctx.staging.write([ctx.dir, `${stem}-frames`, name], await encodePng(f, width, height, 4)));
          step.tick();
        }
      },
      frames.length,
    );
  }
}
