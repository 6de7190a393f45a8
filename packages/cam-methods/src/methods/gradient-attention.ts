/**
 * Gradient-weighted attention (Chefer, Gur & Wolf 2021, "Generic Attention-model Explainability
 * for Interpreting Bi-Modal and Encoder-Decoder Transformers", arXiv:2103.15679; their
 * Transformer-MM-Explainability's generate_relevance for ViT): per block
 * Ā = E_h[(∇A ⊙ A)⁺] over the heads, ∇A the target's gradient at the attention probabilities;
 * R ← R + Ā·R from the identity; the frame of block b is R's class row over the patch tokens
 * after b blocks (attention.ts).
 */
import { attentionLayers, headsOf, relevanceChain } from '../attention.ts';
import type { CustomMethod } from '../method.ts';

const ID = 'gradient-attention';

export const gradientAttention: CustomMethod = {
  id: ID,
  title: 'Gradient-weighted attention',
  reference: 'Chefer et al. 2021: R = I; per block R += E_h[(dy/dA * A)^+]·R; map = R[cls, patches] per block',
  needs: { gradients: true },
  kind: 'custom',
  returns: 'map',
  ownLayers: (model, tokens) => attentionLayers(model, ID, tokens),
  compute: async (ctx) => ({ map: await relevanceOf(ctx) }),
};

const relevanceOf = relevanceChain(ID, async (ctx, heads, t) => {
  const [a, g] = await Promise.all([ctx.readActivation(), ctx.readGradient()]);
  return Array.from({ length: ctx.layer.shape[0] }, (_, b) => {
    const [ah, gh] = [headsOf(a, b, heads, t), headsOf(g, b, heads, t)];
    // I + Ā: R + Ā·R is (I + Ā)·R.
    const m = new Float64Array(t * t);
    for (let k = 0; k < heads; k++) for (let p = 0; p < t * t; p++) m[p] += Math.max(gh[k][p] * ah[k][p], 0) / heads;
    for (let i = 0; i < t; i++) m[i * t + i] += 1;
    return m;
  });
});
