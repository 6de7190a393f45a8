/**
 * The attention of a vision transformer, for the methods that explain it (attention rollout,
 * gradient-weighted attention). A block's attention is the output of a Softmax over the last
 * axis of [N, heads, T, T] (timm, torch's scaled_dot_product_attention) or [N·heads, T, T]
 * (nn.MultiheadAttention's export) that a MatMul multiplies with V; blocks are numbered in graph
 * order. Its T tokens are the patch grid (tokens.ts: the patch embedding's) after `prefix`
 * class/distillation tokens. Such a layer's map is a row of a T×T relevance matrix R, built
 * block after block (R ← M_b·R from the identity, M_b the method's matrix of block b): the class
 * token's row over the patch tokens, on the grid, in float64 on the host.
 */
import { CamanimError, type Model } from '@camanim/core';
import type { CamContext, LayerInfo } from './method.ts';
import { perCall } from './methods/per-call.ts';
import { tokenLayout, type TokenOptions } from './tokens.ts';

/** What the methods say when a model has no attention to explain. */
const INSTEAD =
  'For a convolutional network use a CAM method (gradcam, gradcam++, scorecam, … see `camanim methods`); ' +
  'for a transformer, export its attention unfused (a Softmax, then a MatMul with V)';

/** Every block's attention probabilities as layers whose maps lie on the patch grid ([N, 1, h, w]). */
export function attentionLayers(model: Model, method: string, tokens?: TokenOptions): LayerInfo[] {
  const shapes = new Map(model.layers.map((l) => [l.name, l.shape]));
  const timesV = new Set(model.order.filter((n) => n.opType === 'MatMul').map((n) => n.inputs[0]));
  const softmaxes = model.order
    .filter((n) => n.opType === 'Softmax' && timesV.has(n.outputs[0]))
    .flatMap((node) => {
      const name = node.outputs[0];
      const shape = shapes.get(name) ?? [];
      const axis = Number(node.attributes.get('axis') ?? (model.graph.opset < 13 ? 1 : -1));
      const square = (shape.length === 3 || shape.length === 4) && shape.at(-1) === shape.at(-2) && shape.at(-1)! > 1;
      const last = axis === -1 || axis === shape.length - 1;
      // At the default batch 1: [1, heads, T, T], or [heads, T, T] for [N·heads, T, T].
      if (!square || !last || (shape.length === 4 && shape[0] !== 1)) return [];
      return [{ node, name, shape, heads: shape.length === 4 ? shape[1] : shape[0], count: shape.at(-1)! }];
    });
  if (softmaxes.length === 0) {
    const what =
      `CAM method '${method}' explains a transformer's attention, and this model has none: ` +
      'no Softmax over the last axis of [N, heads, T, T] or [N·heads, T, T] that a MatMul multiplies with V';
    throw new CamanimError('not-found', what, { file: model.source }, INSTEAD);
  }
  const tokenOf = tokenLayout(model, tokens);
  return softmaxes.map((s, block) => {
    const t = tokenOf({ index: -1, name: s.name, node: s.node.name, opType: 'Softmax', shape: [1, s.count, 1] });
    if (!t) {
      const what =
        `Attention block ${block + 1} has ${s.count} tokens, which fit no patch grid of this model ` +
        'with at most 2 tokens before the patches';
      const fix =
        'Give the grid and the tokens before the patches: --token-grid HxW --prefix-tokens k (tokens: { grid, prefix })';
      throw new CamanimError('not-found', what, { file: model.source, tensor: s.name }, fix);
    }
    const [h, w] = t.grid;
    const attention = { block, heads: s.heads, count: s.count, prefix: t.prefix };
    return { index: block, name: s.name, opType: `attention block ${block + 1}`, shape: [1, 1, h, w], attention };
  });
}

/** One block's matrix M_b per batch item, [T·T] each, from its attention (and gradient) [N·heads·T·T]. */
export type BlockMatrix = (ctx: CamContext, heads: number, count: number) => Promise<Float64Array[]>;

/**
 * A method's compute from its block matrix: R ← M_b·R per item, from the identity at block 1;
 * the layer's map is R's class row over the patch tokens. The blocks must come in order from
 * the first (computeCams runs a call's layers in order): R carries from one to the next.
 */
export function relevanceChain(method: string, matrix: BlockMatrix): (ctx: CamContext) => Promise<Float32Array> {
  const stateOf = perCall(async () => ({ next: 0, r: [] as Float64Array[] }));
  return async (ctx) => {
    const att = ctx.layer.attention;
    if (!att) {
      const fix = 'Let the method pick its layers: no --layers (no layers option), or attentionLayers(model)';
      const what = `CAM method '${method}' explains attention blocks, and '${ctx.layer.name}' is not one`;
      throw new CamanimError('bad-input', what, { layer: ctx.layer.name }, fix);
    }
    const state = await stateOf(ctx);
    if (att.block !== state.next) {
      const what =
        `CAM method '${method}' accumulates over the blocks in order, ` +
        `and block ${att.block + 1} came where block ${state.next + 1} was due`;
      const fix = 'Pass the attention blocks in order from the first: attentionLayers(model), or no layers';
      throw new CamanimError('bad-input', what, { layer: ctx.layer.name }, fix);
    }
    const { count: t, prefix, heads } = att;
    const [n, , h, w] = ctx.layer.shape;
    const m = await matrix(ctx, heads, t);
    const map = new Float32Array(n * h * w);
    for (let b = 0; b < n; b++) {
      state.r[b] = att.block === 0 ? m[b] : matmul(m[b], state.r[b], t);
      for (let p = 0; p < h * w; p++) map[b * h * w + p] = state.r[b][prefix + p];
    }
    state.next++;
    return map;
  };
}

/** The heads of item `b` of an attention tensor [N·heads·T·T]: one [T·T] view per head. */
export function headsOf(data: Float32Array, b: number, heads: number, count: number): Float32Array[] {
  const tt = count * count;
  return Array.from({ length: heads }, (_, k) => data.subarray((b * heads + k) * tt, (b * heads + k + 1) * tt));
}

function matmul(a: Float64Array, b: Float64Array, t: number): Float64Array {
  const out = new Float64Array(t * t);
  for (let i = 0; i < t; i++) {
    for (let k = 0; k < t; k++) {
      const aik = a[i * t + k];
      if (aik === 0) continue;
      for (let j = 0; j < t; j++) out[i * t + j] += aik * b[k * t + j];
    }
  }
  return out;
}
