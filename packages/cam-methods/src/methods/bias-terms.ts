/**
 * FullGrad's terms (fullgrad.ts): the bias layers of a run and, for a target, each one's map
 * Σ_c ψ(|∇_z y ⊙ b|_c) at its resolution and the input's Σ_c ψ(|∇ₓy ⊙ x|_c), from one backward.
 * A bias layer is a node with a 4-D output that adds a per-channel bias b: Conv with a constant
 * bias input, or BatchNormalization with b = B − mean·scale/√(var + ε) (exports usually fold BN
 * into the Conv before it, whose bias is then this same effective bias). Gemm biases are not
 * spatial and are left out, as in the paper's code and pytorch-grad-cam.
 */
import type { Run, Target } from '@camanim/core';

export interface BiasLayer {
  readonly output: string;
  readonly bias: Float64Array;
  readonly shape: readonly number[];
}

export interface FullGradTerms {
  /** Input term [N·H·W]. */
  readonly input: Float32Array;
  /** Each bias layer (that the output depends on) by output name: [N·h·w]. */
  readonly bias: ReadonlyMap<string, Float32Array>;
}

const EPS = 1e-7;

export function biasLayers(run: Run): BiasLayer[] {
  const constant = (name: string | undefined) => (name ? run.inferred.consts.get(name)?.data : undefined);
  return run.inferred.nodes.flatMap(({ node }): BiasLayer[] => {
    const output = node.outputs[0];
    const shape = run.shape(output);
    if (shape.length !== 4) return [];
    const b = constant(node.inputs[2]);
    if (node.opType === 'Conv' && b) return [{ output, shape, bias: Float64Array.from(b) }];
    if (node.opType !== 'BatchNormalization') return [];
    const [scale, shift, mean, variance] = node.inputs.slice(1, 5).map(constant);
    if (!scale || !shift || !mean || !variance) return [];
    const eps = Number(node.attributes.get('epsilon') ?? 1e-5);
    return [{ output, shape, bias: Float64Array.from(shift, (v, c) => v - (mean[c] * scale[c]) / Math.sqrt(variance[c] + eps)) }];
  });
}

/** Every tensor `tensor` depends on, itself included. */
export function ancestorsOf(run: Run, tensor: string): Set<string> {
  const producer = new Map(run.inferred.nodes.flatMap(({ node }) => node.outputs.map((o) => [o, node] as const)));
  const seen = new Set<string>();
  const stack = [tensor];
  while (stack.length) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    producer.get(t)?.inputs.forEach((i) => i && stack.push(i));
  }
  return seen;
}

/** The input term and every bias layer's term, from one backward. */
export async function fullGradTerms(run: Run, target: Target | readonly Target[]): Promise<FullGradTerms> {
  const inputName = run.model.imageInput().name;
  const upstream = ancestorsOf(run, run.model.graph.outputs[0].name);
  const layers = biasLayers(run).filter((l) => upstream.has(l.output));
  const grads = await run.backward(target, { layers: [inputName, ...layers.map((l) => l.output)] });
  try {
    const x = (await run.read(inputName)).data;
    const input = channelTerms((await grads.read(inputName)).data, run.shape(inputName), (i) => x[i]);
    const bias = new Map<string, Float32Array>();
    for (const l of layers) {
      const [, c, h, w] = l.shape;
      bias.set(
        l.output,
        channelTerms((await grads.read(l.output)).data, l.shape, (i) => l.bias[Math.floor(i / (h * w)) % c]),
      );
    }
    return { input, bias };
  } finally {
    grads.dispose();
  }
}

/** Σ_c ψ(|g ⊙ f|_c) per image: [N·h·w] from g [N, C, h, w] and f by element index. */
function channelTerms(g: Float32Array, shape: readonly number[], factor: (i: number) => number): Float32Array {
  const [n, c, h, w] = shape;
  const hw = h * w;
  const out = new Float32Array(n * hw);
  const m = new Float64Array(hw);
  for (let b = 0; b < n; b++) {
    for (let k = 0; k < c; k++) {
      const base = (b * c + k) * hw;
      let lo = Infinity;
      let hi = -Infinity;
      for (let p = 0; p < hw; p++) {
        m[p] = Math.abs(g[base + p] * factor(base + p));
        lo = Math.min(lo, m[p]);
        hi = Math.max(hi, m[p]);
      }
      for (let p = 0; p < hw; p++) out[b * hw + p] += (m[p] - lo) / (hi - lo + EPS);
    }
  }
  return out;
}
