/**
 * The input contract: how an image becomes the model's input tensor. Size, layout, channel
 * order, pixel scale, mean/std and resize policy, each read from the first source that states
 * it, highest first: what the caller gives (CLI flags, library options), the sidecar JSON, the
 * model itself (fixed dims, metadata_props), then a named preset. Nothing is guessed: what no
 * source states is either a documented default that cannot change the model's numbers (the
 * resize policy, RGB order) or a refusal that says what to pass.
 */
import { CamanimError } from '../errors.ts';
import { isUnbatchedImage } from '../graph/batch-axis.ts';
import type { Graph, GraphValue } from '../graph/ir.ts';
import type { ChannelOrder, InputRequest, Layout, PadAlign, PixelScale, ResizePolicy } from './input-request.ts';
import { RESIZE_POLICIES } from './input-request.ts';
import { planeAxes, resolveFrames, type FrameAxis } from './frames.ts';
import { metadataRequest } from './model-metadata.ts';
import { isPresetName, PRESET_NAMES, PRESETS } from './presets.ts';
import { totalStride } from './total-stride.ts';

export type { ChannelOrder, InputRequest, Layout, PadAlign, PixelScale, ResizePolicy } from './input-request.ts';
export { RESIZE_POLICIES } from './input-request.ts';

export type ContractField = 'size' | 'layout' | 'order' | 'scale' | 'mean' | 'std' | 'resize';

export interface InputContract {
  /** [H, W] of the model input. */
  readonly size: readonly [number, number];
  /** Video and volume inputs [N, C, T, H, W] only: T and where it came from (frames.ts). */
  readonly frames?: FrameAxis;
  /** The model's own layout (a channels-last model gets camanim's channels-first adapter). */
  readonly layout: Layout;
  readonly channels: 1 | 3;
  readonly order: ChannelOrder;
  readonly scale: PixelScale;
  /** One value per model channel (R, G, B order for 3; the luma's for 1). */
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly resize: ResizePolicy;
  readonly cropFraction: number;
  readonly align: PadAlign;
  /** Where each field came from ("--mean", "model JSON m.json", "model graph", "preset imagenet (--preset)", "default …"). */
  readonly sources: Readonly<Record<ContractField, string>>;
}

export interface ContractSource {
  /** Named in messages and in `sources`: "--flags", "model JSON /path/m.json", "loadModel options". */
  readonly from: string;
  readonly request: InputRequest;
}

export interface ResolveOptions {
  /** The image's size: used for the input size when the model leaves H/W symbolic and nothing gives it. */
  readonly image?: { readonly width: number; readonly height: number };
  readonly onNotice?: (message: string) => void;
  /** false: mean/std may be missing (listing layers needs no pixels); they are then 0 and 1. */
  readonly requireNormalization?: boolean;
}

/** The longest side camanim picks from an image by itself (larger images are scaled down to it). */
export const MAX_AUTO_SIDE = 1024;

const SIZE_HINT = 'Pass --input-size HxW (library: input.size)';
const NORM_HINT = `Pass --preset ${PRESET_NAMES.join('|')} (the viewer: its preprocess menu; the library: input.preset), or --mean r,g,b --std r,g,b (with --scale 255 for 0..255 pixels), or write them in the model's sidecar JSON (preprocess.mean/std)`;

