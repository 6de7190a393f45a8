/** Builds small ONNX files in tests (onnx-proto encode), including external-data variants. */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  attrs?: Record<string, number | number[] | string>;
}

export interface InitSpec {
  name: string;
  dims: number[];
  data?: number[];
  /** External data entries (location, offset, length) instead of raw data. */
  external?: Record<string, string>;
}

export interface ModelSpec {
  nodes: NodeSpec[];
  inputs: { name: string; dims: (number | string)[]; type?: number }[];
  outputs: string[];
  initializers?: InitSpec[];
  opset?: number;
}

function attribute(name: string, v: number | number[] | string) {
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  return Number.isInteger(v) ? { name, type: 2, i: v } : { name, type: 1, f: v };
}

export function encodeModel(spec: ModelSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: spec.opset ?? 13 }],
    graph: {
      name: 'test',
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        input: n.inputs,
        output: n.outputs,
        name: n.name ?? `${n.op}_${k}`,
        attribute: Object.entries(n.attrs ?? {}).map(([a, v]) => attribute(a, v)),
      })),
      input: spec.inputs.map((i) => ({
        name: i.name,
        type: {
          tensorType: {
            elemType: i.type ?? 1,
            shape: { dim: i.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
          },
        },
      })),
      output: spec.outputs.map((name) => ({ name, type: { tensorType: { elemType: 1 } } })),
      initializer: (spec.initializers ?? []).map((t) =>
        t.external
          ? {
              name: t.name,
              dims: t.dims,
              dataType: 1,
              dataLocation: 1,
              externalData: Object.entries(t.external).map(([key, value]) => ({ key, value })),
            }
          : { name: t.name, dims: t.dims, dataType: 1, rawData: new Uint8Array(Float32Array.from(t.data ?? []).buffer) },
      ),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** x [1, 2, 3, 3] → Relu → Mul by a per-channel constant → GlobalAveragePool → Flatten → y [1, 2]. */
export function tinyCnn(extra: Partial<ModelSpec> = {}): ModelSpec {
  return {
    nodes: [
      { op: 'Relu', inputs: ['x'], outputs: ['r'] },
      { op: 'Mul', inputs: ['r', 'scale'], outputs: ['m'] },
      { op: 'GlobalAveragePool', inputs: ['m'], outputs: ['p'] },
      { op: 'Flatten', inputs: ['p'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', dims: ['batch', 2, 3, 3] }],
    outputs: ['y'],
    initializers: [{ name: 'scale', dims: [1, 2, 1, 1], data: [2, -1] }],
    ...extra,
  };
}
