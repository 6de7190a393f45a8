/**
 * onnxruntime-node (a dependency of the test/ workspace package, loaded from there) running a
 * one-node ONNX model with any attributes (ints, floats, strings, lists), as the forward
 * reference for op tests. Inputs may be float, bool or int64 tensors; outputs come back as
 * float64 numbers (bools as 0/1).
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
  InferenceSession: {
    create(
      bytes: Uint8Array,
    ): Promise<{ run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>; release(): Promise<void> }>;
  };
}
const ort = createRequire(new URL('../../../test/package.json', import.meta.url))('onnxruntime-node') as Ort;

export type OrtType = 'float' | 'bool' | 'int64';
export interface OrtNodeInput {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
  /** 'float' when absent. */
  readonly type?: OrtType;
}
export type OrtAttr = number | string | readonly number[] | { readonly float: number };

const ELEM: Record<OrtType, number> = { float: 1, bool: 9, int64: 7 };

function attribute(name: string, v: OrtAttr) {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (typeof v === 'object' && 'float' in v) return { name, type: 1, f: v.float };
  if (typeof v !== 'number') return { name, type: 7, ints: [...v] };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

function tensor(x: OrtNodeInput): OrtTensor {
  if (x.type === 'bool')
    return new ort.Tensor(
      'bool',
      Uint8Array.from(x.data, (v) => (v ? 1 : 0)),
      x.shape,
    );
  if (x.type === 'int64') return new ort.Tensor('int64', BigInt64Array.from(Array.from(x.data, (v) => BigInt(v))), x.shape);
  return new ort.Tensor('float32', Float32Array.from(x.data), x.shape);
}

/** Output 0 (of type `out`) of `op` over `inputs` in onnxruntime (omitted optional inputs as undefined). */
export async function ortNode(
  op: string,
  inputs: readonly (OrtNodeInput | undefined)[],
  attrs: Record<string, OrtAttr>,
  opset: number,
  out: OrtType = 'float',
): Promise<{ data: Float64Array; shape: number[] }> {
  return (await ortNodeOutputs(op, inputs, attrs, opset, [out]))[0];
}

/** Every output of `op` (TopK's values and indices), of the types `outs`, in onnxruntime. */
export async function ortNodeOutputs(
  op: string,
  inputs: readonly (OrtNodeInput | undefined)[],
  attrs: Record<string, OrtAttr>,
  opset: number,
  outs: readonly OrtType[],
): Promise<{ data: Float64Array; shape: number[] }[]> {
  const names = inputs.map((x, k) => (x ? `in${k}` : ''));
  const outNames = outs.map((_, k) => `y${k}`);
  const present = inputs.map((x, k) => [x, k] as const).filter(([x]) => x) as [OrtNodeInput, number][];
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: opset }],
    graph: {
      name: op,
      node: [
        {
          opType: op,
          input: names,
          output: outNames,
          name: op,
          attribute: Object.entries(attrs).map(([a, v]) => attribute(a, v)),
        },
      ],
      input: present.map(([x, k]) => ({
        name: names[k],
        type: { tensorType: { elemType: ELEM[x.type ?? 'float'], shape: { dim: x.shape.map((d) => ({ dimValue: d })) } } },
      })),
      output: outs.map((t, k) => ({ name: outNames[k], type: { tensorType: { elemType: ELEM[t] } } })),
    },
  });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish());
  try {
    const ys = await session.run(Object.fromEntries(present.map(([x, k]) => [names[k], tensor(x)])));
    return outNames.map((n) => ({ data: Float64Array.from(Array.from(ys[n]!.data, Number)), shape: [...ys[n]!.dims] }));
  } finally {
    await session.release();
  }
}
