/** Test helpers: one device per test file, and single-node models built from the Graph IR. */
import { acquireDevice, type Device } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { Model } from '../src/model.ts';
import { defaultRegistry } from '../src/ops/index.ts';
import { toposort } from '../src/graph/toposort.ts';
import { hostTensor, type AttrValue, type Graph, type GraphValue, type HostTensor, type Node } from '../src/graph/ir.ts';

let runtime: Runtime | undefined;

export async function testRuntime(): Promise<Runtime> {
  if (!runtime) {
    const device: Device = await acquireDevice();
    runtime = new Runtime(device);
  }
  return runtime;
}

export interface OpInput {
  name?: string;
  shape: number[];
  data: ArrayLike<number>;
  /** Make this input an initializer (known at plan time) rather than a graph input. */
  constant?: boolean;
  dtype?: HostTensor['dtype'];
}

/** A node of a hand-built graph, named `opType:firstOutput`. */
export const irNode = (opType: string, inputs: string[], outputs: string[], attrs: Record<string, AttrValue> = {}): Node => ({
  name: `${opType}:${outputs[0]}`,
  opType,
  domain: '',
  inputs,
  outputs,
  attributes: new Map(Object.entries(attrs)),
});

/** An int64 initializer (shapes, axes, indices), a vector unless `shape` says otherwise. */
export const int64Tensor = (data: number[], shape = [data.length]): HostTensor => hostTensor('int64', shape, data);

/** A hand-built graph as a Model on the test runtime with the default ops. */
export async function graphModel(graph: Graph): Promise<Model> {
  return new Model(graph, toposort(graph), defaultRegistry, await testRuntime());
}

/** A model of one node; inputs without `constant` become graph inputs fed at run time. */
export async function singleOpModel(
  opType: string,
  inputs: OpInput[],
  attrs: Record<string, AttrValue> = {},
  opts: { outputs?: number; opset?: number } = {},
): Promise<{ model: Model; feeds: Record<string, { data: Float32Array; shape: number[] }> }> {
  const rt = await testRuntime();
  const names = inputs.map((x, k) => x.name ?? `in${k}`);
  const outputs = Array.from({ length: opts.outputs ?? 1 }, (_, k) => `out${k}`);
  const node: Node = {
    name: `${opType}_node`,
    opType,
    domain: '',
    inputs: names,
    outputs,
    attributes: new Map(Object.entries(attrs)),
  };
  const initializers = new Map<string, HostTensor>();
  const graphInputs: GraphValue[] = [];
  const feeds: Record<string, { data: Float32Array; shape: number[] }> = {};
  inputs.forEach((x, k) => {
    if (x.constant) {
      const dtype = x.dtype ?? 'float32';
      initializers.set(names[k], {
        dtype,
        shape: x.shape,
        data: dtype === 'float32' ? Float32Array.from(x.data) : Float64Array.from(x.data),
      });
    } else {
      graphInputs.push({ name: names[k], dtype: 'float32' as const, dims: x.shape });
      feeds[names[k]] = { data: Float32Array.from(x.data), shape: x.shape };
    }
  });
  const graph: Graph = {
    nodes: [node],
    inputs: graphInputs,
    outputs: outputs.map((name) => ({ name, dtype: 'float32', dims: [] })),
    initializers,
    opset: opts.opset ?? 17,
    source: `${opType}.test`,
  };
  return { model: new Model(graph, toposort(graph), defaultRegistry, rt), feeds };
}

/** Seeded uniform values in [lo, hi). */
export function random(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    out[i] = lo + ((s >>> 0) / 4294967296) * (hi - lo);
  }
  return out;
}

/** Largest |a - b| relative to max(1, |b|). */
export function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    if (!(e <= m)) m = Number.isNaN(e) ? Infinity : e;
  }
  return m;
}
