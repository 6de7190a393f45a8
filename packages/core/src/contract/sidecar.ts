/**
 * A model's sidecar JSON (`m.json` beside `m.onnx`): class labels, the output to explain and the
 * input contract. Parsed from text so the CLI (a file) and the viewer (a dropped file) share it.
 * A field that is present but malformed is an error naming it; unknown fields are ignored.
 *
 * { "labels": ["cat", …], "output": "logits",
 *   "preprocess": { "preset": "imagenet", "size": [H, W] | "HxW", "layout": "NCHW" | "NHWC",
 *                   "order": "RGB" | "BGR", "scale": 1 | 255, "mean": [r, g, b], "std": [r, g, b],
 *                   "resize": "crop" | "pad" | "stretch" | <shorter side before the crop>,
 *                   "cropFraction": 0.875, "align": "center" | "start",
 *                   "frames": T (video inputs [N, C, T, H, W] with a symbolic T) } }
 *
 * Older sidecars (the bundled model's) wrote `channels: "RGB"` for the order and a sentence for
 * `scale` ("pixel / 255, …"); both are read.
 */
import { CamanimError } from '../errors.ts';
import type { InputRequest } from './input-request.ts';
import { parseSize } from './parse.ts';

export interface Sidecar {
  readonly file: string;
  readonly labels?: readonly string[];
  readonly output?: string;
  readonly input: InputRequest;
}

export function parseSidecar(text: string, file: string): Sidecar {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new CamanimError(
      'bad-input',
      `The model's JSON is not valid: ${(cause as Error).message}`,
      { file },
      'Fix or remove the file',
      { cause },
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new CamanimError('bad-input', "The model's JSON is not an object", { file }, 'Fix or remove the file');
  const root = json as Record<string, unknown>;
  const bad = (field: string, expected: string) =>
    new CamanimError(
      'bad-input',
      `The model's JSON has a malformed '${field}': expected ${expected}`,
      { file },
      'Fix the field or remove it',
    );
  const labels = root.labels;
  if (labels !== undefined && !(Array.isArray(labels) && labels.every((l) => typeof l === 'string')))
    throw bad('labels', 'an array of strings');
  const out = root.output;
  const output =
    typeof out === 'string'
      ? out
      : typeof out === 'object' && out !== null && typeof (out as { name?: unknown }).name === 'string'
        ? (out as { name: string }).name
        : undefined;
  if (out !== undefined && output === undefined) throw bad('output', 'a tensor name');
  const pre = root.preprocess ?? {};
  if (typeof pre !== 'object' || pre === null || Array.isArray(pre)) throw bad('preprocess', 'an object');
  const p = pre as Record<string, unknown>;
  const numbers = (k: string) => {
    const x = p[k];
    if (x === undefined) return undefined;
    if (!(Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'number' && Number.isFinite(v))))
      throw bad(`preprocess.${k}`, 'an array of numbers');
    return x as number[];
  };
  const oneOf = <T extends string>(k: string, values: readonly T[], raw = p[k]): T | undefined => {
    if (raw === undefined) return undefined;
    const v = typeof raw === 'string' ? values.find((x) => x.toLowerCase() === raw.trim().toLowerCase()) : undefined;
    if (v === undefined) throw bad(`preprocess.${k}`, values.join(' or '));
    return v;
  };
  const scale =
    p.scale === undefined || (typeof p.scale === 'string' && p.scale.startsWith('pixel / 255'))
      ? p.scale === undefined
        ? undefined
        : 1
      : p.scale;
  if (scale !== undefined && scale !== 1 && scale !== 255) throw bad('preprocess.scale', '1 (pixels / 255) or 255');
  const size =
    p.size === undefined
      ? undefined
      : Array.isArray(p.size)
        ? p.size
        : typeof p.size === 'string'
          ? parseSize(p.size)
          : undefined;
  if (p.size !== undefined && !(Array.isArray(size) && size.length === 2 && size.every((v) => Number.isInteger(v) && v > 0)))
    throw bad('preprocess.size', '[H, W] or "HxW"');
  const resize = typeof p.resize === 'number' ? undefined : oneOf('resize', ['crop', 'pad', 'stretch'] as const);
  if (p.cropFraction !== undefined && typeof p.cropFraction !== 'number')
    throw bad('preprocess.cropFraction', 'a number in (0, 1]');
  if (p.preset !== undefined && typeof p.preset !== 'string') throw bad('preprocess.preset', 'a preset name');
  if (p.frames !== undefined && !(Number.isInteger(p.frames) && (p.frames as number) > 0))
    throw bad('preprocess.frames', 'a positive whole number of frames');
  const input: InputRequest = {
    preset: p.preset as string | undefined,
    size: size as [number, number] | undefined,
    frames: p.frames as number | undefined,
    layout: oneOf('layout', ['NCHW', 'NHWC'] as const),
    order: oneOf('order', ['RGB', 'BGR'] as const) ?? oneOf('channels', ['RGB', 'BGR'] as const),
    scale: scale as 1 | 255 | undefined,
    mean: numbers('mean'),
    std: numbers('std'),
    resize,
    shorterSide: typeof p.resize === 'number' ? p.resize : undefined,
    cropFraction: p.cropFraction as number | undefined,
    align: oneOf('align', ['center', 'start'] as const),
  };
  return { file, labels: labels as string[] | undefined, output, input: withoutUndefined(input) };
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
