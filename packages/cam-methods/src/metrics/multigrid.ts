/**
 * The multigrid V-cycle preconditioner of the imputation systems (kernels and method in
 * @camanim/shaders multigrid.ts): z = M·r, M symmetric positive definite. CG on the masked
 * Laplacian needs O(diameter of the removed blobs) iterations; preconditioned by one V-cycle it
 * needs a few tens whatever the mask.
 */
import { coarsen, mgPreKernel, mgProlongKernel, mgRestrictKernel, mgSmoothKernel, type ImputeDims } from '@camanim/shaders';
import type { Dispatch, GpuTensor, Runtime } from '@camanim/core';

/** Jacobi damping; ω·λmax(D⁻¹A) ≤ 2ω < 2 keeps the smoother convergent, so M stays SPD. */
const OMEGA = 0.8;
/** Scale of each coarse operator relative to the finer one (measured: fewest CG iterations). */
const ALPHA = 1.5;

interface Level {
  readonly d: ImputeDims;
  readonly mask: GpuTensor;
  /** Right-hand side (level 0: the caller's r), pre-smoothed x, and residual / smoothed output. */
  readonly r: GpuTensor;
  readonly x: GpuTensor;
  readonly y: GpuTensor;
}

export interface Preconditioner {
  /** Dispatches computing z = M·r. */
  readonly apply: Dispatch[];
  release(): void;
}

/** masks: [B, H·W] (1 = removed), mask0 its GPU copy; r and z: [B·C·H·W]. */
export function vcycle(
  rt: Runtime,
  d0: ImputeDims,
  masks: Float32Array,
  mask0: GpuTensor,
  r: GpuTensor,
  z: GpuTensor,
): Preconditioner {
  const levels: Level[] = [{ d: d0, mask: mask0, r, x: rt.createTensor(r.shape, 'mg:x0'), y: z }];
  let host = masks;
  // Coarsen while both sides exceed 2: a 1×1 grid has no neighbours, so a zero diagonal.
  while (Math.min(levels[levels.length - 1].d.h, levels[levels.length - 1].d.w) > 2) {
    const f = levels[levels.length - 1].d;
    const d = coarsen(f);
    host = coarseMask(host, f, d);
    const l = levels.length;
    const size = [d.b * d.c * d.h * d.w];
    levels.push({
      d,
      mask: rt.upload(host, [d.b, d.h * d.w], `mg:mask${l}`),
      r: rt.createTensor(size, `mg:r${l}`),
      x: rt.createTensor(size, `mg:x${l}`),
      y: rt.createTensor(size, `mg:y${l}`),
    });
  }
  const apply: Dispatch[] = [];
  levels.forEach((l, k) => {
    apply.push({ kernel: mgPreKernel(l.d, OMEGA), buffers: [l.mask.buffer, l.r.buffer, l.x.buffer, l.y.buffer] });
    const next = levels[k + 1];
    if (next) apply.push({ kernel: mgRestrictKernel(l.d), buffers: [l.y.buffer, next.mask.buffer, next.r.buffer] });
  });
  for (let k = levels.length - 1; k >= 0; k--) {
    const l = levels[k];
    const next = levels[k + 1];
    if (next) apply.push({ kernel: mgProlongKernel(l.d, ALPHA), buffers: [l.mask.buffer, next.y.buffer, l.x.buffer] });
    apply.push({ kernel: mgSmoothKernel(l.d, OMEGA), buffers: [l.mask.buffer, l.r.buffer, l.x.buffer, l.y.buffer] });
  }
  return {
    apply,
    release: () => levels.forEach((l, k) => (k === 0 ? [l.x] : [l.mask, l.r, l.x, l.y]).forEach((t) => rt.release(t))),
  };
}

/** A coarse node is removed when the fine pixel it sits on is. */
function coarseMask(fine: Float32Array, f: ImputeDims, c: ImputeDims): Float32Array {
  const out = new Float32Array(c.b * c.h * c.w);
  for (let b = 0; b < c.b; b++) {
    for (let y = 0; y < c.h; y++)
      for (let x = 0; x < c.w; x++) out[(b * c.h + y) * c.w + x] = fine[(b * f.h + 2 * y) * f.w + 2 * x];
  }
  return out;
}
