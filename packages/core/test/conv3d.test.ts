/**
 * Conv over 3-D volumes ([N, C, T, H, W], video models such as R3D-18): the forward against
 * onnxruntime-node, and dX, dW, dB against the adjoint of the definition (a float64 host loop
 * over every output, input and weight triple, itself checked against onnxruntime's forward).
 */
import { describe, expect, it } from 'vitest';
import { convCaseData, size, type ConvCase } from './conv-case.ts';
import { maxRelError, random, singleOpModel } from './gpu.ts';
import { ortNode, type OrtAttr } from './ort-node.ts';
import { analyticVjp } from './vjp.ts';

const cases: (ConvCase & { kernelShape?: boolean })[] = [
  { name: '3x3x3 pad 1 (an R3D block)', x: [1, 4, 4, 6, 6], w: [8, 4, 3, 3, 3], pads: [1, 1, 1, 1, 1, 1] },
  {
    name: 'stem 3x7x7 stride 1x2x2 pad 1x3x3',
    x: [1, 3, 5, 12, 12],
    w: [6, 3, 3, 7, 7],
    strides: [1, 2, 2],
    pads: [1, 3, 3, 1, 3, 3],
  },
  {
    name: 'stride 2 in time and space, odd sizes',
    x: [1, 3, 7, 9, 9],
    w: [5, 3, 3, 3, 3],
    strides: [2, 2, 2],
    pads: [1, 1, 1, 1, 1, 1],
  },
  {
    name: 'dilations and asymmetric pads, no bias',
    x: [1, 2, 6, 7, 8],
    w: [4, 2, 2, 3, 3],
    dilations: [2, 1, 2],
    pads: [1, 0, 2, 0, 1, 1],
    bias: false,
  },
  { name: 'groups 2', x: [1, 4, 4, 5, 5], w: [6, 2, 3, 3, 3], group: 2, pads: [1, 1, 1, 1, 1, 1] },
  {
    name: 'depthwise 3x3x3 stride 2',
    x: [1, 4, 5, 6, 6],
    w: [4, 1, 3, 3, 3],
    group: 4,
    strides: [2, 2, 2],
    pads: [1, 1, 1, 1, 1, 1],
  },
  { name: 'temporal 3x1x1 (R(2+1)D)', x: [1, 4, 6, 5, 5], w: [4, 4, 3, 1, 1], pads: [1, 0, 0, 1, 0, 0] },
  { name: '1x1x1 (GEMM path), batch 2', x: [2, 6, 3, 4, 4], w: [8, 6, 1, 1, 1] },
  { name: '1x1x1 stride 2 (a downsample shortcut)', x: [1, 4, 5, 6, 6], w: [8, 4, 1, 1, 1], strides: [2, 2, 2] },
  { name: 'auto_pad SAME_UPPER stride 2', x: [1, 2, 5, 6, 7], w: [3, 2, 2, 3, 3], strides: [2, 2, 2], autoPad: 'SAME_UPPER' },
  { name: 'auto_pad SAME_LOWER', x: [1, 2, 4, 5, 5], w: [3, 2, 2, 2, 2], autoPad: 'SAME_LOWER' },
  { name: 'auto_pad VALID, kernel_shape given', x: [1, 2, 4, 6, 6], w: [4, 2, 3, 3, 3], autoPad: 'VALID', kernelShape: true },
  {
    name: 'weights and bias as graph inputs, batch 2',
    x: [2, 3, 3, 5, 5],
    w: [5, 3, 2, 3, 3],
    pads: [0, 1, 1, 1, 1, 1],
    dynamic: true,
  },
];

const data = (t: (typeof cases)[number]) => convCaseData(t, 21, t.w[0], t.kernelShape ? { kernel_shape: t.w.slice(2) } : {});

