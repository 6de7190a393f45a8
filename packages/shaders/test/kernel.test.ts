import { describe, expect, it } from 'vitest';
import { broadcastIndex, f32Lit, foldDispatch, stridesOf, unaryKernel } from '../src/index.ts';

/** Evaluates a generated WGSL u32 index expression in JS (it only uses + * / % and parens). */
function evalIndex(expr: string, i: number): number {
  const js = expr.replace(/(\d+)u/g, '$1').replace(/\//g, '/');
  return Function(
    'i',
    `"use strict"; const d = (a, b) => Math.floor(a / b); return ${js.replace(/\(([^()]*?) \/ (\d+)\)/g, 'd($1, $2)')};`,
  )(i);
}

describe('strides and broadcasting', () => {
  it('row-major strides', () => {
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
  });
  it('broadcast index maps output elements to the broadcast input', () => {
    const out = [2, 3, 4];
    const inp = [3, 1];
    const expr = broadcastIndex('i', out, inp);
    for (let i = 0; i < 24; i++) expect(evalIndex(expr, i)).toBe(Math.floor(i / 4) % 3);
  });
});

describe('dispatch folding', () => {
  it('keeps small dispatches 1-D', () => {
    expect(foldDispatch(100)).toEqual([100, 1, 1]);
  });
  it('folds past 65535 groups while covering every group', () => {
    const [x, y] = foldDispatch(200_000);
    expect(x).toBeLessThanOrEqual(65535);
    expect(x * y).toBeGreaterThanOrEqual(200_000);
  });
});

describe('kernel text', () => {
  it('bakes shapes and guards the tail', () => {
    const k = unaryKernel('relu', [10], 'max(x, 0.0)');
    expect(k.wgsl).toContain('if (i >= 10u)');
    expect(k.inputs).toBe(1);
    expect(k.outputs).toBe(1);
  });
  it('writes float literals WGSL accepts', () => {
    expect(f32Lit(1)).toBe('1.0');
    expect(f32Lit(0.5)).toBe('0.5');
    expect(f32Lit(-Infinity)).toBe('-3.4028234663852886e38');
  });
});
