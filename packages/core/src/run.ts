/**
 * A Run holds one forward pass: every activation on the GPU by ONNX tensor name, readable on
 * demand, and the ability to re-run only the downstream part with some tensors overridden.
 */
import { broadcastToKernel } from '@camanim/shaders';
import { CamanimError } from './errors.ts';
import { buildBackwardPlan, type BackwardPlan } from './autodiff/backward-plan.ts';
import { Gradients } from './autodiff/gradients.ts';
import { seedGradient, type Target } from './autodiff/targets.ts';
import type { Inferred } from './graph/infer.ts';
import type { Graph } from './graph/ir.ts';
import { checkBudget, type MemoryLimits } from './plan/memory.ts';
import type { Plan } from './plan/plan.ts';
import type { ConstCache } from './runtime/const-cache.ts';
import { executePlan } from './runtime/execute.ts';
import type { Runtime } from './runtime/runtime.ts';
import type { GpuTensor, TensorData } from './runtime/tensor.ts';

/** A tensor fed to a run: host data to upload, or a tensor already on the GPU. */
type Feed = TensorData | GpuTensor;

/**
 * What a Run needs of the model it runs: Model (model.ts) has all of it. A Run<Model> — what
 * Model.run returns and what the package exports as `Run` — gives callers the whole Model back.
 */
export interface RunModel {
  readonly source: string;
  readonly graph: Graph;
  readonly inputs: readonly { readonly name: string }[];
  readonly runtime: Runtime;
  readonly consts: ConstCache;
  readonly memory: MemoryLimits;
  planFor(shapes: ReadonlyMap<string, readonly number[]>): { inferred: Inferred; full: Plan; bytes: number };
  downstreamPlan(
    shapes: ReadonlyMap<string, readonly number[]>,
    overridden: readonly string[],
  ): { inferred: Inferred; plan: Plan };
  checkAlive(): void;
}

export interface RunOptions {
  /** Which computed tensors stay on the GPU: all (default), only graph outputs, or a list. */
  retain?: 'all' | 'outputs' | readonly string[];
}

export interface BackwardOptions {
  /** Tensors whose gradients to keep (default: every tensor between the image and the target). */
  layers?: readonly string[];
  /** The model output the target reads (default: the first graph output). */
  output?: string;
  /** Also compute gradients of weights and biases (FullGrad needs bias gradients). */
  weights?: boolean;
  /** 'guided': guided backpropagation (ReLU passes only positive gradients). */
  mode?: 'standard' | 'guided';
}

/** Backward plans live as long as the forward plan (cached on the model) they were built from. */
const backwardPlans = new WeakMap<Plan, Map<string, BackwardPlan>>();

export class Run<M extends RunModel = RunModel> {
  private disposed = false;

  private constructor(
    readonly model: M,
    readonly plan: Plan,
    /** Tensors this run started from: the graph inputs, or a runFrom's overrides. */
    readonly sources: readonly string[],
    readonly inferred: Inferred,
    private readonly values: Map<string, GpuTensor>,
    private readonly owned: GpuTensor[],
    /** Batch size of this run. */
    readonly batch: number,
  ) {}

  static async start<M extends RunModel>(model: M, feeds: Readonly<Record<string, Feed>>, opts: RunOptions): Promise<Run<M>> {
    const shapes = new Map(model.inputs.map((i) => [i.name, [...feeds[i.name].shape]]));
    const { inferred, full, bytes } = model.planFor(shapes);
    const rt = model.runtime;
    checkBudget(opts.retain === 'outputs' ? 0 : bytes, rt.stats().liveBytes, model.memory, 'This forward pass', model.source);
    const env = new Map<string, GpuTensor>();
    const owned: GpuTensor[] = [];
    for (const i of model.inputs) {
      const feed = feeds[i.name];
      if ('buffer' in feed) env.set(i.name, feed);
      else {
        const t = rt.upload(feed.data, feed.shape, i.name);
        env.set(i.name, t);
        owned.push(t);
      }
    }
    const retain = retainFn(model, opts);
    const result = await executePlan(rt, full, env, model.consts, retain, 'forward').catch((e) => {
      owned.forEach((t) => rt.release(t));
      throw e;
    });
    for (const [n, t] of result.values) env.set(n, t);
    return new Run(
      model,
      full,
      model.inputs.map((i) => i.name),
      inferred,
      env,
      [...owned, ...result.owned],
      model.inputs.length ? shapes.get(model.inputs[0].name)![0] : 1,
    );
  }

  /** True when the tensor was computed (and retained) or is a constant of the model. */
  has(name: string): boolean {
    return this.values.has(name) || this.inferred.consts.has(name);
  }

  /** The GPU tensor of any retained activation or constant, by ONNX name. */
  tensor(name: string): GpuTensor {
    this.checkAlive();
    const t = this.values.get(name);
    if (t) return t;
    const c = this.inferred.consts.get(name);
    if (c) return this.model.consts.value(name, c);
    throw new CamanimError(
      'not-found',
      `No tensor named '${name}' in this run`,
      { file: this.model.source, tensor: name },
      this.inferred.values.has(name) ? 'It was not retained: run with retain: "all"' : 'List tensor names with model.layers',
    );
  }

  shape(name: string): readonly number[] {
    const info = this.inferred.values.get(name);
    if (!info)
      throw new CamanimError(
        'not-found',
        `No tensor named '${name}' in this model`,
        { file: this.model.source, tensor: name },
        'List tensor names with model.layers',
      );
    return info.shape;
  }

  /** Copies a tensor to the host. */
  async read(name: string): Promise<TensorData> {
    return this.model.runtime.read(this.tensor(name), name);
  }

