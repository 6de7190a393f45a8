/**
 * Model: a decoded graph on a device that knows its inputs, outputs and layers, plans per input
 * shape (cached) and runs forward passes that keep every activation on the GPU. loadModel
 * (load-model.ts) makes one from a file or bytes.
 */
import { CamanimError } from './errors.ts';
import { inferGraph, type Inferred } from './graph/infer.ts';
import { isFloat, type Graph, type HostTensor, type Node, type ValueInfo } from './graph/ir.ts';
import { toposort } from './graph/toposort.ts';
import type { ModelContract } from './contract/model-contract.ts';
import { defaultRegistry } from './ops/index.ts';
import { checkSupported, type OpRegistry } from './ops/registry.ts';
import { DEFAULT_MEMORY_BUDGET, forwardBytes, type MemoryLimits } from './plan/memory.ts';
import { buildPlan, type Plan } from './plan/plan.ts';
import { ConstCache } from './runtime/const-cache.ts';
import { acquireDevice, type Device } from './runtime/device.ts';
import { Runtime } from './runtime/runtime.ts';
import type { GpuTensor, TensorData } from './runtime/tensor.ts';
import { Run, type RunOptions } from './run.ts';

export interface ModelInput {
  readonly name: string;
  readonly dtype: string;
  /** Declared dims; symbolic ones as strings. */
  readonly dims: readonly (number | string)[];
  /** Concrete shape used when none is given (symbolic batch → 1). */
  readonly shape: readonly number[];
}

export interface Layer {
  /** Position in topological order among all node outputs. */
  readonly index: number;
  /** ONNX tensor name of the node output. */
  readonly name: string;
  readonly node: string;
  readonly opType: string;
  readonly shape: readonly number[];
}

export interface GraphModelOptions {
  device?: Device;
  runtime?: Runtime;
  /** Concrete input shape when the model declares symbolic spatial dims. */
  inputShape?: readonly number[];
  /** Bytes of GPU memory this model's runs may hold at once (default 8 GiB). */
  memoryBudget?: number;
  registry?: OpRegistry;
  /** The contract the graph was prepared under (contract/apply.ts). */
  contract?: ModelContract;
}

/** A Model from an already decoded (possibly rewritten) graph. */
export async function modelFromGraph(graph: Graph, opts: GraphModelOptions = {}): Promise<Model> {
  const registry = opts.registry ?? defaultRegistry;
  checkSupported(graph, registry);
  const order = toposort(graph);
  const runtime = opts.runtime ?? new Runtime(opts.device ?? (await acquireDevice()));
  return new Model(graph, order, registry, runtime, opts.inputShape, opts.memoryBudget, opts.contract);
}

export type RunInput = TensorData | GpuTensor;

export class Model {
  readonly inputs: readonly ModelInput[];
  readonly consts: ConstCache;
  readonly memory: MemoryLimits;
  private readonly plans = new Map<string, { inferred: Inferred; full: Plan; bytes: number }>();
  private readonly subPlans = new Map<string, Plan>();
  private layerCache?: Layer[];
  private disposed = false;

  constructor(
    readonly graph: Graph,
    readonly order: readonly Node[],
    readonly registry: OpRegistry,
    readonly runtime: Runtime,
    inputShape?: readonly number[],
    memoryBudget = DEFAULT_MEMORY_BUDGET,
    /** How images become its input and which scores are explained, when it was loaded with one. */
    readonly contract?: ModelContract,
  ) {
    this.memory = {
      maxBinding: runtime.device.limits.maxStorageBufferBindingSize,
      budget: Math.min(memoryBudget, Number.MAX_SAFE_INTEGER),
    };
    this.inputs = graph.inputs.map((input, k) => ({
      name: input.name,
      dtype: input.dtype,
      dims: input.dims,
      shape: k === 0 && inputShape ? [...inputShape] : concreteShape(input.dims),
    }));
    this.consts = new ConstCache(runtime);
  }

  get source(): string {
    return this.graph.source;
  }

