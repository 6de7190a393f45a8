/**
 * onnxruntime-node running one node with any attributes (ints, floats, strings, lists), as the
 * forward reference for the op tests of ConvTranspose, the normalizations, DepthToSpace and the
 * gathers. Float and int64 inputs; float or int64 outputs.
 */
import { createRequire } from 'node:module';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

interface OrtTensor {
  readonly data: ArrayLike<number | bigint>;
  readonly dims: readonly number[];
}
interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }> };
}
const ort = createRequire(new URL('../../../test/package.json', import.meta.url))('onnxruntime-node') as Ort;

export interface OrtNodeInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  readonly int64?: boolean;
}
export type OrtAttr = number | string | readonly number[] | { readonly float: number };

function attribute(name: string, v: OrtAttr) {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (typeof v === 'object' && 'float' in v) return { name, type: 1, f: v.float };
  if (typeof v !== 'number') return { name, type: 7, ints: [...v] };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

/** Output 0 of `op` over `inputs` in onnxruntime (omitted optional inputs as undefined). */
export async function ortNode(op: string, inputs: readonly (OrtNodeInput | undefined)[], attrs: Record<string, OrtAttr>, opset: number, outInt64 = false): Promise<{ data: Float64Array; shape: number[] }> {
  const names = inputs.map((x, k) => (x ? `in${k}` : ''));
  const present = inputs.map((x, k) => [x, k] as const).filter(([x]) => x) as [OrtNodeInput, number][];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: op,
      node: [{ opType: op, input: names, output: ['y'], name: op, attribute: Object.entries(attrs).map(([a, v]) => attribute(a, v)) }],
      input: present.map(([x, k]) => ({ name: names[k], type: { tensorType: { elemType: x.int64 ? 7 : 1, shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } } })),
      output: [{ name: 'y', type: { tensorType: { elemType: outInt64 ? 7 : 1 } } }],
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  try {
    const feeds = Object.fromEntries(present.map(([x, k]) => [names[k], x.int64 ? new ort.Tensor('int64', BigInt64Array.from(Array.from(x.data, (v) => BigInt(v))), x.shape) : new ort.Tensor('float32', Float32Array.from(x.data), x.shape)]));
    const out = (await session.run(feeds)).y;
    return { data: Float64Array.from(Array.from(out.data, Number)), shape: [...out.dims] };
  } finally {
    await session.release();
  }
}
