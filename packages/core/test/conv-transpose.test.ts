import { describe, expect, it } from 'vitest';
import { isCamanimError } from '../src/errors.ts';
import { convCaseData, size, type ConvAttrs, type ConvCase } from './conv-case.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { ortNode, type OrtAttr } from './ort-node.ts';
import { analyticVjp } from './vjp.ts';

interface Case extends ConvCase {
  /** W is [C, Cout/group, KH, KW]. */
  outputPadding?: number[];
  outputShape?: number[];
  /** onnxruntime departs from the spec here: the test's definition (the spec's equations) is the reference. */
  ortDiffers?: string;
}

const cases: Case[] = [
  { name: 'U-Net up: 2x2 stride 2', x: [1, 8, 5, 6], w: [8, 4, 2, 2], strides: [2, 2] },
  {
    name: '3x3 stride 2 pad 1 output_padding 1',
    x: [1, 6, 5, 5],
    w: [6, 5, 3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    outputPadding: [1, 1],
  },
  {
    name: '4x4 stride 2 pad 1, 16 output channels, no bias',
    x: [1, 4, 4, 5],
    w: [4, 16, 4, 4],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    bias: false,
  },
  {
    name: 'groups 2, dilation 2, asymmetric pads',
    x: [1, 4, 6, 5],
    w: [4, 3, 3, 3],
    group: 2,
    dilations: [2, 2],
    pads: [1, 0, 2, 1],
  },
  {
    name: 'depthwise stride 2',
    x: [1, 6, 4, 4],
    w: [6, 1, 3, 3],
    group: 6,
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    outputPadding: [1, 1],
  },
  { name: 'stride 3 past a 2x2 kernel (phases with no tap)', x: [1, 3, 4, 3], w: [3, 5, 2, 2], strides: [3, 3] },
  { name: 'stride 3 past the kernel, no bias', x: [1, 2, 3, 3], w: [2, 2, 1, 2], strides: [3, 2], bias: false },
  { name: 'auto_pad SAME_UPPER stride 2', x: [1, 3, 4, 5], w: [3, 4, 3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { name: 'auto_pad SAME_LOWER stride 2', x: [1, 3, 4, 4], w: [3, 4, 3, 3], strides: [2, 2], autoPad: 'SAME_LOWER' },
  { name: 'auto_pad VALID', x: [1, 2, 4, 4], w: [2, 3, 3, 3], strides: [2, 1], autoPad: 'VALID' },
  { name: 'output_shape', x: [1, 3, 4, 4], w: [3, 2, 3, 3], strides: [3, 2], outputShape: [10, 8] },
  {
    name: 'SAME_UPPER with a stride past the kernel',
    x: [1, 2, 3, 3],
    w: [2, 3, 1, 1],
    strides: [2, 2],
    autoPad: 'SAME_UPPER',
    ortDiffers: 'onnxruntime keeps the natural 5x5, the spec asks for in·s = 6x6',
  },
  {
    name: 'output_shape 2 past the last window (negative begin pad)',
    x: [1, 2, 3, 3],
    w: [2, 2, 3, 3],
    strides: [2, 2],
    outputShape: [9, 10],
    ortDiffers: 'onnxruntime refuses output_shape past the natural size',
  },
  { name: '1x1 (GEMM path), batch 2, groups 2', x: [2, 6, 3, 5], w: [6, 4, 1, 1], group: 2 },
  { name: '1x1 stride 2', x: [1, 4, 3, 3], w: [4, 4, 1, 1], strides: [2, 2] },
  { name: 'rectangular kernel and strides, batch 2', x: [2, 3, 3, 4], w: [3, 4, 2, 3], strides: [1, 2], pads: [0, 1, 1, 0] },
  {
    name: 'weights and bias as graph inputs',
    x: [1, 4, 4, 4],
    w: [4, 6, 3, 3],
    strides: [2, 2],
    pads: [1, 1, 1, 1],
    dynamic: true,
  },
  { name: '1-D', x: [2, 3, 7], w: [3, 4, 4], strides: [2], pads: [1, 2], outputPadding: [1] },
  { name: '3-D 2x2x2 stride 2 (a 3-D U-Net up)', x: [1, 4, 3, 4, 3], w: [4, 6, 2, 2, 2], strides: [2, 2, 2] },
  {
    name: '3-D 3x3x3 stride 2 pad 1 output_padding 1, groups 2',
    x: [1, 4, 3, 3, 4],
    w: [4, 3, 3, 3, 3],
    group: 2,
    strides: [2, 2, 2],
    pads: [1, 1, 1, 1, 1, 1],
    outputPadding: [1, 1, 1],
  },
  {
    name: '3-D stride 3 in time past a 1-frame kernel (phases with no tap), no bias',
    x: [1, 2, 3, 3, 3],
    w: [2, 3, 1, 2, 2],
    strides: [3, 2, 1],
    bias: false,
  },
  { name: '3-D 1x1x1 (GEMM path), batch 2', x: [2, 4, 2, 3, 3], w: [4, 5, 1, 1, 1] },
  {
    name: '3-D weights and bias as graph inputs, dilation 2 in time',
    x: [1, 3, 3, 4, 4],
    w: [3, 4, 2, 3, 3],
    dilations: [2, 1, 1],
    pads: [1, 1, 1, 0, 1, 1],
    dynamic: true,
  },
];

function data(t: Case) {
  const co = t.w[1] * (t.group ?? 1);
  const extra: ConvAttrs = {};
  if (t.outputPadding) extra.output_padding = t.outputPadding;
  if (t.outputShape) extra.output_shape = t.outputShape;
  return { ...convCaseData(t, 21, co, extra), co };
}

/** Begin pads and output size per spatial axis, from the spec's equations (onnxruntime clamps negative totals at 0). */
function spatial(t: Case): { begin: number[]; out: number[] } {
  const nsp = t.x.length - 2;
  const begin: number[] = [];
  const out = t.x.slice(2).map((n, d) => {
    const s = t.strides?.[d] ?? 1;
    const natural = s * (n - 1) + (t.outputPadding?.[d] ?? 0) + (t.w[2 + d] - 1) * (t.dilations?.[d] ?? 1) + 1;
    if (t.outputShape || t.autoPad?.startsWith('SAME')) {
      const o = t.outputShape ? t.outputShape[d] : n * s;
      const total = natural - o;
      begin.push(t.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2));
      return o;
    }
    const [p0, p1] = t.autoPad === 'VALID' ? [0, 0] : [t.pads?.[d] ?? 0, t.pads?.[d + nsp] ?? 0];
    begin.push(p0);
    return natural - p0 - p1;
  });
  return { begin, out };
}

/** Visits every (output, input, weight) product of the definition (N-D, row-major). */
function eachProduct(t: Case, f: (yi: number, xi: number, wi: number) => void): number[] {
  const { begin, out } = spatial(t);
  const g = t.group ?? 1;
  const [n, c] = t.x;
  const ci = t.w[1];
  const cg = c / g;
  const kSp = t.w.slice(2);
  const yShape = [n, ci * g, ...out];
  const coords = (i: number, shape: number[]) => shape.map((_, k) => Math.floor(i / size(shape.slice(k + 1))) % shape[k]);
  for (let xi = 0; xi < size(t.x); xi++) {
    const [b, ch, ...p] = coords(xi, t.x);
    const grp = Math.floor(ch / cg);
    for (let m = 0; m < ci; m++) {
      for (let k = 0; k < size(kSp); k++) {
        const kc = coords(k, kSp);
        const o = p.map((v, d) => v * (t.strides?.[d] ?? 1) - begin[d] + kc[d] * (t.dilations?.[d] ?? 1));
        if (o.some((v, d) => v < 0 || v >= out[d])) continue;
        const yi = o.reduce((acc, v, d) => acc * out[d] + v, b * ci * g + grp * ci + m);
        f(yi, xi, (ch * ci + m) * size(kSp) + k);
      }
    }
  }
  return yShape;
}

describe('ConvTranspose matches onnxruntime and its definition', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { x, w, b, co, inputs, attrs } = data(t);
      const yShape = eachProduct(t, () => {});
      const host = new Float64Array(size(yShape));
      eachProduct(t, (yi, xi, wi) => (host[yi] += x[xi] * w[wi]));
      if (b) host.forEach((v, i) => (host[i] = v + b[Math.floor(i / size(yShape.slice(2))) % co]));
      const ref = t.ortDiffers
        ? { data: host, shape: yShape }
        : await ortNode(
            'ConvTranspose',
            [{ shape: t.x, data: x }, { shape: t.w, data: w }, b ? { shape: [co], data: b } : undefined],
            attrs as Record<string, OrtAttr>,
            17,
          );
      expect(yShape).toEqual(ref.shape);
      expect(maxRelError(host, ref.data), "the test's definition vs onnxruntime").toBeLessThan(1e-5);
      const { model, feeds } = await singleOpModel('ConvTranspose', inputs, attrs);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(y.shape).toEqual(ref.shape);
      // Measured worst 7.2e-7 (the 3-D case with packed dynamic weights; float32 sums of ≤ 72 products).
      expect(maxRelError(y.data, ref.data)).toBeLessThan(1e-5);
      if (process.env.CAMANIM_REPORT) console.log(`fwd ${t.name}: ${maxRelError(y.data, ref.data)}`);
      run.dispose();
      model.dispose();
    });
  }

  it('folds on the host when every input is constant', async () => {
    const t = cases[1];
    const { x, w, b, co, attrs } = data(t);
    const ref = await ortNode(
      'ConvTranspose',
      [
        { shape: t.x, data: x },
        { shape: t.w, data: w },
        { shape: [co], data: b! },
      ],
      attrs as Record<string, OrtAttr>,
      17,
    );
    const { model, feeds } = await singleOpModel(
      'ConvTranspose',
      [
        { shape: t.x, data: x, constant: true },
        { shape: t.w, data: w, constant: true },
        { shape: [co], data: b!, constant: true },
      ],
      attrs,
    );
    const run = await model.run(feeds);
    const y = await run.read('out0');
    expect(maxRelError(y.data, ref.data)).toBeLessThan(1e-5);
    run.dispose();
    model.dispose();
  });

  it('refuses four spatial axes, naming the node', async () => {
    const { model, feeds } = await singleOpModel('ConvTranspose', [
      { shape: [1, 2, 2, 2, 2, 2], data: random(32) },
      { shape: [2, 2, 1, 1, 1, 1], data: random(4), constant: true },
    ]);
    const err = await model.run(feeds).catch((e) => e);
    expect(isCamanimError(err)).toBe(true);
    expect(String(err.message)).toMatch(/Only 1-D, 2-D and 3-D transposed convolutions are supported.*ConvTranspose_node/s);
    model.dispose();
  });
});

