/** The test case fields and data that Conv and ConvTranspose tests share. */
import { random, type OpInput } from './gpu.ts';

export interface ConvCase {
  name: string;
  /** [N, C, H, W] (or [N, C, L] for 1-D); W's layout is the op's. */
  x: number[];
  w: number[];
  strides?: number[];
  pads?: number[];
  dilations?: number[];
  group?: number;
  autoPad?: string;
  bias?: boolean;
  /** Weights and bias as graph inputs (packed by kernels) instead of initializers. */
  dynamic?: boolean;
}

export type ConvAttrs = Record<string, number | string | number[]>;

export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/**
 * X, W and (unless `bias: false`) a bias of `biasSize` values, random from seeds `seed`,
 * `seed + 1` and `seed + 2`, as op inputs, and the attributes the case sets plus `extra`.
 */
export function convCaseData(t: ConvCase, seed: number, biasSize: number, extra: ConvAttrs = {}) {
  const x = random(size(t.x), seed);
  const w = random(size(t.w), seed + 1);
  const b = t.bias === false ? undefined : random(biasSize, seed + 2);
  const inputs: OpInput[] = [
    { shape: t.x, data: x },
    { shape: t.w, data: w, constant: !t.dynamic },
  ];
  if (b) inputs.push({ shape: [biasSize], data: b, constant: !t.dynamic });
  const attrs: ConvAttrs = { group: t.group ?? 1 };
  if (t.strides) attrs.strides = t.strides;
  if (t.pads) attrs.pads = t.pads;
  if (t.dilations) attrs.dilations = t.dilations;
  if (t.autoPad) attrs.auto_pad = t.autoPad;
  return { x, w, b, inputs, attrs: { ...attrs, ...extra } };
}