export function resolveInputContract(graph: Graph, given: readonly ContractSource[], opts: ResolveOptions = {}): InputContract {
  const input = imageInputOf(graph);
  const where = { file: graph.source, tensor: input.name };
  for (const s of given) checkRequest(s, where);
  const layers = [...given, modelRequest(graph, input), ...presetLayers(given, where)];
  const pick = <K extends keyof InputRequest>(field: K): { value: NonNullable<InputRequest[K]>; from: string } | undefined => {
    for (const l of layers)
      if (l.request[field] !== undefined) return { value: l.request[field] as NonNullable<InputRequest[K]>, from: l.from };
    return undefined;
  };
  const layout = resolveLayout(input, pick('layout'), where);
  const cAxis = layout.value === 'NCHW' ? 1 : 3;
  const channels = input.dims[cAxis] as 1 | 3;
  const size = resolveSize(graph, input, layout.value, pick('size'), opts, where);
  const frames = resolveFrames(input, layout.value, pick('frames'), where);
  const unneeded = opts.requireNormalization === false ? { value: [0], from: 'not needed (no pixels are fed)' } : undefined;
  const mean = pick('mean') ?? unneeded;
  const std = pick('std') ?? (unneeded && { value: [1], from: unneeded.from });
  if (!mean || !std) {
    throw new CamanimError(
      'bad-input',
      `Nothing says how '${input.name}' is normalized: the model states no mean/std${given.length ? ` and neither do ${given.map((g) => g.from).join(', ')}` : ''}`,
      where,
      NORM_HINT,
    );
  }
  const scale = pick('scale') ?? defaultScale(mean, where);
  // A source that gives the crop (its fraction, or torchvision's shorter side) states the crop policy too.
  const crop = layers.find((x) => x.request.cropFraction !== undefined || x.request.shorterSide !== undefined);
  const spoke = layers.find((x) => x.request.resize !== undefined || x === crop);
  const resize = spoke ? { value: spoke.request.resize ?? ('crop' as const), from: spoke.from } : undefined;
  return {
    size: size.value,
    ...(frames ? { frames } : {}),
    layout: layout.value,
    channels,
    order: pick('order')?.value ?? 'RGB',
    scale: scale.value,
    mean: perChannel(mean.value, channels, `mean (${mean.from})`, where),
    std: perChannel(std.value, channels, `std (${std.from})`, where),
    resize: resize?.value ?? 'crop',
    cropFraction: crop
      ? (crop.request.cropFraction ?? Math.min(1, Math.min(size.value[0], size.value[1]) / crop.request.shorterSide!))
      : 1,
    align: pick('align')?.value ?? 'center',
    sources: {
      size: size.from,
      layout: layout.from,
      order: pick('order')?.from ?? 'default (RGB; --bgr for BGR models)',
      scale: scale.from,
      mean: mean.from,
      std: std.from,
      resize: resize?.from ?? 'default (centre crop; --resize pad|stretch keeps the whole image)',
    },
  };
}

/**
 * The one 4-D image input (or 5-D video input [N, C, T, H, W]; an unbatched [C, H, W] one as
 * [1, C, H, W], the batch axis adapter's: graph/batch-axis.ts), or a refusal that says what camanim explains.
 */
export function imageInputOf(graph: Graph): GraphValue {
  if (isUnbatchedImage(graph)) return { ...graph.inputs[0], dims: [1, ...graph.inputs[0].dims] };
  const list = graph.inputs.map((i) => `${i.name} [${i.dims.join(', ')}]`).join('; ');
  if (graph.inputs.length !== 1 || graph.inputs[0].dims.length < 4 || graph.inputs[0].dims.length > 5) {
    throw new CamanimError(
      'bad-model',
      `camanim explains models with one image input ([N, C, H, W], [N, H, W, C] or [C, H, W]) or video input ([N, C, T, H, W]); this model has: ${list || 'no inputs'}`,
      { file: graph.source },
      'Export the model with a single image or video input',
    );
  }
  return graph.inputs[0];
}

/** Whether the image input leaves H or W open (the size then comes from a source or the image). */
export function symbolicSize(graph: Graph): boolean {
  const d = imageInputOf(graph).dims;
  const axes = planeAxes(d, inferLayout(d));
  return axes.some((k) => !(typeof d[k] === 'number' && (d[k] as number) > 0));
}

function modelRequest(graph: Graph, input: GraphValue): ContractSource {
  // The size is not stated here: its axes depend on the layout resolved from every source
  // (resolveSize reads the fixed dims at those axes).
  const layout = inferLayout(input.dims);
  const meta = metadataRequest(graph);
  return {
    from: meta ? 'model graph and metadata_props' : 'model graph',
    request: { ...(meta ?? {}), ...(layout ? { layout } : {}) },
  };
}

/** NCHW when axis 1 holds 1 or 3 channels, NHWC when only axis 3 does (tf2onnx, Keras); a video input is channels-first only. */
function inferLayout(d: readonly (number | string)[]): Layout | undefined {
  const channels = (k: number) => d[k] === 1 || d[k] === 3;
  if (channels(1)) return 'NCHW';
  if (d.length === 5) return undefined;
  if (channels(3)) return 'NHWC';
  return undefined;
}