  /** The single 4-D [N, C, H, W] image input (or 5-D [N, C, T, H, W] video or volume input) that CAM methods explain. */
  imageInput(): ModelInput {
    const images = this.inputs.filter((i) => i.dims.length === 4 || i.dims.length === 5);
    if (this.inputs.length !== 1 || images.length !== 1) {
      const list = this.inputs.map((i) => `${i.name} [${i.dims.join(', ')}]`).join('; ');
      throw new CamanimError(
        'bad-model',
        `camanim explains models with one image input [N, C, H, W] (or video [N, C, T, H, W]); this model has: ${list}`,
        { file: this.source },
        'Export the model with a single NCHW (or NCTHW) input',
      );
    }
    return images[0];
  }

  /** Output names and shapes at the default input shape. */
  get outputs(): { name: string; shape: readonly number[] }[] {
    const { inferred } = this.planFor(this.defaultShapes());
    return this.graph.outputs.map((o) => ({ name: o.name, shape: inferred.values.get(o.name)?.shape ?? [] }));
  }

  /**
   * Every float node output computed on the GPU that a graph output depends on, in topological
   * order, at the default input shape. Masks and comparisons (bool), indices, and dead ends (an
   * unread Dropout mask, an unused Split piece) carry no gradient from the outputs, so they are
   * no layers to explain.
   */
  get layers(): readonly Layer[] {
    if (!this.layerCache) {
      const { inferred } = this.planFor(this.defaultShapes());
      const live = new Set(this.graph.outputs.map((o) => o.name));
      for (const n of [...inferred.nodes].reverse())
        if (n.node.outputs.some((o) => live.has(o))) for (const i of n.node.inputs) live.add(i);
      const layer = (name: string) => live.has(name) && isFloat(inferred.values.get(name)!.dtype);
      this.layerCache = inferred.nodes
        .filter((n) => !this.graph.adapters?.has(n.node.name))
        .flatMap((n) =>
          n.node.outputs
            .filter((name) => name && layer(name))
            .map((name) => ({ name, node: n.node.name, opType: n.node.opType, shape: inferred.values.get(name)!.shape })),
        )
        .map((l, index) => ({ index, ...l }));
    }
    return this.layerCache;
  }

  defaultShapes(): Map<string, readonly number[]> {
    return new Map(
      this.inputs.map((i) => {
        if (i.shape.some((d) => d < 0)) {
          throw new CamanimError(
            'bad-model',
            `Input '${i.name}' has symbolic dims [${i.dims.join(', ')}]`,
            { file: this.source, tensor: i.name },
            'Give the input size: camanim --input-size HxW, or loadModel(src, { input: { size: [H, W], … } })',
          );
        }
        return [i.name, i.shape];
      }),
    );
  }

  /** Shape inference, folding and kernels for one set of input shapes, cached. */
  planFor(shapes: ReadonlyMap<string, readonly number[]>): { inferred: Inferred; full: Plan; bytes: number } {
    const key = [...shapes.values()].map((s) => s.join('x')).join(';');
    let p = this.plans.get(key);
    if (!p) {
      const infos = new Map<string, ValueInfo>([...shapes].map(([n, shape]) => [n, { dtype: 'float32', shape }]));
      const inferred = inferGraph(this.graph, this.order, this.registry, infos);
      const bytes = forwardBytes(inferred, this.graph.source, this.memory);
      p = {
        inferred,
        full: buildPlan(inferred, inferred.nodes, this.graph.opset, this.graph.source, this.runtime.tiles, this.runtime.fuse),
        bytes,
      };
      this.plans.set(key, p);
    }
    return p;
  }

