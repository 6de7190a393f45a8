/**
 * onnxruntime-node (a dependency of the test/ workspace package, loaded from there) running a
 * one-node ONNX model, as the forward reference for op tests. Inputs may be float, bool or
 * int64 tensors; outputs come back as plain numbers (bools as 0/1).
 */
import { createRequire } from 'node:module';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export type OrtType = 'float' | 'bool' | 'int64';
export interface OrtInput {
  readonly type: OrtType;
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}

interface OrtTensor {
  readonly data: ArrayLike<number | bigint>;
  readonly dims: readonly number[];
}
interface Ort {
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => OrtTensor;
  InferenceSession: { create(bytes: Uint8Array): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }> };
}
const ort = createRequire(new URL('../../../test/package.json', import.meta.url))('onnxruntime-node') as Ort;

const ELEM: Record<OrtType, number> = { float: 1, bool: 9, int64: 7 };

function attribute(name: string, v: number | number[]) {
  if (typeof v !== 'number') return { name, type: 7, ints: v };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

function tensor(x: OrtInput): OrtTensor {
  if (x.type === 'float') return new ort.Tensor('float32', Float32Array.from(x.data), x.shape);
  if (x.type === 'bool') return new ort.Tensor('bool', Uint8Array.from(x.data, (v) => (v ? 1 : 0)), x.shape);
  return new ort.Tensor('int64', BigInt64Array.from(Array.from(x.data, (v) => BigInt(v))), x.shape);
}

/** Output 0 of `op` over `inputs` in onnxruntime. */
export async function ortRun(op: string, inputs: readonly OrtInput[], attrs: Record<string, number | number[]>, outType: OrtType, opset: number): Promise<{ data: number[]; shape: number[] }> {
  const names = inputs.map((_, k) => `in${k}`);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: op,
      node: [{ opType: op, input: names, output: ['y'], name: op, attribute: Object.entries(attrs).map(([a, v]) => attribute(a, v)) }],
      input: inputs.map((x, k) => ({ name: names[k], type: { tensorType: { elemType: ELEM[x.type], shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } } })),
      output: [{ name: 'y', type: { tensorType: { elemType: ELEM[outType] } } }],
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  try {
    const out = (await session.run(Object.fromEntries(inputs.map((x, k) => [names[k], tensor(x)])))).y;
    return { data: Array.from(out.data, Number), shape: [...out.dims] };
  } finally {
    await session.release();
  }
}
