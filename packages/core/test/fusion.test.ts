/**
 * Forward fusion (plan/fuse.ts): Relu and same-shape Add chains after a convolution run in its
 * kernel, which still writes every tensor of the chain. Checked against the same model planned
 * without fusion (Runtime { fuse: false }) on one device: every activation, every layer's
 * gradient and the inference-only run are the same bit for bit, through the GEMM kernel (vec4
 * and scalar stores) and the window kernel, at batch 1 and 2; chains stop where a tensor has a
 * second reader or the Add broadcasts; a run from an overridden tensor inside a chain uses it.
 */
import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import type { Model } from '../src/model.ts';
import { acquireDevice } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { random } from './gpu.ts';
import { encodeModel } from './onnx-builder.ts';

/**
 * x [n, C, s, s] → 3×3 Conv+bias → Relu 'r1' (fused: window kernel) → 1×1 Conv+bias 'c2' →
 * Add(c2, x) 's2' → Relu 'r2' (fused: GEMM) → 1×1 stride-2 Conv 'd' → Add(p, d) 's3' with p a
 * 2×2 max pool of r2 (operand first; fused: window kernel) → Relu 'r3' → 1×1 Conv 'c4' read by
 * two nodes (not fused) → Relu 'r4' and Add(c4, bias [1, 8, 1, 1]) 'a4' (broadcast: not fused);
 * 1×1 Convs 'c5' and 'c6' of r3 summed by one Add 's6' → Relu 'r6' (c5's chain takes the Add,
 * c6 runs alone); y = (r4 + a4) + r6, the last Add fused into c5's chain too.
 */
