/**
 * GPU driver of noisy linear imputation: batched conjugate gradients over every (image,
 * channel) system at once, preconditioned by a multigrid V-cycle (multigrid.ts), checking
 * convergence every few iterations with one small readback of ‖r‖². Removed pixels form an SPD
 * system as long as each image keeps at least one pixel; with none kept, b = 0 and x = 0.
 */
import {
  chunkDotKernel,
  cgDirectionKernel,
  cgStepKernel,
  DOT_CHUNK,
  imputeComposeKernel,
  imputeInitKernel,
  imputeMatvecKernel,
  sumChunksKernel,
  type ImputeDims,
} from '@camanim/shaders';
import type { Dispatch, GpuTensor, Runtime } from '@camanim/core';
import { vcycle } from './multigrid.ts';

export interface ImputeOptions {
  /** Standard deviation of the Gaussian noise added to imputed pixels (default 0; pytorch-grad-cam's NoisyLinearImputer uses 0.01). */
  readonly noise?: number;
  /** The batch's noise seed: image k gets noiseSeed(seed, k) unless `seeds` gives each image its own. */
  readonly seed?: number;
  /** Per image of the batch its noise seed (noiseSeed's range, below 2^24), whatever its position. */
  readonly seeds?: readonly number[];
  /** Relative residual ‖r‖/‖b‖ every system must reach. */
  readonly tolerance?: number;
  readonly maxIterations?: number;
}

export interface ImputeResult {
  readonly image: GpuTensor;
  readonly iterations: number;
  /** Worst relative residual over the systems when the solve stopped. */
  readonly residual: number;
}

/** Iterations between convergence checks: each readback stalls the queue, ~20 iterations converge. */

const CHECK_EVERY = 4;

/** The noise seed of image `k` under `seed`: a 24-bit mix of both (exact in f32, as the compose kernel reads it). */
export function noiseSeed(seed: number, k: number): number {
  let h = Math.imul((seed >>> 0) ^ Math.imul(k + 1, 0x9e3779b9), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) & 0xffffff;
}

/**
 * images: [B, C, H, W] on the GPU; masks: [B, H·W] with 1 where a pixel is removed. Each system
 * stops where its own residual reaches the tolerance (checked every CHECK_EVERY iterations), and
 * each image's noise comes from its own seed: an image's result is the same in any batch.
 */
export async function imputeBatch(
  rt: Runtime,
  images: GpuTensor,
  masks: Float32Array,
  opts: ImputeOptions = {},
): Promise<ImputeResult> {
  const [b, c, h, w] = images.shape;
  const d: ImputeDims = { b, c, h, w };
  const tol = opts.tolerance ?? 1e-5;
  const maxIterations = opts.maxIterations ?? 4000;
  // A mask that removes every pixel (pytorch-grad-cam's threshold rule does, on a ReLU'd map with
  // many zeros) leaves b = 0: CG stays at x = 0, the zero image, which is also what the library's
  // spsolve returns for that system (measured, tools/road_pgc_reference.py).
  const systems = b * c;
  const size = [systems * h * w];
  const mask = rt.upload(masks, [b, h * w], 'impute:mask');
  const [r, z, p, x, ap] = ['r', 'z', 'p', 'x', 'ap'].map((n) => rt.createTensor(size, `impute:${n}`));
  const partial = rt.createTensor([systems * Math.ceil((h * w) / DOT_CHUNK)], 'impute:partial');
  const [rr0, rr, rzA, rzB, pap] = ['rr0', 'rr', 'rzA', 'rzB', 'pap'].map((n) => rt.createTensor([systems], `impute:${n}`));
  const live = new Float32Array(systems).fill(1);
  const liveGpu = rt.upload(live, [systems], 'impute:live');
  const temps = [mask, r, z, p, x, ap, partial, rr0, rr, rzA, rzB, pap, liveGpu];
  const precond = vcycle(rt, d, masks, mask, r, z);
  const dot = (u: GpuTensor, v: GpuTensor, out: GpuTensor): Dispatch[] => [
    { kernel: chunkDotKernel(d), buffers: [u.buffer, v.buffer, partial.buffer] },
    { kernel: sumChunksKernel(d), buffers: [partial.buffer, out.buffer] },
  ];
  try {
    // x0 = 0, r = b, p = 0, then z = M·r and p = z.
    const init = { kernel: imputeInitKernel(d), buffers: [images.buffer, mask.buffer, r.buffer, p.buffer, x.buffer] };
    await rt.run(
      [
        init,
        ...dot(r, r, rr0),
        ...precond.apply,
        ...dot(r, z, rzA),
        { kernel: cgDirectionKernel(d), buffers: [z.buffer, rzA.buffer, rr0.buffer, p.buffer] },
      ],
      'impute:init',
    );
    const initial = (await rt.read(rr0)).data;
    let iterations = 0;
    let residual = 0;
    let [rz, rzNew] = [rzA, rzB];
    while (iterations < maxIterations) {
      const step: Dispatch[] = [];
      for (let k = 0; k < CHECK_EVERY; k++) {
        step.push({ kernel: imputeMatvecKernel(d), buffers: [mask.buffer, p.buffer, ap.buffer] }, ...dot(p, ap, pap));
        step.push(
          {
            kernel: cgStepKernel(d),
            buffers: [p.buffer, ap.buffer, rz.buffer, pap.buffer, liveGpu.buffer, x.buffer, r.buffer],
          },
          ...precond.apply,
          ...dot(r, z, rzNew),
        );
        step.push({ kernel: cgDirectionKernel(d), buffers: [z.buffer, rzNew.buffer, rz.buffer, p.buffer] });
        [rz, rzNew] = [rzNew, rz];
      }
      await rt.run([...step, ...dot(r, r, rr)], 'impute:cg');
      iterations += CHECK_EVERY;
      const now = (await rt.read(rr)).data;
      residual = worstResidual(now, initial);
      if (residual <= tol) break;
      // Freeze the systems that have converged, so that their x is what they reach alone.
      let changed = false;
      for (let s = 0; s < systems; s++) {
        if (live[s] && systemResidual(now[s], initial[s]) <= tol) {
          live[s] = 0;
          changed = true;
        }
      }
      if (changed) rt.writeBuffer(liveGpu.buffer, live);
    }
    const out = rt.createTensor(images.shape, 'imputed');
    const noise = opts.noise ?? 0;
    const seeds = noise
      ? rt.upload(
          Float32Array.from({ length: b }, (_, k) => opts.seeds?.[k] ?? noiseSeed(opts.seed ?? 0, k)),
          [b],
          'impute:seeds',
        )
      : undefined;
    if (seeds) temps.push(seeds);
    await rt.run(
      [
        {
          kernel: imputeComposeKernel(d, noise),
          buffers: [images.buffer, mask.buffer, x.buffer, ...(seeds ? [seeds.buffer] : []), out.buffer],
        },
      ],
      'impute:compose',
    );
    return { image: out, iterations, residual };
  } finally {
    precond.release();
    temps.forEach((t) => rt.release(t));
  }
}

/** ‖r‖/‖b‖ of one system (0 for b = 0: nothing to solve). */
function systemResidual(rr: number, rr0: number): number {
  return rr0 > 0 ? Math.sqrt(Math.max(rr, 0) / rr0) : 0;
}

function worstResidual(rr: Float32Array, rr0: Float32Array): number {
  let worst = 0;
  for (let s = 0; s < rr.length; s++) worst = Math.max(worst, systemResidual(rr[s], rr0[s]));
  return worst;
}