  /** The nodes downstream of `overridden` tensors only, planned for `shapes`, cached. */
  downstreamPlan(
    shapes: ReadonlyMap<string, readonly number[]>,
    overridden: readonly string[],
  ): { inferred: Inferred; plan: Plan } {
    const { inferred } = this.planFor(shapes);
    const key = `${[...shapes.values()].map((s) => s.join('x')).join(';')}|${[...overridden].sort().join('|')}`;
    let plan = this.subPlans.get(key);
    if (!plan) {
      const dirty = new Set(overridden);
      const nodes = inferred.nodes.filter((n) => {
        if (n.node.outputs.some((o) => overridden.includes(o)) || !n.node.inputs.some((i) => dirty.has(i))) return false;
        n.node.outputs.forEach((o) => dirty.add(o));
        return true;
      });
      plan = buildPlan(inferred, nodes, this.graph.opset, this.graph.source, this.runtime.tiles, this.runtime.fuse);
      this.subPlans.set(key, plan);
    }
    return { inferred, plan };
  }

  /** Runs the whole model and keeps every activation on the GPU. One tensor for single-input models. */
  async run(input: RunInput | Readonly<Record<string, RunInput>>, opts: RunOptions = {}): Promise<Run<Model>> {
    this.checkAlive();
    const feeds = isTensor(input) ? { [this.inputs[0]?.name ?? '']: input } : input;
    for (const expected of this.inputs) {
      const given = feeds[expected.name];
      if (!given)
        throw new CamanimError(
          'bad-input',
          `Missing input '${expected.name}'`,
          { file: this.source, tensor: expected.name },
          `Give a tensor of shape [${expected.dims.join(', ')}]`,
        );
      const shape = given.shape;
      const fits =
        shape.length === expected.dims.length &&
        shape.every(
          (d, k) =>
            d >= 0 &&
            Number.isInteger(d) &&
            (k === 0 || typeof expected.dims[k] !== 'number' || expected.dims[k] === d || (expected.dims[k] as number) <= 0),
        );
      if (!fits) {
        throw new CamanimError(
          'bad-input',
          `Input has shape [${shape.join(', ')}] but the model expects [${expected.dims.join(', ')}]`,
          { file: this.source, tensor: expected.name },
          'Resize the image to the model input size (any batch size works)',
        );
      }
      if ('data' in given && given.data.length !== shape.reduce((a, b) => a * b, 1)) {
        throw new CamanimError(
          'bad-input',
          `Input data holds ${given.data.length} values but shape [${shape.join(', ')}] needs ${shape.reduce((a, b) => a * b, 1)}`,
          { tensor: expected.name },
        );
      }
    }
    return Run.start(this, feeds, opts);
  }

  /**
   * The same model with some initializers (weights) replaced: a new Model on the same runtime,
   * with its own plans and GPU constants (ops derive layouts from weights at plan time), for
   * parameter randomisation tests. Each name must be an initializer and keep its shape.
   */
  withInitializers(replaced: ReadonlyMap<string, HostTensor>): Model {
    this.checkAlive();
    for (const [name, t] of replaced) {
      const old = this.graph.initializers.get(name);
      const where = { file: this.source, tensor: name };
      if (!old)
        throw new CamanimError(
          'bad-input',
          `'${name}' is not an initializer of this model`,
          where,
          'Replace only initializers (weights) the graph has',
        );
      if (old.shape.join() !== t.shape.join() || t.data.length !== old.data.length) {
        throw new CamanimError(
          'bad-input',
          `Initializer '${name}' is [${old.shape.join(', ')}]; its replacement is [${t.shape.join(', ')}]`,
          where,
          'Give a tensor of the same shape',
        );
      }
    }
    const graph = { ...this.graph, initializers: new Map([...this.graph.initializers, ...replaced]) };
    return new Model(graph, this.order, this.registry, this.runtime, this.inputs[0]?.shape, this.memory.budget, this.contract);
  }

  checkAlive(): void {
    if (this.disposed) throw new CamanimError('disposed', 'The model was disposed', { file: this.source });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.consts.dispose();
    this.plans.clear();
    this.subPlans.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function concreteShape(dims: readonly (number | string)[]): number[] {
  return dims.map((d, k) => (typeof d === 'number' && d > 0 ? d : k === 0 ? 1 : -1));
}

function isTensor(x: RunInput | Readonly<Record<string, RunInput>>): x is RunInput {
  return Array.isArray((x as RunInput).shape) && ('data' in x || 'buffer' in x);
}