/** Every (output, input, weight) index triple of the definition, over any number of spatial axes. */
function eachProduct(t: ConvCase, out: readonly number[], f: (yi: number, xi: number, wi: number) => void): void {
  const sp = t.x.slice(2);
  const k = t.w.slice(2);
  const strides = t.strides ?? sp.map(() => 1);
  const dil = t.dilations ?? sp.map(() => 1);
  // Padding before: explicit, or SAME_* per the spec (the odd one at the end for UPPER).
  const begin = sp.map((x, d) => {
    if (t.autoPad === 'VALID') return 0;
    if (!t.autoPad) return t.pads?.[d] ?? 0;
    const total = Math.max(0, (out[d + 2] - 1) * strides[d] + (k[d] - 1) * dil[d] + 1 - x);
    return t.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
  });
  const group = t.group ?? 1;
  const [co, cg] = [t.w[0], t.w[1]];
  const osp = out.slice(2);
  const index = (dims: readonly number[], at: readonly number[]) => at.reduce((acc, v, d) => acc * dims[d] + v, 0);
  const points = (dims: readonly number[]) =>
    Array.from({ length: size(dims) }, (_, i) =>
      dims.reduceRight((acc, d) => [Math.floor(acc[0] / d), acc[0] % d, ...acc.slice(1)], [i]).slice(1),
    );
  const outPoints = points(osp);
  const taps = points(k);
  for (let b = 0; b < t.x[0]; b++)
    for (let o = 0; o < co; o++) {
      const grp = Math.floor(o / (co / group));
      for (const op of outPoints) {
        const yi = (b * co + o) * size(osp) + index(osp, op);
        for (let c = 0; c < cg; c++)
          for (const tp of taps) {
            const ip = op.map((v, d) => v * strides[d] - begin[d] + tp[d] * dil[d]);
            if (ip.some((v, d) => v < 0 || v >= sp[d])) continue;
            f(yi, (b * t.x[1] + grp * cg + c) * size(sp) + index(sp, ip), (o * cg + c) * size(k) + index(k, tp));
          }
      }
    }
}

describe('Conv 3-D matches onnxruntime', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { x, w, b, inputs, attrs } = data(t);
      const ref = await ortNode(
        'Conv',
        [{ shape: t.x, data: x }, { shape: t.w, data: w }, b ? { shape: [t.w[0]], data: b } : undefined],
        attrs as Record<string, OrtAttr>,
        17,
      );
      const { model, feeds } = await singleOpModel('Conv', inputs, attrs);
      const run = await model.run(feeds);
      const y = await run.read('out0');
      expect(y.shape).toEqual(ref.shape);
      // float32 sums of up to 4·3·7·7 products; measured worst 3.9e-6 (relative, maxRelError).
      expect(maxRelError(y.data, ref.data)).toBeLessThan(1e-5);
      // The host definition below is onnxruntime's convolution too (float64 vs float32 sums; measured 3.8e-6).
      const host = new Float64Array(size(ref.shape));
      if (b) host.forEach((_, i) => (host[i] = b[Math.floor(i / size(ref.shape.slice(2))) % t.w[0]]));
      eachProduct(t, ref.shape, (yi, xi, wi) => (host[yi] += x[xi] * w[wi]));
      expect(maxRelError(host, ref.data)).toBeLessThan(1e-5);
      run.dispose();
      model.dispose();
    });
  }
});

describe('Conv 3-D VJP: dX, dW, dB against the adjoint of the definition', () => {
  for (const t of cases) {
    it(t.name, async () => {
      const { x, w, b, inputs, attrs } = data(t);
      const { model, feeds } = await singleOpModel('Conv', inputs, attrs);
      const out = (await (await model.run(feeds)).read('out0')).shape;
      model.dispose();
      const gy = random(size(out), 24);
      const got = await analyticVjp('Conv', inputs, attrs, gy, b ? [0, 1, 2] : [0, 1], { weights: true });
      const dx = new Float64Array(x.length);
      const dw = new Float64Array(w.length);
      eachProduct(t, out, (yi, xi, wi) => {
        dx[xi] += gy[yi] * w[wi];
        dw[wi] += gy[yi] * x[xi];
      });
      // float32 sums; measured worst 1.4e-6 (dX and dW).
      expect(maxRelError(got[0], dx), 'dX').toBeLessThan(1e-5);
      expect(maxRelError(got[1], dw), 'dW').toBeLessThan(1e-5);
      if (b) {
        const db = new Float64Array(t.w[0]);
        gy.forEach((v, i) => (db[Math.floor(i / size(out.slice(2))) % t.w[0]] += v));
        expect(maxRelError(got[2], db), 'dB').toBeLessThan(1e-5);
      }
    });
  }
});
