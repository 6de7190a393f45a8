/**
 * The Hessian of a class target with respect to one model output row z, as a sum of rank-one
 * terms H_T = Σ_i λ_i u_i u_iᵀ, for methods that need second derivatives (ShapleyCAM's
 * Hessian-vector products; the runtime has no double backward). With p = softmax(z) and
 * diag(p) − p pᵀ = Σ_j p_j (e_j − p)(e_j − p)ᵀ:
 * - logit, classes, binary: linear in z, no terms;
 * - ReST, T = z_c + log p_c = 2 z_c − logsumexp(z): H_T = −(diag(p) − p pᵀ);
 * - softmax, T = p_c: H_T = p_c [(e_c − p)(e_c − p)ᵀ − (diag(p) − p pᵀ)].
 */
import { CamanimError } from '../errors.ts';
import { checkClass, softmax, type Target } from './targets.ts';

export interface HessianTerm {
  readonly weight: number;
  /** u_i, one value per output element. */
  readonly direction: Float64Array;
}

export function targetHessian(target: Target, row: Float32Array, tensor: string): HessianTerm[] {
  if ('score' in target) {
    throw new CamanimError(
      'bad-target',
      `The second derivatives of custom target '${target.describe}' are unknown (it gives only a gradient)`,
      { tensor },
      "Use a class target { class, kind: 'logit' | 'softmax' | 'rest' }",
    );
  }
  if ('classes' in target) return [];
  const kind = target.kind ?? 'logit';
  if (kind === 'logit' || kind === 'binary') return [];
  checkClass(target.class, row.length, tensor);
  const p = softmax(row);
  const away = (j: number) => p.map((pk, k) => (k === j ? 1 : 0) - pk);
  const covariance = Array.from(p, (pj, j) => ({ weight: -pj, direction: away(j) }));
  if (kind === 'rest') return covariance;
  const pc = p[target.class];
  return [{ weight: pc, direction: away(target.class) }, ...covariance.map((t) => ({ ...t, weight: t.weight * pc }))];
}
