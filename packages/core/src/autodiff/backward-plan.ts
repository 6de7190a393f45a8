/**
 * The backward plan: from the forward plan, the target output and the tensors whose
 * gradients are wanted, the reverse walk over only the nodes on the path between them. Each
 * node's VJP steps write fresh contribution buffers; the engine sums fan-in, reduces
 * broadcast shapes (vjpShape) and shares buffers through aliases (reshape-like ops).
 * tinygrad gradient.py: the engine handles the general cases, ops only their local rule.
 */
import { fillKernel, sumToShapeKernel, zipKernel, type KernelSpec } from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import { elementCount, isFloat } from '../graph/ir.ts';
import type { Step, VjpIO } from '../ops/op.ts';
import { kernelIO, resolveArg, type BufferRef, type Plan, type PlanNode } from '../plan/plan.ts';

/** Where a backward step reads or writes: forward values, gradient slots or plan-time data. */
export type GradRef = BufferRef | { readonly kind: 'grad'; readonly slot: number };

export interface GradStep {
  readonly kernel: KernelSpec;
  readonly buffers: readonly GradRef[];
  /** Steps of one node's VJP share its scratch buffers; engine steps have none. */
  readonly group: number;
}

export interface BackwardPlan {
  readonly steps: readonly GradStep[];
  /** Number of gradient slots (buffers) and each slot's element count. */
  readonly slots: readonly number[];
  /** Slot holding the final gradient of each tensor, by tensor name. */
  readonly result: ReadonlyMap<string, number>;
  /** Slot the seed gradient is written into. */
  readonly seedSlot: number;
  /** Slots nobody asked to keep, free once the backward has run. */
  readonly transient: ReadonlySet<number>;
}

export interface BackwardRequest {
  readonly target: string;
  /** Tensors whose gradients are kept; undefined: every float tensor on the path. */
  readonly keep?: readonly string[];
  /** Also differentiate with respect to constant inputs (weights, biases). */
  readonly weights: boolean;
  readonly mode: 'standard' | 'guided';
}

