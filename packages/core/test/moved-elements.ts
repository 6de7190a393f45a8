/**
 * For ops that only move elements of X (DepthToSpace, SpaceToDepth, GatherElements, GatherND):
 * the output must equal onnxruntime's exactly, and onnxruntime over the element indices of X
 * says which element each output came from (what the VJP scatters back to).
 */
import { expect } from 'vitest';
import { maxRelError, singleOpModel } from './gpu.ts';
import { ortNode } from './ort-node.ts';

/** An int64 input after X (indices), a plan-time constant for camanim. */
export interface IndexInput {
  readonly shape: number[];
  readonly data: ArrayLike<number>;
}

type Attrs = Record<string, number | string>;

/** `op` over X and `indices` equals onnxruntime's output exactly, with X fed at run time and folded on the host. */
export async function expectSameMoves(
  op: string,
  x: { shape: number[]; data: ArrayLike<number> },
  indices: readonly IndexInput[],
  attrs: Attrs,
  opset: number,
): Promise<void> {
  const ref = await ortNode(op, [x, ...indices.map((i) => ({ ...i, type: 'int64' as const }))], attrs, opset);
  for (const constant of [false, true]) {
    const { model, feeds } = await singleOpModel(
      op,
      [{ ...x, constant }, ...indices.map((i) => ({ ...i, constant: true, dtype: 'int64' as const }))],
      attrs,
      { opset },
    );
    const run = await model.run(feeds);
    const y = await run.read('out0');
    expect(y.shape).toEqual(ref.shape);
    expect(maxRelError(y.data, ref.data)).toBe(0);
    run.dispose();
    model.dispose();
  }
}

/** For each output element of `op`, the flat index of the element of X (of shape `xShape`) it came from. */
export async function sourceIndices(
  op: string,
  xShape: number[],
  indices: readonly IndexInput[],
  attrs: Attrs,
  opset: number,
): Promise<Float64Array> {
  const iota = Float32Array.from({ length: xShape.reduce((a, b) => a * b, 1) }, (_, i) => i);
  return (
    await ortNode(op, [{ shape: xShape, data: iota }, ...indices.map((i) => ({ ...i, type: 'int64' as const }))], attrs, opset)
  ).data;
}
