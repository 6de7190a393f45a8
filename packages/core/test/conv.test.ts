import { describe, expect, it } from 'vitest';
import { isCamanimError } from '../src/errors.ts';
import { convCaseData, type ConvCase } from './conv-case.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { analyticVjp } from './vjp.ts';

interface Case extends ConvCase {
  /** W is [Cout, C/group, KH, KW]. */
  kernelShape?: boolean;
}

interface Geo {
  n: number;
  c: number;
  h: number;
  w: number;
  co: number;
  cg: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  oh: number;
  ow: number;
  group: number;
}

/** Geometry from the ONNX definition (auto_pad per the spec's formulas), 1-D as height 1. */
function geo(t: Case): Geo {
  const one = t.x.length === 3;
  const [n, c, h, w] = one ? [t.x[0], t.x[1], 1, t.x[2]] : t.x;
  const [co, cg, kh, kw] = one ? [t.w[0], t.w[1], 1, t.w[2]] : t.w;
  const two = (v: number[] | undefined, d: number) => (v ? (one ? [d, v[0]] : v) : [d, d]);
  const [sh, sw] = two(t.strides, 1);
  const [dh, dw] = two(t.dilations, 1);
  const pads = t.pads ? (one ? [0, t.pads[0], 0, t.pads[1]] : t.pads) : [0, 0, 0, 0];
  const axis = (size: number, k: number, s: number, d: number, p0: number, p1: number) => {
    const span = (k - 1) * d + 1;
    if (!t.autoPad || t.autoPad === 'NOTSET') return [p0, Math.floor((size + p0 + p1 - span) / s) + 1];
    if (t.autoPad === 'VALID') return [0, Math.floor((size - span) / s) + 1];
    const o = Math.ceil(size / s);
    const total = Math.max(0, (o - 1) * s + span - size);
    return [t.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2), o];
  };
  const [pt, oh] = axis(h, kh, sh, dh, pads[0], pads[2]);
  const [pl, ow] = axis(w, kw, sw, dw, pads[1], pads[3]);
  return { n, c, h, w, co, cg, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, group: t.group ?? 1 };
}

/** Visits every (output, input, weight) triple of the convolution's definition. */
function eachProduct(g: Geo, f: (yi: number, xi: number, wi: number) => void): void {
  const cog = g.co / g.group;
  for (let b = 0; b < g.n; b++)
    for (let o = 0; o < g.co; o++)
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          const yi = ((b * g.co + o) * g.oh + oy) * g.ow + ox;
          const grp = Math.floor(o / cog);
          for (let c = 0; c < g.cg; c++)
            for (let ky = 0; ky < g.kh; ky++)
              for (let kx = 0; kx < g.kw; kx++) {
                const iy = oy * g.sh - g.pt + ky * g.dh;
                const ix = ox * g.sw - g.pl + kx * g.dw;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                f(yi, ((b * g.c + grp * g.cg + c) * g.h + iy) * g.w + ix, ((o * g.cg + c) * g.kh + ky) * g.kw + kx);
              }
        }
}

function convRef(g: Geo, x: Float32Array, w: Float32Array, bias?: Float32Array): Float64Array {
  const y = new Float64Array(g.n * g.co * g.oh * g.ow);
  if (bias) y.forEach((_, i) => (y[i] = bias[Math.floor(i / (g.oh * g.ow)) % g.co]));
  eachProduct(g, (yi, xi, wi) => (y[yi] += x[xi] * w[wi]));
  return y;
}

const data = (t: Case) => convCaseData(t, 11, t.w[0], t.kernelShape ? { kernel_shape: t.w.slice(2) } : {});

