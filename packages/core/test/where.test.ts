/**
 * Where: selection under three-way broadcasting on the GPU, folding of constant masks (Swin's
 * shifted-window attention mask), VJPs masked by the condition and summed to broadcast input
 * shapes by the engine, and the ONNX backend cases.
 */
import { describe, expect, it } from 'vitest';
import { hostTensor, type Graph, type HostTensor } from '../src/graph/ir.ts';
import { backendCases } from './backend-cases.ts';
import { graphModel, irNode, int64Tensor, random, singleOpModel } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { analyticVjp } from './vjp.ts';

const cond = [1, 0, 0, 1, 1, 0]; // [2, 3]
const x = random(4 * 2 * 3, 3); // [4, 1, 2, 3] broadcast over nothing but itself
const y = random(3, 4); // [3]

/** numpy.where(c[2,3], x[4,1,2,3], y[3]) → [4, 1, 2, 3]. */
const spec = () => Array.from(x, (v, i) => (cond[i % 6] ? v : y[i % 3]));

describe('Where broadcasts condition [2,3], X [4,1,2,3], Y [3]', () => {
  it('on the GPU', async () => {
    const { model, feeds } = await singleOpModel('Where', [
      { shape: [2, 3], data: cond },
      { shape: [4, 1, 2, 3], data: x },
      { shape: [3], data: y },
    ]);
    const out = await (await model.run(feeds)).read('out0');
    expect(out.shape).toEqual([4, 1, 2, 3]);
    expect(Array.from(out.data)).toEqual(spec());
    model.dispose();
  });
  it('with a constant bool condition (a mask initializer) on the GPU', async () => {
    const { model, feeds } = await singleOpModel('Where', [
      { shape: [2, 3], data: cond, constant: true, dtype: 'bool' },
      { shape: [4, 1, 2, 3], data: x },
      { shape: [3], data: y },
    ]);
    expect(Array.from((await (await model.run(feeds)).read('out0')).data)).toEqual(spec());
    model.dispose();
  });
  it('VJP: dX, dY masked by the condition; dY summed over the broadcast dims', async () => {
    const w = random(24, 9);
    const [dx, dy] = await analyticVjp(
      'Where',
      [
        { shape: [2, 3], data: cond },
        { shape: [4, 1, 2, 3], data: x },
        { shape: [3], data: y },
      ],
      {},
      w,
      [1, 2],
    );
    expect(Array.from(dx)).toEqual(Array.from(w, (g, i) => (cond[i % 6] ? g : 0)));
    const wantDy = [0, 0, 0];
    w.forEach((g, i) => {
      if (!cond[i % 6]) wantDy[i % 3] += g;
    });
    // 4 float32 terms summed in another order: measured worst 1.5e-8.
    dy.forEach((v, k) => expect(Math.abs(v - wantDy[k])).toBeLessThan(1e-7));
  });
  it('VJP against finite differences', async () => {
    const worst = await gradCheck(
      'Where',
      [
        { shape: [2, 3], data: cond, constant: true, dtype: 'bool' },
        { shape: [4, 1, 2, 3], data: x },
        { shape: [3], data: y },
      ],
      {},
      { eps: 1e-2, samples: 24 },
    );
    // Float32 forwards with eps 1e-2: measured worst 2.0e-6.
    expect(worst).toBeLessThan(1e-5);
  });
});

describe("Swin's shifted-window mask folds at plan time", () => {
  it('region ids → pairwise Sub → Equal → Not → Where(-100, 0) → added to the attention logits', async () => {
    // Swin (Liu et al. 2021, models/swin_transformer.py): img_mask region ids per window
    // position, attn_mask = (id_i - id_j != 0) → -100, else 0. One window of 4 positions here.
    const ids = [0, 0, 1, 2];
    const nodes = [
      irNode('Unsqueeze', ['ids', 'ax1'], ['ids_col']),
      irNode('Unsqueeze', ['ids', 'ax0'], ['ids_row']),
      irNode('Sub', ['ids_col', 'ids_row'], ['diff']),
      irNode('Equal', ['diff', 'zero'], ['same']),
      irNode('Not', ['same'], ['other']),
      irNode('Where', ['other', 'minus100', 'zerof'], ['mask']),
      irNode('Add', ['logits', 'mask'], ['masked']),
    ];
    const initializers = new Map<string, HostTensor>([
      ['ids', int64Tensor(ids)],
      ['ax0', int64Tensor([0])],
      ['ax1', int64Tensor([1])],
      ['zero', int64Tensor([0], [])],
      ['minus100', hostTensor('float32', [], [-100])],
      ['zerof', hostTensor('float32', [], [0])],
    ]);
    const graph: Graph = {
      nodes,
      inputs: [{ name: 'logits', dtype: 'float32', dims: [2, 4, 4] }],
      outputs: [{ name: 'masked', dtype: 'float32', dims: [] }],
      initializers,
      opset: 13,
      source: 'where.test',
    };
    const model = await graphModel(graph);
    const { inferred } = model.planFor(new Map([['logits', [2, 4, 4]]]));
    expect(inferred.nodes.map((n) => n.node.opType)).toEqual(['Add']);
    const mask = inferred.consts.get('mask')!;
    expect(mask.dtype).toBe('float32');
    const want = ids.flatMap((a) => ids.map((b) => (a === b ? 0 : -100)));
    expect(Array.from(mask.data)).toEqual(want);
    const logits = random(32, 5);
    const out = await (await model.run({ logits: { data: logits, shape: [2, 4, 4] } })).read('masked');
    expect(Array.from(out.data)).toEqual(Array.from(logits, (v, i) => Math.fround(v + want[i % 16])));
    model.dispose();
  });
});

describe('ONNX backend cases', () => backendCases(/^test_where/));
