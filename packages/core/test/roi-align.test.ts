/**
 * RoiAlign against onnxruntime-node (opset 10: output_half_pixel, torchvision's aligned=False;
 * opset 16: half_pixel by default and output_half_pixel by attribute), with regions partly
 * outside the map, smaller than a pixel, of fixed and adaptive sampling, over a batch of 2; the
 * VJP with respect to X against finite differences (the op is linear in X: exact up to f32);
 * mode max refused at load time.
 */
import { describe, expect, it } from 'vitest';
import { isCamanimError, modelFromGraph, type Graph } from '../src/index.ts';
import { maxRelError, random, singleOpModel, testRuntime, type OpInput } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { ortNode } from './ort-node.ts';

// [x1, y1, x2, y2] on a 9×11 map: inside, past the right and bottom edges, above-left of the
// map, smaller than a pixel, one spanning it, and one of zero size.
const ROIS = [1, 1, 6, 5, 7.3, 4.2, 14, 12.5, -3, -2, 2.5, 1.5, 4.2, 3.1, 4.6, 3.3, 0, 0, 10.9, 8.9, 3, 3, 3, 3];
const BATCH = [0, 1, 1, 0, 1, 0];
const X = [2, 3, 9, 11];

function inputs(rois: number[] = ROIS): OpInput[] {
  return [
    {
      shape: X,
      data: random(
        X.reduce((a, b) => a * b, 1),
        31,
        -2,
        2,
      ),
    },
    { shape: [rois.length / 4, 4], data: rois, constant: true },
    { shape: [rois.length / 4], data: BATCH.slice(0, rois.length / 4), constant: true, dtype: 'int64' },
  ];
}

const CASES: { name: string; opset: number; attrs: Record<string, number | string> }[] = [
  { name: 'opset 10, adaptive sampling', opset: 10, attrs: { output_height: 3, output_width: 4 } },
  {
    name: 'opset 10, sampling 2, scale 0.5',
    opset: 10,
    attrs: { output_height: 2, output_width: 2, sampling_ratio: 2, spatial_scale: 0.5 },
  },
  { name: 'opset 16, half_pixel (default)', opset: 16, attrs: { output_height: 3, output_width: 2, spatial_scale: 0.8 } },
  {
    name: 'opset 16, output_half_pixel',
    opset: 16,
    attrs: { output_height: 2, output_width: 3, sampling_ratio: 3, coordinate_transformation_mode: 'output_half_pixel' },
  },
];

describe('RoiAlign matches onnxruntime', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const ins = inputs();
      const ref = await ortNode(
        'RoiAlign',
        ins.map((x, k) => ({ ...x, type: k === 2 ? ('int64' as const) : undefined })),
        c.attrs,
        c.opset,
      );
      const { model, feeds } = await singleOpModel('RoiAlign', ins, c.attrs, { opset: c.opset });
      using run = await model.run(feeds);
      const out = await run.read('out0');
      expect(out.shape).toEqual(ref.shape);
      // measured worst 4.9e-7 (opset 16 half_pixel; 1.2e-7 the others): f32 weights, summed in another order
      const err = maxRelError(out.data, ref.data);
      expect(err).toBeLessThan(1e-5);
      model.dispose();
    });
  }
});

describe('RoiAlign VJP with respect to X', () => {
  for (const c of [CASES[0], CASES[2]]) {
    it(c.name, async () => {
      const worst = await gradCheck('RoiAlign', inputs(), c.attrs, { opset: c.opset, wrt: [0] });
      // measured worst 6.0e-6 (2.4e-6 opset 10): the op is linear in X, finite differences exact up to f32 rounding
      expect(worst).toBeLessThan(5e-5);
    });
  }
});

describe('RoiAlign refusals', () => {
  it('mode max fails at load time, naming the node', async () => {
    const graph: Graph = {
      nodes: [
        {
          name: 'pool',
          opType: 'RoiAlign',
          domain: '',
          inputs: ['x', 'rois', 'idx'],
          outputs: ['y'],
          attributes: new Map([['mode', 'max']]),
        },
      ],
      inputs: [{ name: 'x', dtype: 'float32', dims: X }],
      outputs: [{ name: 'y', dtype: 'float32', dims: [] }],
      initializers: new Map(),
      opset: 16,
      source: 'm.onnx',
    };
    const err = await modelFromGraph(graph, { runtime: await testRuntime() }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(isCamanimError(err) && err.code).toBe('unsupported-op');
    expect(err!.message).toMatch(/RoiAlign mode 'max' is not supported.*node 'pool'/s);
  });
});
