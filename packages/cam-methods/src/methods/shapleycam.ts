/**
 * ShapleyCAM (Cai et al., 2024, "CAMs as Shapley Value-based Explainers", arXiv:2501.06261;
 * pytorch-grad-cam ShapleyCAM): w_c = mean_ij (∂y/∂A − ½ H·A)_c,ij, H = ∂²y/∂A²; CAM = Σ_c w_c A_c.
 *
 * H·A without a double backward. Central differences of gradients, (g(A + εA) − g(A − εA)) / 2ε,
 * are useless here: every ReLU the perturbation flips jumps the gradient, and on resnet18 and the
 * bundled model they were off by 10–10⁴ × |H·A| at every ε from 1e-1 to 1e-4, in float64 too.
 * Exact instead, for networks whose layers are piecewise linear (Conv, BN, ReLU, Clip, pooling,
 * Add, Concat, Gemm: zero second derivatives, as in PyTorch's double backward): the target is the
 * only curvature, y = T(z(A)), so H = Jᵀ H_T J with J = ∂z/∂A at A and H_T = Σ_i λ_i u_i u_iᵀ
 * (core's targetHessian), and H·A = Σ_i λ_i v_i ⟨v_i, A⟩ with v_i = Jᵀ u_i, the gradient at the
 * layer of the target u_i·z: one backward of the run itself per term (so J is taken at A), for
 * all the layers of the call at once. No ε:
 * against float64 PyTorch double backward the CAMs differ by at most 5e-6 of their scale.
 * Terms are taken by |λ|, dropping the smallest while their |λ| add up to under 1e-6 of the
 * total (a peaked softmax over 1000 classes needs only a few).
 * With a logit target H_T = 0 and ShapleyCAM is Grad-CAM; pair it with { kind: 'rest' } (the
 * paper's ReST) or 'softmax'. The curvature of smooth activations (SiLU, GELU, sigmoid) is not
 * included.
 */
import { targetHessian, type HessianTerm, type Target } from '@camanim/core';
import type { CustomMethod } from '../method.ts';
import { perCall } from './per-call.ts';

/** Hessian terms dropped from the smallest |λ| while their |λ| add up to less than this share. */
const TAIL = 1e-6;

export const shapleycam: CustomMethod = {
  id: 'shapleycam',
  title: 'ShapleyCAM',
  reference: 'Cai et al. 2024: w_c = mean_ij (dy/dA - H A / 2)_c,ij, H = d2y/dA2; use a softmax or ReST target',
  needs: { gradients: true },
  kind: 'custom',
  compute: async (ctx) => {
    const [n, c, h, w] = ctx.layer.shape;
    const g = await ctx.readGradient();
    const hva = (await hessianTimesActivations(ctx)).get(ctx.layer.name)!;
    const weights = new Float32Array(n * c);
    for (let k = 0; k < n * c; k++) {
      let s = 0;
      for (let p = k * h * w; p < (k + 1) * h * w; p++) s += g[p] - 0.5 * hva[p];
      weights[k] = s / (h * w);
    }
    return { weights };
  },
};

/**
 * H·A [N·C·h·w] at every layer of the call: term i of every image's target in one backward on
 * the run itself (J at A), for all the layers at once.
 */
const hessianTimesActivations = perCall(async (ctx): Promise<Map<string, Float64Array>> => {
  const run = ctx.run;
  const output = run.model.graph.outputs[0].name;
  const out = await run.read(output);
  const n = out.shape[0];
  const k = out.data.length / n;
  const terms = Array.from({ length: n }, (_, b) => {
    const target = (Array.isArray(ctx.target) ? ctx.target[b] : ctx.target) as Target;
    return leadingTerms(targetHessian(target, out.data.subarray(b * k, (b + 1) * k), output));
  });
  const names = ctx.layers.map((l) => l.name);
  const acts = await Promise.all(names.map(async (name) => (await run.read(name)).data));
  const hva = acts.map((a) => new Float64Array(a.length));
  for (let i = 0; i < Math.max(...terms.map((t) => t.length)); i++) {
    const targets = terms.map((t) => ({
      classes: t[i] ? Array.from(t[i].direction, (weight, cls) => ({ class: cls, weight })) : [],
    }));
    const grads = await run.backward(targets, { layers: names });
    try {
      for (const [l, name] of names.entries()) {
        const v = (await grads.read(name)).data;
        const size = v.length / n;
        terms.forEach((t, b) => {
          if (!t[i]) return;
          let dot = 0;
          for (let p = b * size; p < (b + 1) * size; p++) dot += v[p] * acts[l][p];
          for (let p = b * size; p < (b + 1) * size; p++) hva[l][p] += t[i].weight * dot * v[p];
        });
      }
    } finally {
      grads.dispose();
    }
  }
  return new Map(names.map((name, l) => [name, hva[l]]));
});

/** The terms by |λ|, without the smallest ones whose |λ| add up to under TAIL of the total. */
function leadingTerms(terms: HessianTerm[]): HessianTerm[] {
  const sorted = [...terms].sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight));
  const total = sorted.reduce((s, t) => s + Math.abs(t.weight), 0);
  let tail = 0;
  let keep = sorted.length;
  while (keep > 0) {
    tail += Math.abs(sorted[keep - 1].weight);
    if (tail > TAIL * total) break;
    keep--;
  }
  return sorted.slice(0, keep);
}