const cases: Case[] = [
  { name: '3x3 stride 2 pad 1, odd size, 16 channels', x: [1, 5, 11, 11], w: [16, 5, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  {
    name: 'dilation 2, asymmetric pads, no bias',
    x: [1, 4, 10, 9],
    w: [12, 4, 3, 3],
    dilations: [2, 2],
    pads: [1, 0, 2, 1],
    bias: false,
  },
  { name: 'rectangular kernel and strides', x: [1, 3, 12, 10], w: [4, 3, 2, 5], strides: [3, 1], pads: [0, 2, 1, 2] },
  { name: 'groups 2 with 3 outputs per group', x: [1, 4, 7, 7], w: [6, 2, 3, 3], group: 2, pads: [1, 1, 1, 1] },
  {
    name: 'groups 3 with 6 outputs per group (padded vec4 channels)',
    x: [1, 6, 6, 6],
    w: [18, 2, 3, 3],
    group: 3,
    strides: [1, 2],
    pads: [1, 1, 1, 1],
  },
  {
    name: 'stride 2 with dilation 2',
    x: [1, 3, 11, 10],
    w: [4, 3, 3, 3],
    strides: [2, 2],
    dilations: [2, 2],
    pads: [2, 1, 2, 1],
  },
  { name: 'depthwise 3x3', x: [1, 8, 10, 10], w: [8, 1, 3, 3], group: 8, pads: [1, 1, 1, 1] },
  { name: 'depthwise stride 2, multiplier 2', x: [1, 4, 9, 9], w: [8, 1, 3, 3], group: 4, strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'auto_pad SAME_UPPER stride 2', x: [1, 3, 8, 8], w: [4, 3, 3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { name: 'auto_pad SAME_LOWER', x: [1, 2, 7, 6], w: [4, 2, 4, 4], autoPad: 'SAME_LOWER' },
  { name: 'auto_pad VALID, kernel_shape given', x: [1, 2, 8, 8], w: [4, 2, 3, 3], autoPad: 'VALID', kernelShape: true },
  { name: '1x1 (GEMM path), batch 2, 4x4 planes', x: [2, 8, 4, 4], w: [12, 8, 1, 1] },
  { name: '1x1 (GEMM path) over 5x5 planes, groups 2', x: [1, 6, 5, 5], w: [10, 3, 1, 1], group: 2 },
  { name: '1x1 stride 2', x: [1, 8, 9, 9], w: [16, 8, 1, 1], strides: [2, 2] },
  { name: '7x7 stride 2 pad 3 (a stem)', x: [1, 3, 16, 16], w: [8, 3, 7, 7], strides: [2, 2], pads: [3, 3, 3, 3] },
  { name: 'batch 3', x: [3, 4, 6, 6], w: [8, 4, 3, 3], pads: [1, 1, 1, 1] },
  { name: 'weights and bias as graph inputs', x: [1, 3, 6, 6], w: [5, 3, 3, 3], pads: [1, 1, 1, 1], dynamic: true },
  { name: '1-D', x: [2, 3, 17], w: [4, 3, 5], strides: [2], pads: [2, 1] },
];

describe('Conv matches its definition', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const g = geo(t);
      const { x, w, b, inputs, attrs } = data(t);
      const { model, feeds } = await singleOpModel('Conv', inputs, attrs);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(y.shape).toEqual(t.x.length === 3 ? [g.n, g.co, g.ow] : [g.n, g.co, g.oh, g.ow]);
      expect(maxRelError(y.data, convRef(g, x, w, b))).toBeLessThan(1e-5);
      run.dispose();
      model.dispose();
    });
  }

  it('refuses 4-D (four spatial axes) convolution naming the node', async () => {
    const { model, feeds } = await singleOpModel('Conv', [
      { shape: [1, 2, 2, 2, 2, 2], data: random(32) },
      { shape: [2, 2, 1, 1, 1, 1], data: random(4), constant: true },
    ]);
    const err = await model.run(feeds).catch((e) => e);
    expect(isCamanimError(err)).toBe(true);
    expect(String(err.message)).toMatch(
      /Only 1-D, 2-D and 3-D convolutions are supported; input is \[1, 2, 2, 2, 2, 2\].*Conv_node/s,
    );
    model.dispose();
  });
});

describe('Conv VJP: dX, dW, dB against the adjoint of the definition', () => {
  const vjpCases = cases.filter((t) => !t.name.startsWith('refuses'));
  for (const t of vjpCases) {
    it(t.name, async () => {
      const g = geo(t);
      const { x, w, b, inputs } = data(t);
      const { attrs } = data(t);
      const gy = random(g.n * g.co * g.oh * g.ow, 14);
      const wrt = b ? [0, 1, 2] : [0, 1];
      const got = await analyticVjp('Conv', inputs, attrs, gy, wrt, { weights: true });
      const dx = new Float64Array(x.length);
      const dw = new Float64Array(w.length);
      eachProduct(g, (yi, xi, wi) => {
        dx[xi] += gy[yi] * w[wi];
        dw[wi] += gy[yi] * x[xi];
      });
      expect(maxRelError(got[0], dx), 'dX').toBeLessThan(1e-5);
      expect(maxRelError(got[1], dw), 'dW').toBeLessThan(1e-5);
      if (b) {
        const db = new Float64Array(g.co);
        gy.forEach((v, i) => (db[Math.floor(i / (g.oh * g.ow)) % g.co] += v));
        expect(maxRelError(got[2], db), 'dB').toBeLessThan(1e-5);
      }
    });
  }
});
