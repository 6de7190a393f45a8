/**
 * `camanim explain --video` on a video model end to end: the reduced-width R3D-18
 * (tools/video_models.py, input [1, 3, 8, 112, 112]) on an 8-frame clip given as a folder of
 * frames and as a video file ffmpeg decodes; every block output's Grad-CAM per frame against the
 * float64 torch.autograd reference written from pytorch-grad-cam's 3-D convention; the animation
 * a frame per (layer, input frame); the bundle's time axis; and the refusals around video input.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';

const VIDEO = resolve(import.meta.dirname, 'fixtures/video');
const MODEL = resolve(import.meta.dirname, '../../../test/fixtures/models/r3d_18.onnx');
const REGENERATE = 'make it with: /usr/bin/python3 tools/video_models.py';
// torchvision's Kinetics-400 video presets (the reference's normalization).
const NORM = ['--mean', '0.43216,0.394666,0.37645', '--std', '0.22803,0.22145,0.216989', '--resize', 'stretch'];
// The block outputs the reference holds (8 of the model's 66 layers, for a short run).
const BLOCKS = ['--layers', 'relu2/Relu'];

interface Reference {
  category: number;
  score: number;
  layers: { name: string; shape: [number, number, number]; raw: number[] }[];
}

let ref: Reference;
let tmp: string;
let runs = 0;
const explain = (args: string[]) => {
  const out = join(tmp, `out-${runs++}`);
  return camanim(['explain', '--model', MODEL, '--out', out, ...NORM, ...args]).then((r) => ({ ...r, out }));
};

beforeAll(() => {
  for (const f of [MODEL, join(VIDEO, 'r3d-gradcam.json'), join(VIDEO, 'frame-0.png')]) {
    if (!existsSync(f)) throw new Error(`The video fixture ${f} is missing; ${REGENERATE}`);
  }
  ref = JSON.parse(readFileSync(join(VIDEO, 'r3d-gradcam.json'), 'utf8')) as Reference;
  tmp = scratch('camanim-video-');
});

/** Every reference layer's map in the bundle `dir` (explanation folder `clip`) against the reference. */
async function expectReferenceMaps(out: string, clip: string): Promise<void> {
  const { manifest, maps } = await readBundle(join(out, clip, 'bundle'));
  expect(manifest.inputShape).toEqual([1, 3, 8, 112, 112]);
  expect(manifest.target.class).toBe(ref.category);
  // float32 forward against float64: measured 3.6e-7 relative.
  expect(Math.abs(manifest.score - ref.score) / Math.abs(ref.score)).toBeLessThan(1e-5);
  const cam = manifest.cams[0];
  expect(cam.layers.map((l) => l.name)).toEqual(ref.layers.map((l) => l.name));
  for (const want of ref.layers) {
    const layer = cam.layers.find((l) => l.name === want.name)!;
    expect([layer.frames, ...layer.mapShape]).toEqual(want.shape);
    const got = await maps(cam, layer, 'layer');
    expect(got.length).toBe(want.raw.length);
    const scale = Math.max(...want.raw.map(Math.abs));
    const worst = Math.max(...want.raw.map((v, i) => Math.abs(got[i] - v)));
    // float32 forward and backward through up to 17 3-D convolutions against float64: measured ≤ 3.0e-6 of the map's largest value.
    expect(worst / scale, want.name).toBeLessThan(1e-5);
    expect((await maps(cam, layer, 'input')).length).toBe(8 * 112 * 112);
  }
}

describe('explain --video', () => {
  it('explains a folder of frames: a Grad-CAM per frame at every block equal to the float64 reference, an animation frame per (layer, frame)', async () => {
    const r = await explain(['--video', VIDEO, ...BLOCKS, '--format', 'bundle,png']);
    expect(r.err).toContain('input 8 frames of 112×112 NCTHW RGB');
    expect(r.err).toContain('frames: model graph');
    expect(r.code).toBe(0);
    await expectReferenceMaps(r.out, 'video');
    const { manifest } = await readBundle(join(r.out, 'video', 'bundle'));
    expect(manifest.image.frames).toEqual(Array.from({ length: 8 }, (_, t) => `input-${t}.png`));
    expect(manifest.contract.input.frames).toEqual({ count: 8, from: 'model graph' });
    // 8 layers × 8 input frames, layer after layer, each playing the clip.
    const pngs = readdirSync(join(r.out, 'video', 'gradcam-frames')).sort();
    expect(pngs).toHaveLength(64);
    expect([pngs[0], pngs[9], pngs[63]]).toEqual([
      '001-layer1_layer1.0_relu2_Relu_output_0-t1.png',
      '010-layer1_layer1.1_relu2_Relu_output_0-t2.png',
      '064-layer4_layer4.1_relu2_Relu_output_0-t8.png',
    ]);
  }, 300_000);

  it('decodes a video file with ffmpeg (lossless, so the same maps)', async () => {
    const clip = join(tmp, 'clip.mkv');
    const ffmpeg = spawnSync('ffmpeg', [
      '-loglevel',
      'error',
      '-y',
      '-framerate',
      '8',
      '-i',
      join(VIDEO, 'frame-%d.png'),
      '-c:v',
      'ffv1',
      clip,
    ]);
    expect(ffmpeg.status, String(ffmpeg.stderr)).toBe(0);
    const r = await explain(['--video', clip, ...BLOCKS, '--format', 'bundle']);
    expect(r.code, r.err).toBe(0);
    await expectReferenceMaps(r.out, 'clip');
  }, 300_000);

  it('camanim layers says how many frames each video layer has', async () => {
    const r = await camanim(['layers', MODEL]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\/layer2\/layer2\.0\/relu2\/Relu_output_0 +Relu +\[1, 16, 4, 14, 14\] +video, 4 frames/);
    expect(r.out).toMatch(/\/layer4\/layer4\.1\/relu2\/Relu_output_0 +Relu +\[1, 32, 1, 4, 4\] +video, 1 frame\n/);
  });

  it('refuses what does not fit a video model, before any GPU work, naming the flag', async () => {
    const image = await explain(['--image', join(VIDEO, 'frame-0.png')]);
    expect(image.code).not.toBe(0);
    expect(image.err).toContain('This model takes video: 8 frames [N, C, T, H, W]');
    expect(image.err).toContain('--video');
    const frames = await explain(['--video', VIDEO, '--frames', '16']);
    expect(frames.err).toContain(
      "--frames asks for 16 frames, but the model's input 'video' [batch, 3, 8, 112, 112] is fixed at 8",
    );
    const short = await explain(['--video', join(VIDEO, 'frame-0.png')]);
    expect(short.err).toContain('The clip has 1 frame, but the model takes 8');
    const ybroad = await explain(['--video', VIDEO, '--ybroad']);
    expect(ybroad.err).toContain('--ybroad is not supported for video models yet');
    const road = await camanim(['road', '--model', MODEL, '--image', join(VIDEO, 'frame-0.png'), ...NORM]);
    expect(road.err).toContain('camanim road does not score video models [N, C, T, H, W] yet');
  }, 120_000);
});
