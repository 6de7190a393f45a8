/**
 * torchvision-style preprocessing: resize the shorter side, centre-crop to the model's input
 * H×W, scale to [0, 1], normalize with mean/std (ImageNet's unless the model's JSON gives its
 * own), grayscale for C = 1 (ITU-R 601-2 luma, as PIL's convert('L')), NCHW or NHWC.
 */
import sharp from 'sharp';
import { CamanimError, type ModelInput } from '@camanim/core';
import { cliError } from './errors.ts';
import type { RgbImage } from './image.ts';
import type { ModelMeta } from './model-meta.ts';

export interface InputLayout {
  readonly layout: 'NCHW' | 'NHWC';
  readonly channels: 1 | 3;
  /** Undefined when the model leaves them symbolic. */
  readonly height?: number;
  readonly width?: number;
}

export interface Preprocessing {
  readonly preset: string;
  /** Shorter side after resizing, before the crop. */
  readonly resize: number;
  readonly crop: readonly [number, number];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  readonly scale: string;
  readonly layout: 'NCHW' | 'NHWC';
  readonly channels: 1 | 3;
}

export interface Preprocessed {
  /** The model input [1, C, H, W] (or [1, H, W, C]). */
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** What the model sees, before normalization: H·W·3 RGB bytes. */
  readonly crop: Buffer;
  /** The crop's box in the resized image and the resized size (for display at other sizes). */
  readonly resized: { width: number; height: number; left: number; top: number };
}

const IMAGENET = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
/** A common grayscale stand-in for ImageNet statistics: the channel averages. */
const IMAGENET_GRAY = { mean: [0.449], std: [0.226] };

export function inputLayout(input: ModelInput, source: string): InputLayout {
  const d = input.dims;
  const known = (k: number) => (typeof d[k] === 'number' && (d[k] as number) > 0 ? (d[k] as number) : undefined);
  if (d.length !== 4) {
    throw new CamanimError('bad-model', `camanim needs a 4-D image input, '${input.name}' is [${d.join(', ')}]`, { file: source, tensor: input.name }, 'Export the model with an [N, C, H, W] image input');
  }
  const c1 = known(1);
  const c3 = known(3);
  if (c1 === 1 || c1 === 3) return { layout: 'NCHW', channels: c1, height: known(2), width: known(3) };
  if (c3 === 1 || c3 === 3) return { layout: 'NHWC', channels: c3, height: known(1), width: known(2) };
  throw new CamanimError('bad-model', `Input '${input.name}' [${d.join(', ')}] has no channel axis of size 1 or 3`, { file: source, tensor: input.name }, 'camanim explains RGB or grayscale image models');
}

export function preprocessing(layout: InputLayout, height: number, width: number, meta: ModelMeta): Preprocessing {
  const preset = meta.mean && meta.std ? { mean: meta.mean, std: meta.std } : layout.channels === 1 ? IMAGENET_GRAY : IMAGENET;
  const fit = (xs: readonly number[], what: string) => {
    if (xs.length === layout.channels) return [...xs];
    if (xs.length === 1) return Array(layout.channels).fill(xs[0]);
    if (layout.channels === 1 && xs.length === 3) return [xs.reduce((a, b) => a + b, 0) / 3];
    throw cliError(`The model JSON gives ${xs.length} ${what} values for a ${layout.channels}-channel input`, { file: meta.file }, `Give 1 or ${layout.channels} values`);
  };
  return {
    preset: meta.mean && meta.std ? 'model JSON' : 'imagenet',
    resize: meta.resize ?? Math.round((Math.min(height, width) * 256) / 224),
    crop: [height, width],
    mean: fit(preset.mean, 'mean'),
    std: fit(preset.std, 'std'),
    scale: 'pixel / 255, then (x - mean) / std',
    layout: layout.layout,
    channels: layout.channels,
  };
}

/** The resized size and crop box of an image (torchvision Resize(shorter side) + CenterCrop). */
export function cropBox(image: { width: number; height: number }, resize: number, crop: readonly [number, number], zoom = 1) {
  const [H, W] = crop;
  const s = Math.max(resize / Math.min(image.width, image.height), H / image.height, W / image.width) * zoom;
  const width = Math.max(Math.round(W * zoom), Math.floor(image.width * s));
  const height = Math.max(Math.round(H * zoom), Math.floor(image.height * s));
  return { width, height, left: Math.round((width - W * zoom) / 2), top: Math.round((height - H * zoom) / 2) };
}

export async function preprocess(image: RgbImage, pre: Preprocessing): Promise<Preprocessed> {
  const [H, W] = pre.crop;
  const box = cropBox(image, pre.resize, pre.crop);
  const crop = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(box.width, box.height, { fit: 'fill', kernel: 'linear' })
    .extract({ left: box.left, top: box.top, width: W, height: H })
    .raw()
    .toBuffer();
  const C = pre.channels;
  const data = new Float32Array(C * H * W);
  for (let p = 0; p < H * W; p++) {
    const r = crop[p * 3] / 255;
    const g = crop[p * 3 + 1] / 255;
    const b = crop[p * 3 + 2] / 255;
    const px = C === 1 ? [0.299 * r + 0.587 * g + 0.114 * b] : [r, g, b];
    for (let c = 0; c < C; c++) {
      const v = (px[c] - pre.mean[c]) / pre.std[c];
      data[pre.layout === 'NCHW' ? c * H * W + p : p * C + c] = v;
    }
  }
  const shape = pre.layout === 'NCHW' ? [1, C, H, W] : [1, H, W, C];
  return { data, shape, crop, resized: box };
}

/** The same crop at display size, RGB in 0..1, [h, w, 3] (sharper than upscaling the crop). */
export async function displayImage(image: RgbImage, pre: Preprocessing, width: number, height: number): Promise<Float32Array> {
  const zoom = width / pre.crop[1];
  const box = cropBox(image, pre.resize, pre.crop, zoom);
  const rgb = await sharp(image.rgb, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(box.width, box.height, { fit: 'fill' })
    .extract({ left: Math.min(box.left, box.width - width), top: Math.min(box.top, box.height - height), width, height })
    .raw()
    .toBuffer();
  const out = new Float32Array(width * height * 3);
  for (let i = 0; i < out.length; i++) out[i] = rgb[i] / 255;
  if (pre.channels === 1) {
    for (let p = 0; p < width * height; p++) out[p * 3] = out[p * 3 + 1] = out[p * 3 + 2] = 0.299 * out[p * 3] + 0.587 * out[p * 3 + 1] + 0.114 * out[p * 3 + 2];
  }
  return out;
}