  /** The graph outputs, read to the host. */
  async outputs(): Promise<Record<string, TensorData>> {
    const entries = await Promise.all(this.model.graph.outputs.map(async (o) => [o.name, await this.read(o.name)] as const));
    return Object.fromEntries(entries);
  }

  /**
   * Re-runs only the nodes downstream of the overridden tensors, batched: each override may
   * hold N variants of the tensor; upstream tensors of batch 1 are tiled to N.
   */
  async runFrom(overrides: Readonly<Record<string, Feed>>, opts: RunOptions = {}): Promise<Run<M>> {
    this.checkAlive();
    const names = Object.keys(overrides);
    if (names.length === 0) throw new CamanimError('bad-input', 'runFrom needs at least one tensor to override');
    const n = overrides[names[0]].shape[0];
    for (const name of names) {
      if (!this.inferred.values.has(name))
        throw new CamanimError(
          'not-found',
          `runFrom: no tensor named '${name}'`,
          { file: this.model.source, tensor: name },
          'List tensor names with model.layers',
        );
    }
    const shapes = new Map(this.model.inputs.map((i) => [i.name, [n, ...this.shape(i.name).slice(1)]]));
    const { inferred, plan } = this.model.downstreamPlan(shapes, names);
    const rt = this.model.runtime;
    const env = new Map<string, GpuTensor>();
    const owned: GpuTensor[] = [];
    const release = () => owned.forEach((t) => rt.release(t));
    try {
      for (const name of names) {
        const want = inferred.values.get(name)!.shape;
        const given = overrides[name];
        if (given.shape.join() !== want.join()) {
          throw new CamanimError('bad-input', `Override has shape [${given.shape.join(', ')}], expected [${want.join(', ')}]`, {
            tensor: name,
          });
        }
        if ('buffer' in given) env.set(name, given);
        else {
          const t = rt.upload(given.data, given.shape, name);
          env.set(name, t);
          owned.push(t);
        }
      }
      const tiles = [];
      for (const pn of plan.nodes) {
        for (const input of pn.node.node.inputs) {
          if (
            !input ||
            env.has(input) ||
            inferred.consts.has(input) ||
            plan.nodes.some((p) => p.node.node.outputs.includes(input))
          )
            continue;
          const parent = this.tensor(input);
          const want = inferred.values.get(input)!.shape;
          if (parent.shape.join() === want.join()) env.set(input, parent);
          else {
            const t = rt.createTensor(want, input);
            owned.push(t);
            env.set(input, t);
            tiles.push({ kernel: broadcastToKernel(want, parent.shape), buffers: [parent.buffer, t.buffer] });
          }
        }
      }
      if (tiles.length) await rt.run(tiles, 'runFrom:tile');
      const result = await executePlan(rt, plan, env, this.model.consts, retainFn(this.model, opts), 'runFrom');
      for (const [k, t] of result.values) env.set(k, t);
      return new Run(this.model, plan, names, inferred, env, [...owned, ...result.owned], n);
    } catch (e) {
      release();
      throw e;
    }
  }

  /**
   * One backward pass from the target: the gradient at every tensor between the sources and
   * the target output (or only at `layers`), kept on the GPU.
   */
  async backward(target: Target | readonly Target[], opts: BackwardOptions = {}): Promise<Gradients> {
    this.checkAlive();
    const output = opts.output ?? this.model.graph.outputs[0]?.name;
    if (!output || !this.values.has(output)) {
      throw new CamanimError(
        'not-found',
        `Output '${output}' was not computed in this run`,
        { file: this.model.source, tensor: output },
        'Name one of the model outputs',
      );
    }
    for (const name of opts.layers ?? []) {
      if (!this.inferred.values.has(name)) {
        throw new CamanimError(
          'not-found',
          `Layer '${name}' does not exist in this model`,
          { file: this.model.source, layer: name },
          'List layers with model.layers or `camanim layers`',
        );
      }
    }
    const out = await this.read(output);
    const seed = seedGradient(target, out.data, out.shape, output);
    const key = JSON.stringify([output, opts.layers ?? null, !!opts.weights, opts.mode ?? 'standard']);
    const cache = backwardPlans.get(this.plan) ?? new Map<string, BackwardPlan>();
    backwardPlans.set(this.plan, cache);
    let plan = cache.get(key);
    if (!plan) {
      plan = buildBackwardPlan(
        this.plan,
        this.sources,
        { target: output, keep: opts.layers, weights: !!opts.weights, mode: opts.mode ?? 'standard' },
        this.model.graph.opset,
        this.model.source,
      );
      cache.set(key, plan);
    }
    checkBudget(
      plan.slots.reduce((a, n, s) => a + (plan.transient.has(s) ? 0 : n * 4), 0),
      this.model.runtime.stats().liveBytes,
      this.model.memory,
      'This backward pass',
      this.model.source,
    );
    return Gradients.execute(this, plan, seed.grad, seed.scores);
  }

  checkAlive(): void {
    if (this.disposed) throw new CamanimError('disposed', 'This run was disposed', { file: this.model.source });
    this.model.checkAlive();
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const t of this.owned) this.model.runtime.release(t);
    this.values.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

function retainFn(model: RunModel, opts: RunOptions): (name: string) => boolean {
  const outputs = new Set(model.graph.outputs.map((o) => o.name));
  const r = opts.retain ?? 'all';
  if (r === 'all') return () => true;
  if (r === 'outputs') return (n) => outputs.has(n);
  const set = new Set(r);
  return (n) => outputs.has(n) || set.has(n);
}
