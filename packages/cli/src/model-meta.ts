/**
 * A model's sidecar JSON (`m.json` beside `m.onnx`, as the bundled model ships): class labels
 * and preprocessing. Only well-formed fields are taken; anything else in the file is ignored.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cliError } from './errors.ts';

export interface ModelMeta {
  readonly labels?: readonly string[];
  readonly mean?: readonly number[];
  readonly std?: readonly number[];
  /** Shorter side before the centre crop. */
  readonly resize?: number;
  readonly file?: string;
}

export function sidecarPath(modelPath: string): string {
  return modelPath.replace(/\.onnx$/i, '') + '.json';
}

export function readModelMeta(modelPath: string): ModelMeta {
  const file = sidecarPath(modelPath);
  if (!existsSync(file)) return {};
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw cliError(`The model's JSON is not valid: ${(cause as Error).message}`, { file }, 'Fix or remove the file', 'bad-input', cause);
  }
  const pre = (typeof json.preprocess === 'object' && json.preprocess !== null ? json.preprocess : {}) as Record<string, unknown>;
  const numbers = (x: unknown) => (Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'number' && Number.isFinite(v)) ? (x as number[]) : undefined);
  const labels = Array.isArray(json.labels) && json.labels.every((l) => typeof l === 'string') ? (json.labels as string[]) : undefined;
  const std = numbers(pre.std);
  if (std?.some((s) => s === 0)) throw cliError('The model JSON has a zero in preprocess.std', { file }, 'Fix the std values');
  return {
    file,
    labels,
    mean: numbers(pre.mean),
    std,
    resize: typeof pre.resize === 'number' && pre.resize > 0 ? pre.resize : undefined,
  };
}