function resolveLayout(
  input: GraphValue,
  picked: { value: Layout; from: string } | undefined,
  where: { file: string; tensor: string },
): { value: Layout; from: string } {
  const shape = `[${input.dims.join(', ')}]`;
  if (!picked) {
    throw new CamanimError(
      'bad-model',
      `Input '${input.name}' ${shape} has no channel axis of size 1 or 3 at position 1 (NCHW) or 3 (NHWC)`,
      where,
      'camanim explains RGB or grayscale image models; if the channel dim is symbolic, re-export with it fixed',
    );
  }
  const c = input.dims[picked.value === 'NCHW' ? 1 : 3];
  if (c !== 1 && c !== 3) {
    throw new CamanimError(
      'bad-input',
      `${picked.from} says ${picked.value}, but input '${input.name}' ${shape} has ${typeof c === 'number' ? `${c} channels` : `a symbolic dim '${c}'`} on that axis`,
      where,
      `Leave the layout to the model, or pass the other one (--layout ${picked.value === 'NCHW' ? 'nhwc' : 'nchw'})`,
    );
  }
  return picked;
}

function resolveSize(
  graph: Graph,
  input: GraphValue,
  layout: Layout,
  picked: { value: readonly [number, number]; from: string } | undefined,
  opts: ResolveOptions,
  where: { file: string; tensor: string },
): { value: readonly [number, number]; from: string } {
  const axes = planeAxes(input.dims, layout);
  const fixed = axes.map((k) =>
    typeof input.dims[k] === 'number' && (input.dims[k] as number) > 0 ? (input.dims[k] as number) : undefined,
  );
  if (picked) {
    const bad = picked.value.findIndex((v, i) => fixed[i] !== undefined && fixed[i] !== v);
    if (bad >= 0) {
      throw new CamanimError(
        'bad-input',
        `${picked.from} asks for ${picked.value.join('×')}, but the model's input '${input.name}' is fixed at ${fixed.map((f, i) => f ?? `${input.dims[axes[i]]}`).join('×')}`,
        where,
        `Leave the size to the model, or give ${fixed.map((f, i) => f ?? picked.value[i]).join('x')}`,
      );
    }
    return picked;
  }
  if (fixed[0] !== undefined && fixed[1] !== undefined) return { value: [fixed[0], fixed[1]], from: 'model graph' };
  const symbolic = axes
    .filter((_, i) => fixed[i] === undefined)
    .map((k) => `'${input.dims[k]}'`)
    .join(' and ');
  if (!opts.image) {
    throw new CamanimError(
      'bad-input',
      `The model's input '${input.name}' [${input.dims.join(', ')}] leaves ${symbolic} symbolic and nothing gives the input size`,
      where,
      SIZE_HINT,
    );
  }
  const stride = totalStride(graph);
  let { width, height } = opts.image;
  // A fixed axis sets the scale; the image keeps its aspect on the other one.
  const k =
    fixed[0] !== undefined
      ? fixed[0] / height
      : fixed[1] !== undefined
        ? fixed[1] / width
        : Math.min(1, MAX_AUTO_SIDE / Math.max(width, height));
  height *= k;
  width *= k;
  const round = (v: number, s: number) => Math.max(s, Math.round(v / s) * s);
  const value = [fixed[0] ?? round(height, stride[0]), fixed[1] ?? round(width, stride[1])] as const;
  const scaled = k < 1 && fixed.every((f) => f === undefined) ? `, scaled down to at most ${MAX_AUTO_SIDE} pixels a side` : '';
  opts.onNotice?.(
    `notice: the model leaves ${symbolic} symbolic: using ${value[0]}×${value[1]}, the image's own size${scaled}, rounded to a multiple of the model's total stride ${stride[0]}×${stride[1]}; ${SIZE_HINT.replace('Pass', 'pass')} to choose`,
  );
  return { value, from: `the image (${opts.image.width}×${opts.image.height}, rounded to the stride ${stride[0]}×${stride[1]})` };
}

function defaultScale(
  mean: { value: readonly number[]; from: string },
  where: { file: string; tensor: string },
): { value: PixelScale; from: string } {
  if (mean.value.some((m) => m > 1)) {
    throw new CamanimError(
      'bad-input',
      `The mean (${mean.from}) is ${mean.value.join(', ')}: values above 1 are 0..255 pixels, but nothing gives the pixel scale`,
      where,
      'Pass --scale 255 (library: input.scale = 255) if the model takes 0..255 pixels',
    );
  }
  return { value: 1, from: 'default (pixels / 255; --scale 255 for 0..255 models)' };
}

