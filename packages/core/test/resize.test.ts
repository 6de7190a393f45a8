import { describe, expect, it } from 'vitest';
import { random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { checkLinearOp, strides } from './linear-op.ts';

type Taps = [number, number][]; // (input index, weight) per output coordinate

/** Classic per-axis formulas (OpenCV / PyTorch style), independent of the op's neighbour search. */
const transforms: Record<string, (o: number, scale: number, n: number, m: number) => number> = {
  half_pixel: (o, s) => (o + 0.5) / s - 0.5,
  asymmetric: (o, s) => o / s,
  align_corners: (o, _s, n, m) => (m === 1 ? 0 : (o * (n - 1)) / (m - 1)),
  pytorch_half_pixel: (o, s, _n, m) => (m === 1 ? 0 : (o + 0.5) / s - 0.5),
};
const rounding: Record<string, (v: number) => number> = {
  round_prefer_floor: (v) => (v - Math.floor(v) <= 0.5 ? Math.floor(v) : Math.ceil(v)),
  round_prefer_ceil: (v) => (v - Math.floor(v) < 0.5 ? Math.floor(v) : Math.ceil(v)),
  floor: Math.floor,
  ceil: Math.ceil,
};

function axisTaps(n: number, m: number, scale: number, mode: string, coord: string, nearest: string): Taps[] {
  const clamp = (i: number) => Math.min(n - 1, Math.max(0, i));
  return Array.from({ length: m }, (_, o) => {
    const src = transforms[coord](o, scale, n, m);
    if (mode === 'nearest') return [[clamp(rounding[nearest](src)), 1]];
    const c = Math.max(src, 0);
    const i0 = Math.floor(c);
    const l = c - i0;
    return [
      [clamp(i0), 1 - l],
      [clamp(i0 + 1), l],
    ];
  });
}

/** out = Σ over per-axis taps of Π weights · x. */
function interpolate(x: ArrayLike<number>, shape: number[], taps: Taps[][]) {
  const out = taps.map((t) => t.length);
  const st = strides(shape);
  const data = new Float64Array(out.reduce((a, b) => a * b, 1));
  const c = out.map(() => 0);
  const sum = (k: number, off: number, w: number): number =>
    k === shape.length ? w * x[off] : taps[k][c[k]].reduce((s, [i, wi]) => s + sum(k + 1, off + i * st[k], w * wi), 0);
  for (let i = 0; i < data.length; i++) {
    data[i] = sum(0, 0, 1);
    for (let k = out.length - 1; k >= 0 && ++c[k] >= out[k]; k--) c[k] = 0;
  }
  return { data, shape: out };
}

function resizeRef(
  shape: number[],
  out: number[],
  scales: number[],
  mode: string,
  coord: string,
  nearest = 'round_prefer_floor',
) {
  return (x: Float64Array) => [
    interpolate(
      x,
      shape,
      shape.map((n, k) => axisTaps(n, out[k], scales[k], mode, coord, nearest)),
    ),
  ];
}

const floats = (data: number[]) => ({ shape: [data.length], data, constant: true });
const ints = (data: number[]) => ({ shape: [data.length], data, constant: true, dtype: 'int64' as const });
const none = { shape: [0], data: [], constant: true };

describe('Resize: forward, VJP (transposed interpolation) and fold', () => {
  const shape = [1, 2, 3, 4];
  const x = { shape, data: random(24, 3) };
  const cases = [
    { mode: 'linear', coord: 'half_pixel', scales: [1, 1, 2, 1.5] },
    { mode: 'linear', coord: 'half_pixel', scales: [1, 1, 0.5, 0.5] },
    { mode: 'linear', coord: 'asymmetric', scales: [1, 1, 2, 2] },
    { mode: 'nearest', coord: 'half_pixel', scales: [1, 1, 2, 2] },
    { mode: 'nearest', coord: 'asymmetric', scales: [1, 1, 3, 0.5], nearest: 'floor' },
  ];
  for (const c of cases) {
    it(`${c.mode} ${c.coord} scales [${c.scales}] ${c.nearest ?? ''}`, () => {
      const out = shape.map((d, k) => Math.floor(d * c.scales[k]));
      const attrs = { mode: c.mode, coordinate_transformation_mode: c.coord, ...(c.nearest ? { nearest_mode: c.nearest } : {}) };
      return checkLinearOp({
        name: `${c.mode} ${c.coord}`,
        opType: 'Resize',
        inputs: [x, none, floats(c.scales)],
        attrs,
        reference: resizeRef(shape, out, c.scales, c.mode, c.coord, c.nearest),
      });
    });
  }
  const sized = [
    { mode: 'linear', coord: 'align_corners', sizes: [1, 2, 5, 7] },
    { mode: 'linear', coord: 'pytorch_half_pixel', sizes: [1, 2, 1, 3] },
    { mode: 'nearest', coord: 'asymmetric', sizes: [1, 2, 7, 9], nearest: 'round_prefer_ceil' },
    { mode: 'nearest', coord: 'align_corners', sizes: [1, 2, 6, 3], nearest: 'floor' },
    { mode: 'nearest', coord: 'half_pixel', sizes: [1, 2, 5, 6], nearest: 'ceil' },
  ];
  for (const c of sized) {
    it(`${c.mode} ${c.coord} sizes [${c.sizes}] ${c.nearest ?? ''}`, () => {
      const attrs = { mode: c.mode, coordinate_transformation_mode: c.coord, ...(c.nearest ? { nearest_mode: c.nearest } : {}) };
      const scales = c.sizes.map((m, k) => m / shape[k]);
      return checkLinearOp({
        name: `${c.mode} ${c.coord}`,
        opType: 'Resize',
        inputs: [x, none, none, ints(c.sizes)],
        attrs,
        reference: resizeRef(shape, c.sizes, scales, c.mode, c.coord, c.nearest),
      });
    });
  }
  it('opset 10: scales input, asymmetric, nearest rounds down when upsampling', () =>
    checkLinearOp({
      name: 'opset 10',
      opType: 'Resize',
      inputs: [x, floats([1, 1, 2, 3])],
      opset: 10,
      reference: resizeRef(shape, [1, 2, 6, 12], [1, 1, 2, 3], 'nearest', 'asymmetric', 'floor'),
    }));
  it('Upsample (opset 9) bilinear', () =>
    checkLinearOp({
      name: 'upsample',
      opType: 'Upsample',
      inputs: [x, floats([1, 1, 2, 2])],
      attrs: { mode: 'linear' },
      opset: 9,
      reference: resizeRef(shape, [1, 2, 6, 8], [1, 1, 2, 2], 'linear', 'asymmetric'),
    }));
  it('Upsample (opset 7) scales attribute', () =>
    checkLinearOp({
      name: 'upsample 7',
      opType: 'Upsample',
      inputs: [x],
      attrs: { scales: [1, 1, 2, 2] },
      opset: 7,
      reference: resizeRef(shape, [1, 2, 6, 8], [1, 1, 2, 2], 'nearest', 'asymmetric', 'floor'),
    }));

  it('cubic VJP agrees with finite differences', () =>
    gradCheck('Resize', [x, none, floats([1, 1, 1.5, 0.75])], { mode: 'cubic' }, { samples: 8 }));

  it('refuses an unknown mode, naming the node', async () => {
    const { model } = await singleOpModel('Resize', [x, none, floats([1, 1, 2, 2])], { mode: 'area' });
    expect(() => model.planFor(new Map([['in0', shape]]))).toThrow(/mode 'area' is not supported[\s\S]*node 'Resize_node'/);
    model.dispose();
  });
});