describe('ConvTranspose VJP: dX, dW, dB against the adjoint of the definition', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { x, w, b, co, inputs, attrs } = data(t);
      const yShape = eachProduct(t, () => {});
      const gy = random(size(yShape), 24);
      const wrt = b ? [0, 1, 2] : [0, 1];
      const got = await analyticVjp('ConvTranspose', inputs, attrs, gy, wrt, { weights: true });
      const dx = new Float64Array(x.length);
      const dw = new Float64Array(w.length);
      eachProduct(t, (yi, xi, wi) => {
        dx[xi] += gy[yi] * w[wi];
        dw[wi] += gy[yi] * x[xi];
      });
      // Measured worst 8.7e-7.
      if (process.env.CAMANIM_REPORT) console.log(`vjp ${t.name}: ${maxRelError(got[0], dx)} ${maxRelError(got[1], dw)}`);
      expect(maxRelError(got[0], dx), 'dX').toBeLessThan(1e-5);
      expect(maxRelError(got[1], dw), 'dW').toBeLessThan(1e-5);
      if (b) {
        const db = new Float64Array(co);
        const plane = size(yShape.slice(2));
        gy.forEach((v, i) => (db[Math.floor(i / plane) % co] += v));
        expect(maxRelError(got[2], db), 'dB').toBeLessThan(1e-5);
      }
    });
  }

  it('agrees with finite differences (input and weights)', async () => {
    const t = cases[1];
    const { inputs, attrs } = data(t);
    const worst = await gradCheck('ConvTranspose', inputs, attrs, { wrt: [0, 1, 2], weights: true, eps: 1e-2, tol: 1e-4 });
    // Measured worst 1.2e-5.
    if (process.env.CAMANIM_REPORT) console.log(`fd: ${worst}`);
    expect(worst).toBeLessThan(1e-4);
  });
});
