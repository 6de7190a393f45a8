/**
 * FullGrad (Srinivas & Fleuret, 2019, "Full-Gradient Representation for Neural Network
 * Visualization", arXiv:1905.00780), as pytorch-grad-cam computes it:
 * S = Σ_c ψ(|∇ₓy ⊙ x|_c) + Σ_l Σ_c ψ(|∇_{z_l}y ⊙ b_l|_c), ψ = min-max scaling of each image's
 * channel map, (m − min) / (max − min + 1e-7), then bilinear resizing to the input size.
 * l runs over the bias layers (bias-terms.ts): Conv with a bias, BatchNormalization with its
 * effective bias; z_l is the layer's output.
 *
 * CAManim frames: the frame of layer L is the sum of the bias terms of the bias layers at L's
 * resolution that L depends on, L itself included: FullGrad's share of that resolution up to L
 * (a stage's first Conv shows its own term; zero where no bias layer of that resolution feeds
 * L, e.g. 2-D layers). The upsampling is linear, so where each resolution's last layer depends
 * on all of that resolution's bias layers (sequential stages), those frames upsampled plus the
 * input term are S, which `fullGradSaliency` gives whole.
 */
import type { Run, Target } from '@camanim/core';
import type { CustomMethod } from '../method.ts';
import { resizeHalfPixel } from '../resize.ts';
import { ancestorsOf, biasLayers, fullGradTerms } from './bias-terms.ts';
import { perCall } from './per-call.ts';

const termsOfCall = perCall((ctx) => fullGradTerms(ctx.run, ctx.target));

export const fullgrad: CustomMethod = {
  id: 'fullgrad',
  title: 'FullGrad',
  reference:
    'Srinivas & Fleuret 2019: S = sum_c psi(|dy/dx * x|) + sum_l sum_c psi(|dy/dz_l * b_l|); frame = the terms of the bias layers at its resolution that feed it',
  needs: { gradients: true },
  kind: 'custom',
  returns: 'map',
  compute: async (ctx) => {
    const [, , h, w] = ctx.layer.shape;
    const { bias } = await termsOfCall(ctx);
    const feeding = ancestorsOf(ctx.run, ctx.layer.name);
    const map = new Float32Array(ctx.layer.shape[0] * h * w);
    for (const l of biasLayers(ctx.run)) {
      const term = bias.get(l.output);
      if (term && l.shape[2] === h && l.shape[3] === w && feeding.has(l.output)) term.forEach((v, p) => (map[p] += v));
    }
    return { map };
  },
};

/** The whole FullGrad saliency S [N·H·W] at the input size, before the final min-max scaling. */
export async function fullGradSaliency(run: Run, target: Target | readonly Target[]): Promise<Float32Array> {
  const [n, , H, W] = run.shape(run.model.imageInput().name);
  const { input, bias } = await fullGradTerms(run, target);
  const out = Float32Array.from(input);
  for (const l of biasLayers(run)) {
    const term = bias.get(l.output);
    if (!term) continue;
    const [, , h, w] = l.shape;
    for (let b = 0; b < n; b++) {
      resizeHalfPixel(term.subarray(b * h * w, (b + 1) * h * w), h, w, H, W).forEach((v, p) => (out[b * H * W + p] += v));
    }
  }
  return out;
}
