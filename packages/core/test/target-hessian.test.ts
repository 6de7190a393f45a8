import { describe, expect, it } from 'vitest';
import { targetHessian } from '../src/autodiff/target-hessian.ts';
import { seedGradient, type Target } from '../src/autodiff/targets.ts';
import { random } from './gpu.ts';

/** H_T·d from the rank-one terms. */
function apply(t: Target, z: Float32Array, d: Float64Array): Float64Array {
  const out = new Float64Array(z.length);
  for (const { weight, direction } of targetHessian(t, z, 'y')) {
    const dot = direction.reduce((s, u, k) => s + u * d[k], 0);
    direction.forEach((u, k) => (out[k] += weight * dot * u));
  }
  return out;
}

/** Central differences of the seed gradient along d (float64 steps around a float32 row). */
function numeric(t: Target, z: Float32Array, d: Float64Array, h: number): Float64Array {
  const grad = (s: number) =>
    seedGradient(
      t,
      Float32Array.from(z, (v, k) => v + s * d[k]),
      [1, z.length],
      'y',
    ).grad;
  const up = grad(h);
  const down = grad(-h);
  return Float64Array.from(up, (u, k) => (u - down[k]) / (2 * h));
}

describe('targetHessian', () => {
  const z = random(7, 11, -2, 2);
  const d = Float64Array.from(random(7, 12, -1, 1));
  const top = z.indexOf(Math.max(...z));
  const curved: Target[] = [
    { class: 3, kind: 'rest' },
    { class: top, kind: 'softmax' },
  ];
  for (const t of curved) {
    it(`${JSON.stringify(t)}: H·d matches central differences of the seed gradient`, () => {
      const got = apply(t, z, d);
      const want = numeric(t, z, d, 1e-2);
      expect(Math.max(...want.map(Math.abs))).toBeGreaterThan(1e-2);
      got.forEach((g, k) => expect(g).toBeCloseTo(want[k], 4));
    });
  }
  it('linear targets have no terms', () => {
    expect(targetHessian({ class: 2 }, z, 'y')).toEqual([]);
    expect(targetHessian({ classes: [{ class: 1, weight: 2 }] }, z, 'y')).toEqual([]);
  });
  it('custom targets and classes out of range are refused with the reason', () => {
    expect(() => targetHessian({ describe: 'mine', score: (r) => ({ value: 0, grad: r }) }, z, 'y')).toThrow(
      /custom target 'mine' are unknown/,
    );
    expect(() => targetHessian({ class: 9, kind: 'rest' }, z, 'y')).toThrow(/out of range/);
  });
});