export function buildBackwardPlan(
  plan: Plan,
  graphInputs: readonly string[],
  req: BackwardRequest,
  opset: number,
  source: string,
): BackwardPlan {
  const { inferred } = plan;
  const nodes = plan.nodes;
  const shapeOf = (name: string) => inferred.values.get(name)!.shape;

  // Tensors that carry gradient: downstream of the image (or of the earliest kept tensor).
  const sources = new Set<string>(req.keep ? earliestSources(nodes, req.keep, graphInputs) : graphInputs);
  const carries = new Set<string>(sources);
  const isWeight = (n: PlanNode, i: number) =>
    req.weights &&
    inferred.consts.has(n.node.node.inputs[i]) &&
    isFloat(inferred.values.get(n.node.node.inputs[i])?.dtype ?? 'unknown');
  for (const pn of nodes) {
    const { node } = pn.node;
    if (node.inputs.some((x, i) => carries.has(x) || isWeight(pn, i))) node.outputs.forEach((o) => o && carries.add(o));
  }
  if (!carries.has(req.target)) {
    throw new CamanimError(
      'not-differentiable',
      `The target '${req.target}' does not depend on the requested tensors`,
      { file: source, tensor: req.target },
      'Pick layers upstream of the model output',
    );
  }

  const slots: number[] = [];
  const steps: GradStep[] = [];
  const grad = new Map<string, number>();
  const newSlot = (shape: readonly number[]) => slots.push(Math.max(1, elementCount(shape))) - 1;
  const seedSlot = newSlot(shapeOf(req.target));
  grad.set(req.target, seedSlot);

  /** Adds a contribution to a tensor's gradient: the first one is taken as is, later ones summed. */
  const accumulate = (name: string, slot: number) => {
    const prev = grad.get(name);
    if (prev === undefined) return grad.set(name, slot);
    const shape = shapeOf(name);
    const sum = newSlot(shape);
    steps.push({
      kernel: zipKernel(
        'grad_accumulate',
        shape,
        [
          { name: 'a', shape },
          { name: 'b', shape },
        ],
        'a + b',
      ),
      buffers: [
        { kind: 'grad', slot: prev },
        { kind: 'grad', slot },
        { kind: 'grad', slot: sum },
      ],
      group: -1,
    });
    grad.set(name, sum);
  };

  for (let k = nodes.length - 1; k >= 0; k--) {
    const pn = nodes[k];
    const { node, op, attrs } = pn.node;
    if (!node.outputs.some((o) => grad.has(o))) continue;
    const wanted = node.inputs.map(
      (x, i) =>
        !!x &&
        (carries.has(x) || isWeight(pn, i)) &&
        !(op.nonDifferentiable ?? []).includes(i) &&
        isFloat(inferred.values.get(x)?.dtype ?? 'unknown'),
    );
    if (!wanted.some(Boolean)) continue;
    const where = { file: source, node: node.name, op: node.opType };
    if (pn.alias) {
      // Reshape-like: the gradient is the output's gradient viewed with the input's shape.
      accumulate(node.inputs[0], grad.get(node.outputs[0])!);
      continue;
    }
    if (!op.vjp) {
      throw new CamanimError(
        'not-differentiable',
        `Op '${node.opType}' has no gradient, but the gradient must flow through it`,
        where,
        'Request layers downstream of this node, or use a method that needs no gradients',
      );
    }
    // Outputs nobody differentiates get a zero gradient.
    node.outputs.forEach((o) => {
      if (o && !grad.has(o)) {
        const slot = newSlot(shapeOf(o));
        steps.push({ kernel: fillKernel(slots[slot], 0), buffers: [{ kind: 'grad', slot }], group: -1 });
        grad.set(o, slot);
      }
    });
    const io: VjpIO = { ...kernelIO(inferred, pn.node, opset, plan.tiles), wanted, mode: req.mode };
    const written = new Map<number, number>();
    const discarded = new Map<number, number>();
    // No output elements: every input gradient is zero, written in the input's own shape (VJP
    // and reduction kernels over empty shapes would divide by 0).
    const empty = node.outputs.every((o) => !o || elementCount(shapeOf(o)) === 0);
    const writeShape = (i: number) => (empty ? undefined : op.vjpShape?.(io, attrs, i)) ?? shapeOf(node.inputs[i]);
    wanted.forEach((w, i) => w && written.set(i, newSlot(writeShape(i))));
    let vjpSteps: Step[];
    try {
      vjpSteps = empty
        ? [...written].map(([i, slot]) => ({
            kernel: fillKernel(slots[slot], 0),
            args: [{ kind: 'gradInput' as const, index: i }],
          }))
        : op.vjp(io, attrs);
    } catch (e) {
      if (e instanceof CamanimError) throw e;
      throw new CamanimError(
        'not-differentiable',
        `Could not build the gradient kernels: ${(e as Error).message}`,
        where,
        undefined,
        { cause: e },
      );
    }
    for (const s of vjpSteps) {
      steps.push({
        kernel: s.kernel,
        group: k,
        buffers: s.args.map((a): GradRef => {
          if (a.kind === 'gradOutput') {
            const slot = grad.get(node.outputs[a.index]);
            if (slot === undefined) {
              throw new CamanimError(
                'not-differentiable',
                `The gradient of this node needs its output ${a.index}, which has no name`,
                where,
                'Only optional outputs may be omitted; the model file is corrupt',
              );
            }
            return { kind: 'grad', slot };
          }
          if (a.kind === 'gradInput') {
            // A VJP may write the gradient of an input nobody wants (a bool, an extra input a
            // model from a stranger gives): into a slot of its own that goes nowhere.
            let slot = written.get(a.index) ?? discarded.get(a.index);
            if (slot === undefined) {
              slot = newSlot(node.inputs[a.index] ? writeShape(a.index) : shapeOf(node.outputs[0]));
              discarded.set(a.index, slot);
            }
            return { kind: 'grad', slot };
          }
          return resolveArg(a, pn.node, (x) =>
            x.kind === 'input' ? node.inputs[x.index] : x.kind === 'output' ? node.outputs[x.index] : undefined,
          );
        }),
      });
    }
    for (const [i, slot] of written) {
      const from = writeShape(i);
      const to = shapeOf(node.inputs[i]);
      if (from.join() === to.join()) accumulate(node.inputs[i], slot);
      else {
        // The one place broadcast gradients are summed back (ops only declare vjpShape).
        const reduced = newSlot(to);
        steps.push({
          kernel: sumToShapeKernel(from, op.broadcastAs?.(io, attrs, i) ?? to),
          buffers: [
            { kind: 'grad', slot },
            { kind: 'grad', slot: reduced },
          ],
          group: -1,
        });
        accumulate(node.inputs[i], reduced);
      }
    }
  }

  const keepNames = req.keep ?? [...grad.keys()];
  const result = new Map<string, number>();
  for (const name of keepNames) {
    const slot = grad.get(name);
    if (slot === undefined) {
      throw new CamanimError(
        'not-found',
        `No gradient reaches tensor '${name}'`,
        { file: source, tensor: name },
        inferred.values.has(name) ? 'It does not lie between the image and the target' : 'List tensor names with model.layers',
      );
    }
    result.set(name, slot);
  }
  const kept = new Set(result.values());
  const transient = new Set(slots.map((_, s) => s).filter((s) => !kept.has(s)));
  return { steps, slots, result, seedSlot, transient };
}

/** With a restricted set of kept tensors, the walk starts at those (no deeper). */
function earliestSources(nodes: readonly PlanNode[], keep: readonly string[], graphInputs: readonly string[]): string[] {
  const produced = new Set(nodes.flatMap((n) => n.node.node.outputs));
  return keep.filter((k) => produced.has(k) || graphInputs.includes(k));
}
