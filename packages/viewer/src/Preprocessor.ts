/**
 * The CLI's preprocessing in the page (packages/cli/src/preprocess.ts, which uses sharp):
 * resize the shorter side to `resize`, centre-crop to the model's H×W, pixel/255, then
 * (x − mean)/std, grayscale by ITU-R 601-2 luma for one channel, NCHW. When the image already
 * has the crop's size nothing is resampled, so the model sees exactly the CLI's numbers;
 * otherwise the browser's resampling stands in for sharp's.
 */
import { CamanimError, type ModelInput } from '@camanim/core';
import type { RgbImage } from './RgbImage.ts';

/** A model's sidecar JSON (m.json beside m.onnx): labels and preprocessing. */
export interface ModelMeta {
  readonly labels?: readonly string[];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  readonly resize?: number;
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
const IMAGENET_GRAY = { mean: [0.449], std: [0.226] };
/** Spatial size used when a model leaves its input H and W symbolic (as the CLI). */
export const DEFAULT_SPATIAL = 224;

export class Preprocessor {
  constructor(
    readonly channels: 1 | 3,
    readonly height: number,
    readonly width: number,
    readonly mean: readonly number[],
    readonly std: readonly number[],
    readonly resize: number,
  ) {}

  /** From the model's (channels-first) image input and its JSON; refuses inputs the CAM runner cannot explain. */
  static forInput(input: ModelInput, meta: ModelMeta, source: string): Preprocessor {
    const d = input.dims;
    const known = (k: number) => (typeof d[k] === 'number' && (d[k] as number) > 0 ? (d[k] as number) : undefined);
    if (d.length !== 4) throw new CamanimError('bad-model', `camanim needs a 4-D image input, '${input.name}' is [${d.join(', ')}]`, { file: source, tensor: input.name }, 'Export the model with an [N, C, H, W] image input');
    const c1 = known(1);
    if (c1 !== 1 && c1 !== 3) {
      throw new CamanimError('bad-model', `Input '${input.name}' [${d.join(', ')}] has no channel axis of size 1 or 3`, { file: source, tensor: input.name }, 'camanim explains RGB or grayscale image models');
    }
    const height = known(2) ?? DEFAULT_SPATIAL;
    const width = known(3) ?? DEFAULT_SPATIAL;
    const own = meta.mean && meta.std;
    const preset = own ? { mean: meta.mean!, std: meta.std! } : c1 === 1 ? IMAGENET_GRAY : IMAGENET;
    const fit = (xs: readonly number[]) => (xs.length === c1 ? [...xs] : xs.length === 1 ? Array(c1).fill(xs[0]) : c1 === 1 && xs.length === 3 ? [(xs[0] + xs[1] + xs[2]) / 3] : [...xs]);
    const mean = fit(preset.mean);
    const std = fit(preset.std);
    if (mean.length !== c1 || std.length !== c1 || std.some((s) => s === 0)) {
      throw new CamanimError('bad-input', `The model JSON's preprocess.mean/std do not fit a ${c1}-channel input (or std has a zero)`, { file: source }, `Give 1 or ${c1} values, none of std zero`);
    }
    return new Preprocessor(c1, height, width, mean, std, meta.resize ?? Math.round((Math.min(height, width) * 256) / 224));
  }

  /** Whether the model's input shape had to be fixed (symbolic H or W). */
  static symbolicSpatial(input: ModelInput): boolean {
    return input.dims.length === 4 && [2, 3].some((k) => typeof input.dims[k] !== 'number' || (input.dims[k] as number) <= 0);
  }

  get shape(): number[] {
    return [1, this.channels, this.height, this.width];
  }

  /** The crop the model sees (H×W) and the model input [1, C, H, W]. */
  apply(image: RgbImage): { crop: RgbImage; data: Float32Array } {
    const H = this.height;
    const W = this.width;
    const s = Math.max(this.resize / Math.min(image.width, image.height), H / image.height, W / image.width);
    const rw = Math.max(W, Math.floor(image.width * s));
    const rh = Math.max(H, Math.floor(image.height * s));
    const left = Math.round((rw - W) / 2);
    const top = Math.round((rh - H) / 2);
    const sx = rw / image.width;
    const sy = rh / image.height;
    const crop = rw === image.width && rh === image.height ? image.crop(left, top, W, H, W, H) : image.crop(left / sx, top / sy, W / sx, H / sy, W, H);
    const C = this.channels;
    const data = new Float32Array(C * H * W);
    const px = crop.rgba;
    for (let p = 0; p < H * W; p++) {
      const r = px[p * 4] / 255;
      const g = px[p * 4 + 1] / 255;
      const b = px[p * 4 + 2] / 255;
      if (C === 1) {
        data[p] = (0.299 * r + 0.587 * g + 0.114 * b - this.mean[0]) / this.std[0];
      } else {
        data[p] = (r - this.mean[0]) / this.std[0];
        data[H * W + p] = (g - this.mean[1]) / this.std[1];
        data[2 * H * W + p] = (b - this.mean[2]) / this.std[2];
      }
    }
    return { crop, data };
  }

  /** Reads the fields of a model JSON that matter here; ignores the rest. */
  static parseMeta(text: string, name: string): ModelMeta {
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(text);
    } catch (cause) {
      throw new CamanimError('bad-input', `The model's JSON is not valid: ${(cause as Error).message}`, { file: name }, 'Fix or leave out the .json', { cause });
    }
    const pre = (typeof json.preprocess === 'object' && json.preprocess !== null ? json.preprocess : {}) as Record<string, unknown>;
    const numbers = (x: unknown) => (Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (x as number[]) : undefined);
    return {
      labels: Array.isArray(json.labels) && json.labels.every((l) => typeof l === 'string') ? (json.labels as string[]) : undefined,
      mean: numbers(pre.mean),
      std: numbers(pre.std),
      resize: typeof pre.resize === 'number' && pre.resize > 0 ? pre.resize : undefined,
    };
  }
}
