/**
 * Attention rollout and gradient-weighted attention on two reduced vision transformers: torchvision's
 * ViT (nn.MultiheadAttention: attention [N·heads, T, T], a class token) and a DeiT-style model
 * (timm's Attention: [N, heads, T, T], class and distillation tokens), every block's map against
 * tools/attention_reference.py (float64 torch.autograd, vit-explain's and Chefer et al.'s conventions).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, type Model, type Run } from '@camanim/core';
import { encodeModel } from '../../core/test/onnx-builder.ts';
import {
  attentionLayers,
  computeCams,
  defaultCamRegistry,
  layersFor,
  selectLayers,
  type CamStack,
  type LayerInfo,
} from '../src/index.ts';
import { testRuntime } from './gpu.ts';

const FIXTURES = resolve(import.meta.dirname, '../../cli/test/fixtures/contract');

interface ModelReference {
  name: string;
  model: string;
  category: number;
  prefix: number;
  grid: [number, number];
  blocks: string[];
  /** `${headFusion}/${discardRatio}/${renormalize}` → the map after each block. */
  rollout: Record<string, number[][]>;
  gradient: number[][];
}

function readReference(): { input: number[]; models: ModelReference[] } {
  const path = join(FIXTURES, 'attention-reference.json');
  if (!existsSync(path)) {
    throw new Error(`The attention reference is missing (${path}); make it with: /usr/bin/python3 tools/attention_reference.py`);
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The largest |got − want| over a stack's blocks, relative to each block's largest |want|. */
function worstRelative(stack: CamStack, want: number[][], item = 0): number {
  expect(stack.layers.length).toBe(want.length);
  let worst = 0;
  stack.layers.forEach((l, b) => {
    const hw = want[b].length;
    // A block whose class row is 0 on every patch (rollout after discarding) must be 0 here too.
    const scale = Math.max(...want[b].map(Math.abs)) || Number.POSITIVE_INFINITY;
    for (let p = 0; p < hw; p++) {
      const got = l.raw[item * hw + p];
      worst = Math.max(worst, got === want[b][p] ? 0 : Math.abs(got - want[b][p]) / scale);
    }
  });
  return worst;
}

const ref = readReference();
const loaded = new Map<string, { model: Model; run: Run }>();

beforeAll(async () => {
  const runtime = await testRuntime();
  for (const m of ref.models) {
    const model = await loadModel(join(FIXTURES, m.model), { runtime, inputShape: [1, 3, 32, 32] });
    loaded.set(m.model, { model, run: await model.run({ data: Float32Array.from(ref.input), shape: [1, 3, 32, 32] }) });
  }
});

describe.each(ref.models)('attention methods on $name', (m) => {
  it('find every block, in order, on the patch grid with the class (and distillation) tokens dropped', () => {
    const layers = attentionLayers(loaded.get(m.model)!.model, 'attention-rollout');
    expect(layers.map((l) => l.name)).toEqual(m.blocks);
    expect(layers.map((l) => l.opType)).toEqual(m.blocks.map((_, b) => `attention block ${b + 1}`));
    for (const l of layers) {
      expect(l.shape).toEqual([1, 1, ...m.grid]);
      expect(l.attention).toMatchObject({ heads: 2, count: m.prefix + m.grid[0] * m.grid[1], prefix: m.prefix });
    }
  });

  it.each(Object.keys(m.rollout))("attention rollout %s equals vit-explain's at every block", async (key) => {
    const [headFusion, discard, renormalize] = key.split('/');
    const { run } = loaded.get(m.model)!;
    const options = { headFusion, discardRatio: Number(discard), renormalize };
    const stack = await computeCams(run, { method: 'attention-rollout', target: { class: m.category }, options });
    // float32 attention against float64: measured ≤ 2.2e-7 of each block's largest value (max/0.0/rows, DeiT).
    expect(worstRelative(stack, m.rollout[key])).toBeLessThan(1e-6);
  });

  it('has references that tell the options apart (each option is tested)', () => {
    const apart = (a: string, b: string) =>
      Math.max(...m.rollout[a].flatMap((row, k) => row.map((v, p) => Math.abs(v - m.rollout[b][k][p]))));
    for (const fusion of ['mean', 'max', 'min'])
      expect(apart(`${fusion}/0.9/rows`, `${fusion}/0.9/vit-explain`)).toBeGreaterThan(1e-3);
    expect(apart('mean/0.0/rows', 'max/0.0/rows')).toBeGreaterThan(1e-3);
    expect(apart('mean/0.0/rows', 'mean/0.9/rows')).toBeGreaterThan(1e-3);
  });

  it("gradient-weighted attention equals Chefer et al.'s generate_relevance at every block", async () => {
    const { run } = loaded.get(m.model)!;
    const stack = await computeCams(run, { method: 'gradient-attention', target: { class: m.category } });
    // float32 attention and gradients against float64: measured ≤ 2.4e-7 of each block's largest value (ViT).
    expect(worstRelative(stack, m.gradient)).toBeLessThan(1e-6);
  });

  it('keeps the batch items apart (attention and gradients of each item)', async () => {
    const { model } = loaded.get(m.model)!;
    const data = new Float32Array(2 * ref.input.length);
    data.set(ref.input, ref.input.length);
    const run = await model.run({ data, shape: [2, 3, 32, 32] });
    try {
      const stack = await computeCams(run, { method: 'gradient-attention', target: [{ class: 0 }, { class: m.category }] });
      expect(worstRelative(stack, m.gradient, 1)).toBeLessThan(1e-6);
      // Item 0 is the zero input, explained for class 0: its maps differ.
      expect(worstRelative(stack, m.gradient, 0)).toBeGreaterThan(1e-2);
    } finally {
      run.dispose();
    }
  });
});

describe('attention methods refuse what they cannot explain', () => {
  const vit = () => loaded.get('vit-tiny.onnx')!;

  it('a model without attention, saying which methods apply', async () => {
    const cnn = await loadModel(
      encodeModel({
        nodes: [
          { op: 'Conv', inputs: ['x', 'w'], outputs: ['a'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
          { op: 'ReduceMean', inputs: ['a'], outputs: ['y'], attrs: { axes: [2, 3], keepdims: 0 } },
        ],
        inputs: [{ name: 'x', dims: [1, 3, 6, 6] }],
        outputs: ['y'],
        initializers: [{ name: 'w', dims: [2, 3, 3, 3], data: Array.from({ length: 54 }, (_, k) => (k % 7) - 3) }],
      }),
      { runtime: await testRuntime() },
    );
    const run = await cnn.run({ data: new Float32Array(108).fill(1), shape: [1, 3, 6, 6] });
    try {
      await expect(computeCams(run, { method: 'gradient-attention', target: { class: 0 } })).rejects.toThrow(
        /'gradient-attention' explains a transformer's attention, and this model has none: no Softmax.*gradcam, gradcam\+\+/s,
      );
    } finally {
      run.dispose();
    }
  });

  it('a layer selection, since the methods explain every block', () => {
    const method = defaultCamRegistry.get('attention-rollout');
    expect(() => layersFor(vit().model, method, { filter: 'ln_1', every: 2 })).toThrow(
      /'attention-rollout' explains tensors of its own .*a layer selection \(a filter, every\) does not apply.*Drop --layers/s,
    );
    expect(layersFor(vit().model, method, { kinds: 'spatial' }).length).toBe(2);
  });

  it('blocks out of order, and layers that are not attention', async () => {
    const { model, run } = vit();
    const reversed = attentionLayers(model, 'attention-rollout').reverse();
    const rollout = (layers: LayerInfo[]) => computeCams(run, { method: 'attention-rollout', target: { class: 0 }, layers });
    await expect(rollout(reversed)).rejects.toThrow(
      /accumulates over the blocks in order, and block 2 came where block 1 was due/,
    );
    const patches = selectLayers(model, { filter: 'conv_proj' });
    await expect(rollout(patches)).rejects.toThrow(/explains attention blocks, and '\/conv_proj\/Conv_output_0' is not one/);
  });

  it('options outside their range, naming the flag', async () => {
    const { run } = vit();
    const bad = (options: Record<string, unknown>) =>
      computeCams(run, { method: 'attention-rollout', target: { class: 0 }, options });
    await expect(bad({ headFusion: 'median' })).rejects.toThrow(
      /head fusion 'median' is not one of mean, max, min.*--head-fusion/s,
    );
    await expect(bad({ discardRatio: 1 })).rejects.toThrow(/discard ratio must be within \[0, 1\), got 1.*--discard-ratio/s);
    await expect(bad({ renormalize: 'cols' })).rejects.toThrow(/renormalize 'cols' is not one of rows, vit-explain/);
  });
});