function model(n: number, C: number, s: number): Uint8Array {
  const w = (name: string, dims: number[], seed: number, scale = 0.3) => ({
    name,
    dims,
    data: Array.from(
      random(
        dims.reduce((a, b) => a * b, 1),
        seed,
        -scale,
        scale,
      ),
    ),
  });
  return encodeModel({
    nodes: [
      { op: 'Conv', inputs: ['x', 'w1', 'b1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
      { op: 'Relu', inputs: ['c1'], outputs: ['r1'] },
      { op: 'Conv', inputs: ['r1', 'w2', 'b2'], outputs: ['c2'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Add', inputs: ['c2', 'x'], outputs: ['s2'] },
      { op: 'Relu', inputs: ['s2'], outputs: ['r2'] },
      { op: 'MaxPool', inputs: ['r2'], outputs: ['p'], attrs: { kernel_shape: [2, 2], strides: [2, 2] } },
      { op: 'Conv', inputs: ['r2', 'w3'], outputs: ['d'], attrs: { kernel_shape: [1, 1], strides: [2, 2] } },
      { op: 'Add', inputs: ['p', 'd'], outputs: ['s3'] },
      { op: 'Relu', inputs: ['s3'], outputs: ['r3'] },
      { op: 'Conv', inputs: ['r3', 'w4'], outputs: ['c4'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Relu', inputs: ['c4'], outputs: ['r4'] },
      { op: 'Add', inputs: ['c4', 'b4'], outputs: ['a4'] },
      { op: 'Conv', inputs: ['r3', 'w5', 'b5'], outputs: ['c5'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Conv', inputs: ['r3', 'w6'], outputs: ['c6'], attrs: { kernel_shape: [1, 1] } },
      { op: 'Add', inputs: ['c5', 'c6'], outputs: ['s6'] },
      { op: 'Relu', inputs: ['s6'], outputs: ['r6'] },
      { op: 'Add', inputs: ['r4', 'a4'], outputs: ['y0'] },
      { op: 'Add', inputs: ['y0', 'r6'], outputs: ['y'] },
    ],
    inputs: [{ name: 'x', dims: [n, C, s, s] }],
    outputs: ['y'],
    initializers: [
      w('w1', [C, C, 3, 3], 11),
      w('b1', [C], 12),
      w('w2', [C, C, 1, 1], 13),
      w('b2', [C], 14),
      w('w3', [C, C, 1, 1], 15),
      w('w4', [C, C, 1, 1], 16),
      w('b4', [1, C, 1, 1], 17),
      w('w5', [C, C, 1, 1], 18),
      w('b5', [C], 19),
      w('w6', [C, C, 1, 1], 20),
    ],
    opset: 13,
  });
}

const TENSORS = ['c1', 'r1', 'c2', 's2', 'r2', 'p', 'd', 's3', 'r3', 'c4', 'r4', 'a4', 'c5', 'c6', 's6', 'r6', 'y0', 'y'];
const dispatches = (m: Model, shape: number[]) =>
  m.planFor(new Map([['x', shape]])).full.nodes.reduce((a, pn) => a + pn.steps.length, 0);

describe('forward fusion', async () => {
  const device = await acquireDevice();
  const fused = new Runtime(device, { fuse: true });
  const plain = new Runtime(device, { fuse: false });

  // s = 12: 144 pixels a plane, the 1×1 GEMM stores vec4s; s = 10: 100 (a multiple of 4 too),
  // the stride-2 planes 25 (scalar stores); s = 6: 36 and 9. 6 channels: the window tiles' last
  // channel block is padding and the GEMM's rows are guarded.
  for (const [n, C, s] of [
    [1, 8, 12],
    [2, 8, 10],
    [1, 8, 6],
    [2, 6, 12],
  ]) {
    it(`batch ${n}, ${C} channels, ${s}×${s}: every activation and gradient equals the unfused plan's bit for bit`, async () => {
      const bytes = model(n, C, s);
      const [a, b] = [await loadModel(bytes, { runtime: fused }), await loadModel(bytes, { runtime: plain })];
      const shape = [n, C, s, s];
      // Four chains fuse: Conv → Relu, Conv → Add → Relu twice, and c5 → Add → Relu → Add (r6's
      // one reader adds y0); 1×1 Conv 'c4' has two readers.
      const kinds = a.planFor(new Map([['x', shape]])).full.nodes.flatMap((pn) => pn.steps.map((st) => st.kernel.name));
      expect(kinds.filter((k) => k.includes('+')).map((k) => k.slice(k.indexOf('+')))).toEqual([
        '+relu',
        '+add+relu',
        '+add+relu',
        '+add+relu+add',
      ]);
      expect(dispatches(a, shape)).toBe(dispatches(b, shape) - 8);
      const x = { data: random(n * C * s * s, 3), shape };
      const [ra, rb] = [await a.run(x), await b.run(x)];
      for (const t of TENSORS)
        expect({ t, v: Array.from((await ra.read(t)).data) }).toEqual({ t, v: Array.from((await rb.read(t)).data) });
      const layers = TENSORS.slice(0, -1);
      const [ga, gb] = [await ra.backward({ class: 5 }, { layers }), await rb.backward({ class: 5 }, { layers })];
      for (const t of layers)
        expect({ t, g: Array.from((await ga.read(t)).data) }).toEqual({ t, g: Array.from((await gb.read(t)).data) });
      const lean = await a.run(x, { retain: 'outputs' });
      expect(Array.from((await lean.read('y')).data)).toEqual(Array.from((await rb.read('y')).data));
      for (const r of [ra, rb, lean]) r.dispose();
      ga.dispose();
      gb.dispose();
      a.dispose();
      b.dispose();
    });
  }

  it('a run from an overridden tensor inside a chain (c2) recomputes the rest of the chain from it', async () => {
    const C = 8;
    const bytes = model(1, C, 12);
    const [a, b] = [await loadModel(bytes, { runtime: fused }), await loadModel(bytes, { runtime: plain })];
    const x = { data: random(C * 144, 4), shape: [1, C, 12, 12] };
    const c2 = { data: random(C * 144, 5), shape: [1, C, 12, 12] };
    const [ra, rb] = [await a.run(x), await b.run(x)];
    const [fa, fb] = [await ra.runFrom({ c2 }), await rb.runFrom({ c2 })];
    const y = Array.from((await fb.read('y')).data);
    expect(Array.from((await fa.read('y')).data)).toEqual(y);
    expect(y).not.toEqual(Array.from((await rb.read('y')).data));
    for (const r of [ra, rb, fa, fb]) r.dispose();
    a.dispose();
    b.dispose();
  });
});
