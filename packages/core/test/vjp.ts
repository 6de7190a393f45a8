/**
 * The analytic VJP of a single-op model for a given output gradient `w`: runs the forward and
 * one backward with the seed dL/dy = w, and returns dL/d(input) for the requested inputs.
 * Tests compare it with float64 host references of the gradient definitions (exact tie
 * rules, which finite differences cannot see); gradcheck.ts covers the smooth cases.
 */
import type { AttrValue } from '../src/graph/ir.ts';
import { singleOpModel, type OpInput } from './gpu.ts';

export async function analyticVjp(
  opType: string,
  inputs: OpInput[],
  attrs: Record<string, AttrValue>,
  w: Float32Array,
  wrt: number[],
  opts: { opset?: number; weights?: boolean; outputs?: number } = {},
): Promise<Float32Array[]> {
  const named = inputs.map((x, k) => ({ ...x, name: x.name ?? `in${k}` }));
  const { model, feeds } = await singleOpModel(opType, named, attrs, { opset: opts.opset, outputs: opts.outputs });
  const run = await model.run(feeds);
  const y = await run.read('out0');
  const rows = y.shape.length ? y.shape[0] : 1;
  const k = w.length / rows;
  const targets = Array.from({ length: rows }, (_, b) => ({
    describe: 'w·y',
    score: () => ({ value: 0, grad: w.slice(b * k, (b + 1) * k) }),
  }));
  const grads = await run.backward(targets, { output: 'out0', layers: wrt.map((i) => named[i].name), weights: opts.weights });
  const out = [];
  for (const i of wrt) out.push((await grads.read(named[i].name)).data);
  grads.dispose();
  run.dispose();
  model.dispose();
  return out;
}
