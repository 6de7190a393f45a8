/**
 * Hugging Face image processors, as `optimum-cli export onnx` leaves them beside model.onnx:
 * preprocessor_config.json (transformers' BaseImageProcessor fields: do_resize, size,
 * do_center_crop, crop_size, do_rescale, rescale_factor, do_normalize, image_mean, image_std)
 * and config.json (id2label). Read into the same InputRequest as camanim's own sidecar.
 * ViTImageProcessor resizes to `size` exactly (stretch); processors with do_center_crop resize the
 * shortest edge and centre-crop to `crop_size`; ConvNextImageProcessor resizes shortest_edge /
 * crop_pct and crops shortest_edge.
 */
import { CamanimError } from '../errors.ts';
import type { InputRequest } from './input-request.ts';

type Json = Record<string, unknown>;

export function parseHfPreprocessor(text: string, file: string): InputRequest {
  const j = parseObject(text, file);
  const bad = (field: string, expected: string) =>
    new CamanimError(
      'bad-input',
      `${file} has a malformed '${field}': expected ${expected}`,
      { file },
      'Fix the field, or pass the preprocessing with flags',
    );
  const numbers = (k: string) => {
    const x = j[k];
    if (x === undefined) return undefined;
    const xs = typeof x === 'number' ? [x] : x;
    if (!(Array.isArray(xs) && xs.length > 0 && xs.every((v) => typeof v === 'number' && Number.isFinite(v))))
      throw bad(k, 'a number or a list of numbers');
    return xs as number[];
  };
  const hw = (k: string): { size?: [number, number]; shortest?: number } | undefined => {
    const x = j[k];
    if (x === undefined || x === null) return undefined;
    if (typeof x === 'number') return { size: [x, x] };
    if (typeof x !== 'object') throw bad(k, '{ height, width } or { shortest_edge }');
    const o = x as Json;
    if (typeof o.height === 'number' && typeof o.width === 'number') return { size: [o.height, o.width] };
    if (typeof o.shortest_edge === 'number') return { shortest: o.shortest_edge };
    throw bad(k, '{ height, width } or { shortest_edge }');
  };
  const rescale =
    j.do_rescale === false
      ? undefined
      : typeof j.rescale_factor === 'number'
        ? j.rescale_factor
        : j.do_rescale === true
          ? 1 / 255
          : undefined;
  if (rescale !== undefined && Math.abs(rescale * 255 - 1) > 1e-6)
    throw bad('rescale_factor', '1/255 (camanim feeds 0..1 or 0..255 pixels)');
  const normalize = j.do_normalize !== false;
  const size = hw('size');
  const crop = j.do_center_crop === true ? hw('crop_size') : undefined;
  const request: InputRequest = {
    ...(j.do_rescale === false ? { scale: 255 as const } : rescale !== undefined ? { scale: 1 as const } : {}),
    ...(normalize
      ? {
          ...(numbers('image_mean') ? { mean: numbers('image_mean') } : {}),
          ...(numbers('image_std') ? { std: numbers('image_std') } : {}),
        }
      : { mean: [0], std: [1] }),
    ...(crop?.size
      ? { size: crop.size, resize: 'crop' as const, ...(size?.shortest ? { shorterSide: size.shortest } : {}) }
      : size?.shortest && typeof j.crop_pct === 'number'
        ? // ConvNextImageProcessor: the shortest edge resized to shortest_edge / crop_pct, then a shortest_edge crop
          { size: [size.shortest, size.shortest] as [number, number], resize: 'crop' as const, cropFraction: j.crop_pct }
        : size?.size
          ? { size: size.size, resize: 'stretch' as const }
          : {}),
  };
  return request;
}

/** config.json's id2label as a list, when it numbers 0..K−1. */
export function hfLabels(text: string, file: string): string[] | undefined {
  const j = parseObject(text, file);
  const map = j.id2label;
  if (typeof map !== 'object' || map === null) return undefined;
  const entries = Object.entries(map as Json);
  const labels: string[] = [];
  for (const [k, v] of entries) {
    const i = Number(k);
    if (!Number.isInteger(i) || i < 0 || i >= entries.length || typeof v !== 'string') return undefined;
    labels[i] = v;
  }
  return labels.length === entries.length ? labels : undefined;
}

function parseObject(text: string, file: string): Json {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (cause) {
    throw new CamanimError(
      'bad-input',
      `${file} is not valid JSON: ${(cause as Error).message}`,
      { file },
      'Fix or remove the file',
      { cause },
    );
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j))
    throw new CamanimError('bad-input', `${file} is not a JSON object`, { file }, 'Fix or remove the file');
  return j as Json;
}
