/**
 * Attention rollout (Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers",
 * arXiv:2005.00928), with jacobgil/vit-explain's options: per block the attention fused over its
 * heads (headFusion: mean, the default, max or min); with discardRatio r, the trunc(T²·r)
 * smallest entries of the fused T×T set to 0 (ties: the lower flat index goes first), except
 * entry (0, 0), class to class (vit-explain excludes flat index 0 only); Ã = (fused + I)/2 with
 * its rows renormalised; R ← Ã·R from the identity, one frame per block (attention.ts).
 * renormalize: 'vit-explain' divides entry (i, j) by row j's sum instead, as the released
 * `a / a.sum(dim=-1)` broadcasts (vit-explain issue #16); without discarding both are no-ops.
 * No gradients: it explains what the model attends to, not a class.
 */
import { CamanimError } from '@camanim/core';
import { attentionLayers, headsOf, relevanceChain } from '../attention.ts';
import type { CamContext, CustomMethod } from '../method.ts';

const FUSIONS = ['mean', 'max', 'min'] as const;
const RENORMALIZE = ['rows', 'vit-explain'] as const;
type Fusion = (typeof FUSIONS)[number];

const ID = 'attention-rollout';

export const attentionRollout: CustomMethod = {
  id: ID,
  title: 'Attention rollout',
  reference:
    'Abnar & Zuidema 2020 (vit-explain): R = prod_b (fuse_h A_b + I)/2 rows renormalised; map = R[cls, patches] per block ' +
    '(options headFusion: mean|max|min, discardRatio: 0, renormalize: rows|vit-explain)',
  needs: {},
  kind: 'custom',
  returns: 'map',
  ownLayers: (model, tokens) => attentionLayers(model, ID, tokens),
  compute: async (ctx) => ({ map: await rolloutOf(ctx) }),
};

const rolloutOf = relevanceChain(ID, async (ctx, heads, t) => {
  const { fusion, ratio, renormalize } = rolloutOptions(ctx);
  const data = await ctx.readActivation();
  return Array.from({ length: ctx.layer.shape[0] }, (_, b) => {
    const fused = fuse(headsOf(data, b, heads, t), fusion);
    discard(fused, Math.trunc(t * t * ratio));
    for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) fused[i * t + j] = (fused[i * t + j] + (i === j ? 1 : 0)) / 2;
    const sums = Array.from({ length: t }, (_, i) => fused.subarray(i * t, (i + 1) * t).reduce((s, v) => s + v, 0));
    for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) fused[i * t + j] /= sums[renormalize === 'rows' ? i : j];
    return fused;
  });
});

function fuse(heads: readonly Float32Array[], fusion: Fusion): Float64Array {
  const out = Float64Array.from(heads[0]);
  for (const head of heads.slice(1)) {
    for (let k = 0; k < out.length; k++) out[k] = fusion === 'mean' ? out[k] + head[k] : Math[fusion](out[k], head[k]);
  }
  if (fusion === 'mean') for (let k = 0; k < out.length; k++) out[k] /= heads.length;
  return out;
}

/** Zeroes the `count` smallest entries (the lower index first among equals), entry 0 excepted. */
function discard(fused: Float64Array, count: number): void {
  if (count <= 0) return;
  const order = Array.from(fused.keys()).sort((a, b) => fused[a] - fused[b] || a - b);
  for (const k of order.slice(0, count)) if (k !== 0) fused[k] = 0;
}

function rolloutOptions(ctx: CamContext): { fusion: Fusion; ratio: number; renormalize: (typeof RENORMALIZE)[number] } {
  const { headFusion = 'mean', discardRatio = 0, renormalize = 'rows' } = ctx.options;
  const bad = (what: string, fix: string) =>
    new CamanimError('bad-input', `Attention rollout: ${what}`, { layer: ctx.layer.name }, fix);
  if (!FUSIONS.includes(headFusion as Fusion)) {
    const fix = 'Pass options.headFusion as one of those (CLI: --head-fusion)';
    throw bad(`head fusion '${String(headFusion)}' is not one of ${FUSIONS.join(', ')}`, fix);
  }
  if (typeof discardRatio !== 'number' || !(discardRatio >= 0 && discardRatio < 1)) {
    const fix = 'Pass options.discardRatio such as 0.9 (CLI: --discard-ratio), or 0 to keep every attention';
    throw bad(`discard ratio must be within [0, 1), got ${String(discardRatio)}`, fix);
  }
  if (!RENORMALIZE.includes(renormalize as never)) {
    const fix =
      "Pass options.renormalize as 'rows' (the paper) or 'vit-explain' (the released code's broadcast); CLI: --renormalize";
    throw bad(`renormalize '${String(renormalize)}' is not one of ${RENORMALIZE.join(', ')}`, fix);
  }
  return { fusion: headFusion as Fusion, ratio: discardRatio, renormalize: renormalize as (typeof RENORMALIZE)[number] };
}
