/**
 * Finite-difference check of VJPs: for L = Σ w ⊙ y with fixed random w, compare the backward
 * pass's dL/d(input) with central differences (L(x + εe) − L(x − εe)) / 2ε evaluated in
 * float64 on the host from float32 GPU forwards, at a sample of elements of each input.
 * Each element passes when |analytic − numeric| ≤ atol + tol · S, S the gradient's own scale
 * (the largest |numeric| over the checked elements of that input): relative to the gradient,
 * however small, with an absolute floor for one that vanishes.
 */
import { expect } from 'vitest';
import type { AttrValue } from '../src/graph/ir.ts';
import type { CustomTarget } from '../src/autodiff/targets.ts';
import { random, singleOpModel, type OpInput } from './gpu.ts';

export interface GradCheckOptions {
  /** Inputs to differentiate (default: every non-constant input). */
  wrt?: number[];
  /** Also differentiate constant inputs (weights) — they are then passed with `weights: true`. */
  weights?: boolean;
  eps?: number;
  /**
   * Allowed |analytic − numeric| relative to the checked input's gradient scale S. Default 5e-3:
   * the worst measured over every gradCheck in the suite is 1.7e-3 (ReduceLogSumExp, eps 1e-3),
   * the next 5.5e-4; most are below 2e-4.
   */
  tol?: number;
  /** Absolute allowance on top (default 1e-6: where the gradient is exactly 0, so is the measured difference). */
  atol?: number;
  /** Elements checked per input (sampled evenly). */
  samples?: number;
  opset?: number;
  outputs?: number;
  mode?: 'standard' | 'guided';
}

function weightedSumTargets(w: Float32Array, rows: number): CustomTarget[] {
  const k = w.length / rows;
  return Array.from({ length: rows }, (_, b) => {
    const wb = w.subarray(b * k, (b + 1) * k);
    return {
      describe: 'Σ w·y',
      score: (row: Float32Array) => {
        let v = 0;
        for (let i = 0; i < row.length; i++) v += wb[i] * row[i];
        return { value: v, grad: Float32Array.from(wb) };
      },
    };
  });
}

/** The worst |analytic − numeric| / S over the checked inputs (S as above). */
export async function gradCheck(
  opType: string,
  inputs: OpInput[],
  attrs: Record<string, AttrValue> = {},
  opts: GradCheckOptions = {},
): Promise<number> {
  const eps = opts.eps ?? 1e-2;
  const tol = opts.tol ?? 5e-3;
  const atol = opts.atol ?? 1e-6;
  const wrt = opts.wrt ?? inputs.map((x, k) => (x.constant ? -1 : k)).filter((k) => k >= 0);
  const named = inputs.map((x, k) => ({ ...x, name: x.name ?? `in${k}` }));
  const { model, feeds } = await singleOpModel(opType, named, attrs, { opset: opts.opset, outputs: opts.outputs });
  const base = await model.run(feeds);
  const y = await base.read('out0');
  const rows = y.shape.length ? y.shape[0] : 1;
  const w = random(y.data.length, 99, -1, 1);
  const targets = weightedSumTargets(w, rows);
  const loss = (data: Float32Array) => {
    let v = 0;
    for (let i = 0; i < data.length; i++) v += w[i] * data[i];
    return v;
  };
  const grads = await base.backward(targets, {
    output: 'out0',
    layers: wrt.map((k) => named[k].name),
    weights: opts.weights,
    mode: opts.mode,
  });
  let worst = 0;
  for (const k of wrt) {
    const name = named[k].name;
    const analytic = (await grads.read(name)).data;
    const n = analytic.length;
    const samples = Math.min(n, opts.samples ?? 16);
    const numeric: number[] = [];
    const picked: number[] = [];
    for (let s = 0; s < samples; s++) {
      const idx = Math.floor((s * n) / samples);
      const evalAt = async (delta: number) => {
        const data = Float32Array.from(named[k].data);
        data[idx] += delta;
        if (named[k].constant) {
          const m = await singleOpModel(
            opType,
            named.map((x, j) => (j === k ? { ...x, data } : x)),
            attrs,
            { opset: opts.opset, outputs: opts.outputs },
          );
          const r = await m.model.run(m.feeds);
          const v = loss((await r.read('out0')).data);
          m.model.dispose();
          return v;
        }
        const r = await model.run({ ...feeds, [name]: { data, shape: named[k].shape } });
        const v = loss((await r.read('out0')).data);
        r.dispose();
        return v;
      };
      numeric.push((Number(await evalAt(eps)) - Number(await evalAt(-eps))) / (2 * eps));
      picked.push(idx);
    }
    const scale = Math.max(...numeric.map(Math.abs));
    picked.forEach((idx, s) => {
      const diff = Math.abs(analytic[idx] - numeric[s]);
      worst = Math.max(worst, diff / Math.max(scale, atol));
      expect(
        diff,
        `${opType} d/d${name}[${idx}]: analytic ${analytic[idx]} vs numeric ${numeric[s]} (gradient scale ${scale})`,
      ).toBeLessThanOrEqual(atol + tol * scale);
    });
  }
  grads.dispose();
  base.dispose();
  model.dispose();
  return worst;
}
