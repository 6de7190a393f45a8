/**
 * `camanim explain --method attention-rollout,gradient-attention` end to end on two reduced vision
 * transformers: one frame per attention block, each map against tools/attention_reference.py
 * (float64 torch; vit-explain's rollout, Chefer et al.'s gradient-weighted attention); the
 * rollout options from the command line; the refusals on a CNN and with a layer selection.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { FIXTURES, readReference } from './helpers/references.ts';

const IMAGE = join(FIXTURES, 'image-32x32.png');
/** explain's arguments for a fixture model on the fixture image at the imagenet preset. */
const on = (model: string, out: string) => [
  'explain',
  '--model',
  join(FIXTURES, model),
  '--image',
  IMAGE,
  '--preset',
  'imagenet',
  '--out',
  out,
  '--quiet',
];

interface Reference {
  models: { model: string; category: number; blocks: string[]; rollout: Record<string, number[][]>; gradient: number[][] }[];
}

let ref: Reference;
let tmp: string;

beforeAll(() => {
  ref = readReference<Reference>('attention-reference.json', 'attention', 'attention_reference.py');
  tmp = scratch('camanim-attention-');
});

/** explain at the input's own size (imagenet preset, stretched: no resampling), as a GIF and a bundle. */
async function explain(model: string, out: string, extra: string[]) {
  const r = await camanim([...on(model, out), '--resize', 'stretch', '--format', 'gif,bundle', ...extra]);
  expect(r.err).toBe('');
  return readBundle(join(out, 'image-32x32', 'bundle'));
}

/** The largest |got − want| of a cam's blocks relative to each block's largest |want| (exact where want is all 0). */
async function worst(bundle: Awaited<ReturnType<typeof readBundle>>, method: string, want: number[][]): Promise<number> {
  const cam = bundle.manifest.cams.find((c) => c.method === method)!;
  expect(cam.layers.length).toBe(want.length);
  let err = 0;
  for (const [b, layer] of cam.layers.entries()) {
    const got = await bundle.maps(cam, layer, 'layer');
    const scale = Math.max(...want[b].map(Math.abs)) || Number.POSITIVE_INFINITY;
    want[b].forEach((v, p) => (err = Math.max(err, got[p] === v ? 0 : Math.abs(got[p] - v) / scale)));
  }
  return err;
}

describe('camanim explain with the attention methods', () => {
  it('animates one frame per block of a torchvision ViT, both methods equal to their references', async () => {
    const m = ref.models.find((x) => x.model === 'vit-tiny.onnx')!;
    const out = join(tmp, 'vit');
    const bundle = await explain(m.model, out, ['--method', 'attention-rollout,gradient-attention']);
    expect(bundle.manifest.target.class).toBe(m.category);
    for (const cam of bundle.manifest.cams) {
      expect(cam.layers.map((l) => l.name)).toEqual(m.blocks);
      expect(cam.layers.map((l) => l.opType)).toEqual(['attention block 1', 'attention block 2']);
      expect(cam.layers.every((l) => l.mapShape[0] === 4 && l.mapShape[1] === 4)).toBe(true);
    }
    // float32 through the CLI's preprocessing against float64, of each block's largest value: measured
    // rollout 1.9e-7, gradient-weighted 5.6e-7.
    expect(await worst(bundle, 'attention-rollout', m.rollout['mean/0.0/rows'])).toBeLessThan(1e-6);
    expect(await worst(bundle, 'gradient-attention', m.gradient)).toBeLessThan(2e-6);
    for (const id of ['attention-rollout', 'gradient-attention'])
      expect(existsSync(join(out, 'image-32x32', `${id}.gif`)), id).toBe(true);
  });

  it("takes vit-explain's options from the command line (DeiT-style model: class and distillation tokens)", async () => {
    const m = ref.models.find((x) => x.model === 'deit-tiny.onnx')!;
    const options = ['--head-fusion', 'max', '--discard-ratio', '0.9', '--renormalize', 'vit-explain'];
    const bundle = await explain(m.model, join(tmp, 'deit'), ['--method', 'attention-rollout', ...options]);
    // measured 1.5e-7 of each block's largest value
    expect(await worst(bundle, 'attention-rollout', m.rollout['max/0.9/vit-explain'])).toBeLessThan(1e-6);
  });

  it('refuses a CNN, saying which methods apply, and a layer selection', async () => {
    const cnn = await camanim(['explain', '--method', 'attention-rollout', '--out', join(tmp, 'cnn'), '--quiet']);
    expect(cnn.code).not.toBe(0);
    expect(cnn.err).toContain("CAM method 'attention-rollout' explains a transformer's attention, and this model has none");
    expect(cnn.err).toContain('use a CAM method (gradcam, gradcam++, scorecam');
    const picked = await camanim([
      ...on('vit-tiny.onnx', join(tmp, 'sel')),
      '--method',
      'gradient-attention',
      '--layers',
      'ln_1',
    ]);
    expect(picked.code).not.toBe(0);
    expect(picked.err).toContain('a layer selection (a filter) does not apply');
    const bad = await camanim([
      ...on('vit-tiny.onnx', join(tmp, 'bad')),
      '--method',
      'attention-rollout',
      '--discard-ratio',
      '1.5',
    ]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('discard ratio must be within [0, 1), got 1.5');
  });

  it('`camanim methods` lists both with their conventions', async () => {
    const r = await camanim(['methods']);
    const row = (id: string) => r.out.split('\n').find((line) => line.startsWith(`${id} `)) ?? '';
    expect(row('attention-rollout')).toContain('headFusion: mean|max|min, discardRatio: 0, renormalize: rows|vit-explain');
    expect(row('gradient-attention')).toContain('R += E_h[(dy/dA * A)^+]');
  });
});