function perChannel(xs: readonly number[], channels: 1 | 3, what: string, where: { file: string; tensor: string }): number[] {
  if (xs.length === channels) return [...xs];
  if (xs.length === 1) return Array(channels).fill(xs[0]);
  // A grayscale model with RGB statistics: their average (a common stand-in).
  if (channels === 1 && xs.length === 3) return [(xs[0] + xs[1] + xs[2]) / 3];
  throw new CamanimError(
    'bad-input',
    `The ${what} has ${xs.length} values for a ${channels}-channel input`,
    where,
    `Give 1 or ${channels} values`,
  );
}

function presetLayers(given: readonly ContractSource[], where: { file: string; tensor: string }): ContractSource[] {
  return given
    .filter((g) => g.request.preset !== undefined)
    .map((g) => {
      const name = g.request.preset!.trim().toLowerCase();
      if (!isPresetName(name))
        throw new CamanimError(
          'bad-input',
          `Unknown preset '${g.request.preset}' (${g.from})`,
          where,
          `Known presets: ${PRESET_NAMES.join(', ')}`,
        );
      return { from: `preset ${name} (${g.from})`, request: PRESETS[name] };
    });
}

/** Values from strangers (sidecar files, library callers) are checked before they are used. */
function checkRequest(s: ContractSource, where: { file: string; tensor: string }): void {
  const r = s.request;
  const bad = (what: string, hint: string) => new CamanimError('bad-input', `${s.from}: ${what}`, where, hint);
  if (r.frames !== undefined && !(Number.isInteger(r.frames) && r.frames > 0 && r.frames <= 4096))
    throw bad(
      `frames ${JSON.stringify(r.frames)} is not an integer in 1..4096`,
      'Give the number of frames the model takes, e.g. 8',
    );
  if (r.size && !(r.size.length === 2 && r.size.every((v) => Number.isInteger(v) && v > 0 && v <= 16384)))
    throw bad(`input size ${JSON.stringify(r.size)} is not two integers in 1..16384`, 'Give it as HxW, e.g. 224x224');
  for (const [name, xs] of [
    ['mean', r.mean],
    ['std', r.std],
  ] as const) {
    if (xs && !(xs.length > 0 && xs.length <= 4 && xs.every((v) => Number.isFinite(v))))
      throw bad(`${name} ${JSON.stringify(xs)} is not 1 or 3 finite numbers`, `Give ${name} as r,g,b`);
  }
  if (r.std?.some((v) => v <= 0)) throw bad(`std ${r.std.join(', ')} has a value ≤ 0`, 'Every std must be positive');
  if (r.scale !== undefined && r.scale !== 1 && r.scale !== 255)
    throw bad(`scale ${r.scale} is neither 1 nor 255`, 'Use 1 (pixels / 255) or 255 (pixels as they are)');
  if (r.layout !== undefined && r.layout !== 'NCHW' && r.layout !== 'NHWC')
    throw bad(`layout '${r.layout}' is neither NCHW nor NHWC`, 'Use nchw or nhwc');
  if (r.order !== undefined && r.order !== 'RGB' && r.order !== 'BGR')
    throw bad(`channel order '${r.order}' is neither RGB nor BGR`, 'Use RGB or BGR');
  if (r.resize !== undefined && !RESIZE_POLICIES.includes(r.resize))
    throw bad(`resize '${r.resize}' is none of ${RESIZE_POLICIES.join(', ')}`, `Use one of ${RESIZE_POLICIES.join(', ')}`);
  if (r.cropFraction !== undefined && !(r.cropFraction > 0 && r.cropFraction <= 1))
    throw bad(`crop fraction ${r.cropFraction} is not within (0, 1]`, 'torchvision crops 224 of 256: 0.875');
  if (r.shorterSide !== undefined && !(Number.isInteger(r.shorterSide) && r.shorterSide > 0))
    throw bad(`resize ${r.shorterSide} is not a positive integer`, 'Give the shorter side before the centre crop, e.g. 256');
  if (r.align !== undefined && r.align !== 'center' && r.align !== 'start')
    throw bad(`pad alignment '${r.align}' is neither center nor start`, 'Use center or start');
}
