/**
 * Resize's per-axis taps, computed on the host in float64 exactly as the ONNX reference does
 * (onnx/reference/ops/op_resize.py): the coordinate transform, the n nearest neighbours of the
 * edge-padded axis, nearest / linear / cubic coefficients, and exclude_outside.
 * https://onnx.ai/onnx/operators/onnx__Resize.html
 */
import { tapsAxis, type AxisSpec, type Tap } from '@camanim/shaders';

export interface InterpolationAttrs {
  readonly mode: string;
  readonly coord: string;
  readonly nearest: string;
  readonly cubicA: number;
  readonly excludeOutside: boolean;
}

/** x_original from the output coordinate (spec: coordinate_transformation_mode). */
export const TRANSFORMS: Record<
  string,
  (x: number, scale: number, inLen: number, outLen: number, outInt: number, roi: readonly number[]) => number
> = {
  half_pixel: (x, s) => (x + 0.5) / s - 0.5,
  half_pixel_symmetric: (x, s, inLen, outLen, outInt) => (inLen / 2) * (1 - outInt / outLen) + (x + 0.5) / s - 0.5,
  pytorch_half_pixel: (x, s, _i, outLen) => (outLen === 1 ? -0.5 : (x + 0.5) / s - 0.5),
  align_corners: (x, _s, inLen, outLen) => (outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1)),
  asymmetric: (x, s) => x / s,
  tf_half_pixel_for_nn: (x, s) => (x + 0.5) / s,
  tf_crop_and_resize: (x, _s, inLen, outLen, _o, [r0, r1]) =>
    (outLen === 1 ? ((r1 - r0) * (inLen - 1)) / 2 : (x * (r1 - r0) * (inLen - 1)) / (outLen - 1)) + r0 * (inLen - 1),
};

/** Interpolation coefficients of the neighbours for the fractional position `r` in (0, 1]. */
function coefficients(a: InterpolationAttrs, r: number, scale: number): number[] {
  if (a.mode === 'linear') return [1 - r, r];
  if (a.mode === 'cubic') {
    const A = a.cubicA;
    const far = (t: number) => ((A * t - 5 * A) * t + 8 * A) * t - 4 * A;
    const near = (t: number) => ((A + 2) * t - (A + 3)) * t * t + 1;
    return [far(r + 1), near(r), near(1 - r), far(2 - r)];
  }
  const mode = a.nearest === 'simple' ? (scale < 1 ? 'ceil' : 'floor') : a.nearest;
  if (r === 1) return [0, 1];
  const up = { round_prefer_floor: r > 0.5, round_prefer_ceil: r >= 0.5, floor: false, ceil: true }[mode];
  if (up === undefined) throw new Error(`nearest_mode '${a.nearest}' is not supported`);
  return up ? [0, 1] : [1, 0];
}

/** The n indices nearest to x in the axis edge-padded by ceil(n/2), ties to the lower one. */
function neighbours(x: number, n: number, inLen: number): number[] {
  const pad = Math.ceil(n / 2);
  const px = x + pad;
  const candidates: number[] = [];
  for (let k = Math.floor(px) - n; k <= Math.floor(px) + n; k++) if (k >= 0 && k < inLen + 2 * pad) candidates.push(k);
  candidates.sort((p, q) => Math.abs(px - p) - Math.abs(px - q) || p - q);
  return candidates
    .slice(0, n)
    .sort((p, q) => p - q)
    .map((k) => k - pad);
}

export function axisTaps(
  a: InterpolationAttrs,
  inLen: number,
  outInt: number,
  scale: number,
  outLen: number,
  roi: readonly number[],
): AxisSpec {
  const transform = TRANSFORMS[a.coord];
  return tapsAxis(
    Array.from({ length: outInt }, (_, x): Tap[] => {
      const xo = transform(x, scale, inLen, outLen, outInt, roi);
      if (a.coord === 'tf_crop_and_resize' && (xo < 0 || xo > inLen - 1)) return []; // → extrapolation_value
      const coeffs = coefficients(a, Number.isInteger(xo) ? 1 : xo - Math.floor(xo), scale);
      const idx = neighbours(xo, coeffs.length, inLen);
      if (a.excludeOutside) {
        idx.forEach((k, j) => (coeffs[j] = k < 0 || k >= inLen ? 0 : coeffs[j]));
        const sum = coeffs.reduce((s, c) => s + c, 0);
        coeffs.forEach((c, j) => (coeffs[j] = c / sum));
      }
      const taps = new Map<number, number>();
      idx.forEach((k, j) => {
        const src = Math.min(inLen - 1, Math.max(0, k));
        if (coeffs[j] !== 0) taps.set(src, (taps.get(src) ?? 0) + coeffs[j]);
      });
      return [...taps].map(([src, w]) => ({ src, w }));
    }),
  );
}
