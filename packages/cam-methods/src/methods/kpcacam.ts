/**
 * KPCA-CAM (Karmani et al. 2024, arXiv:2410.00267; pytorch-grad-cam's KPCA_CAM, which calls
 * sklearn's KernelPCA(n_components=1).fit_transform): Eigen-CAM with kernel PCA. The layer's
 * h·w positions are samples X [hw, C], each channel centred; K_ij = k(x_i, x_j) is
 * double-centred, K̃ = K − 1K − K1 + 1K1 (1: the hw×hw matrix of 1/hw); the CAM is √λ·u, u the
 * unit eigenvector of K̃'s largest eigenvalue λ (0 where λ ≤ 0), with sklearn's sign (svd_flip):
 * u's largest-magnitude entry is positive. Kernels as sklearn's (coef0 1, degree 3):
 * sigmoid tanh(γ⟨x,y⟩ + 1) (the default), rbf exp(−γ‖x−y‖²), poly (γ⟨x,y⟩ + 1)³, linear ⟨x,y⟩
 * (Eigen-CAM up to the sign rule); γ defaults to 1/C. Options: kernel, gamma.
 * Cost per image: the hw×hw Gram matrix (hw²·C/2 multiply-adds) and a few dozen Lanczos
 * matrix-vector products, on the host in float64.
 */
import { CamanimError } from '@camanim/core';
import { largestEigenpair } from '../lanczos.ts';
import { centredRows, gram } from '../linalg.ts';
import type { CamContext, CustomMethod } from '../method.ts';

const KERNELS = {
  sigmoid: (dot: number, gamma: number) => Math.tanh(gamma * dot + 1),
  poly: (dot: number, gamma: number) => (gamma * dot + 1) ** 3,
  linear: (dot: number) => dot,
  rbf: (dot: number, gamma: number, sqi: number, sqj: number) => Math.exp(-gamma * Math.max(sqi + sqj - 2 * dot, 0)),
} as const;
export type KpcaKernel = keyof typeof KERNELS;

export const kpcacam: CustomMethod = {
  id: 'kpcacam',
  title: 'KPCA-CAM',
  reference:
    'Karmani et al. 2024: CAM = sqrt(l1)·u1, u1 the top eigenvector of the centred kernel matrix of A [HW x C] (options kernel: sigmoid|rbf|poly|linear, gamma: 1/C)',
  needs: {},
  kind: 'custom',
  returns: 'map',
  compute: async (ctx) => {
    const [n, c, h, w] = ctx.layer.shape;
    const { kernel, gamma } = kernelOptions(ctx, c);
    const a = await ctx.readActivation();
    const hw = h * w;
    const map = new Float32Array(n * hw);
    for (let b = 0; b < n; b++) map.set(kernelProjection(a.subarray(b * c * hw, (b + 1) * c * hw), c, hw, kernel, gamma), b * hw);
    return { map };
  },
};

/** The first kernel principal component of one image's [C, HW] activation (see the header). */
export function kernelProjection(data: Float32Array, c: number, hw: number, kernel: KpcaKernel, gamma: number): Float32Array {
  const k = gram(centredRows(data, c, hw), hw, c, 'rows');
  const f = KERNELS[kernel];
  const sq = Float64Array.from({ length: hw }, (_, i) => k[i * hw + i]);
  for (let i = 0; i < hw; i++) for (let j = 0; j < hw; j++) k[i * hw + j] = f(k[i * hw + j], gamma, sq[i], sq[j]);
  const means = new Float64Array(hw);
  let total = 0;
  for (let i = 0; i < hw; i++) {
    for (let j = 0; j < hw; j++) means[i] += k[i * hw + j];
    total += means[i];
    means[i] /= hw;
  }
  total /= hw * hw;
  for (let i = 0; i < hw; i++) for (let j = 0; j < hw; j++) k[i * hw + j] += total - means[i] - means[j];
  const { value, vector } = largestEigenpair(k, hw);
  let peak = 0;
  for (let i = 1; i < hw; i++) if (Math.abs(vector[i]) > Math.abs(vector[peak])) peak = i;
  const scale = (vector[peak] < 0 ? -1 : 1) * Math.sqrt(Math.max(value, 0));
  return Float32Array.from(vector, (v) => v * scale);
}

function kernelOptions(ctx: CamContext, c: number): { kernel: KpcaKernel; gamma: number } {
  const kernel = ctx.options.kernel ?? 'sigmoid';
  if (typeof kernel !== 'string' || !(kernel in KERNELS)) {
    throw new CamanimError(
      'bad-input',
      `KPCA-CAM kernel '${String(kernel)}' is not one of ${Object.keys(KERNELS).join(', ')}`,
      { layer: ctx.layer.name },
      'Pass options.kernel as one of those (CLI: --kpca-kernel)',
    );
  }
  const gamma = ctx.options.gamma ?? 1 / c;
  if (typeof gamma !== 'number' || !(gamma > 0) || !Number.isFinite(gamma)) {
    throw new CamanimError(
      'bad-input',
      `KPCA-CAM gamma must be a positive number, got ${String(gamma)}`,
      { layer: ctx.layer.name },
      'Pass options.gamma > 0, or leave it out for 1/C (CLI: --kpca-gamma)',
    );
  }
  return { kernel: kernel as KpcaKernel, gamma };
}
