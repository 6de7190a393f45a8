/** Tile: numpy.tile on the GPU and folded on the host, its VJP (sum over repeats), backend cases. */
import { describe, expect, it } from 'vitest';
import { backendCases } from './backend-cases.ts';
import { random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

const x = random(2 * 3, 5); // [2, 3]
const repeats = [2, 1, 3]; // of a [1, 2, 3] view → [2, 2, 9]
/** numpy.tile(x.reshape(1, 2, 3), (2, 1, 3)) by its definition: out[a][b][c] = x[b][c mod 3]. */
const want = Array.from({ length: 36 }, (_, i) => x[(Math.floor(i / 9) % 2) * 3 + ((i % 9) % 3)]);
const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });

describe('Tile', () => {
  it('on the GPU', async () => {
    const { model, feeds } = await singleOpModel('Tile', [{ shape: [1, 2, 3], data: x }, ints(repeats)]);
    const y = await (await model.run(feeds)).read('out0');
    expect(y.shape).toEqual([2, 2, 9]);
    expect(Array.from(y.data)).toEqual(want);
    model.dispose();
  });
  it('folds constants (an int64 index table) on the host', async () => {
    const { model } = await singleOpModel('Tile', [
      { shape: [1, 2, 3], data: [0, 1, 2, 3, 4, 5], constant: true, dtype: 'int64' },
      ints(repeats),
    ]);
    const { inferred } = model.planFor(new Map());
    expect(inferred.nodes).toHaveLength(0);
    const c = inferred.consts.get('out0')!;
    expect(c.dtype).toBe('int64');
    expect(Array.from(c.data)).toEqual(Array.from({ length: 36 }, (_, i) => (Math.floor(i / 9) % 2) * 3 + ((i % 9) % 3)));
    model.dispose();
  });
  it('refuses repeats that do not match the rank', async () => {
    const { model, feeds } = await singleOpModel('Tile', [{ shape: [1, 2, 3], data: x }, ints([2, 3])]);
    await expect(model.run(feeds)).rejects.toThrow(/3 non-negative values.*node 'Tile_node', op 'Tile'/s);
    model.dispose();
  });
  it('VJP: each input element sums the gradient of its 6 repeats', async () => {
    const w = random(36, 8);
    const [dx] = await analyticVjp('Tile', [{ shape: [1, 2, 3], data: x }, ints(repeats)], {}, w, [0]);
    const wantDx = new Array(6).fill(0);
    w.forEach((g, i) => (wantDx[(Math.floor(i / 9) % 2) * 3 + ((i % 9) % 3)] += g));
    // Six float32 terms: measured worst 6e-8.
    dx.forEach((v, k) => expect(Math.abs(v - wantDx[k])).toBeLessThan(1e-6));
    // Tile is linear, so central differences are exact up to float32 rounding: measured 1.7e-6.
    expect(await gradCheck('Tile', [{ shape: [1, 2, 3], data: x }, ints(repeats)], {}, { eps: 1e-2 })).toBeLessThan(1e-5);
  });
});

describe('ONNX backend cases', () => backendCases(/^test_tile/));
