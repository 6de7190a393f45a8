/**
 * Colormap tables against published values, and the GPU colormap + overlay kernel against the
 * tables: every entry, the blend with the image, and bilinear sampling of the map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDevice, Runtime, type Device } from '@camanim/core';
import { COLORMAP_LUTS, colormapLutWords, colormapNames, colormapOverlayKernel, colormapRgb } from '@camanim/shaders';
import { renderColorbar, COLORBAR_WIDTH } from '../src/colorbar.ts';
import { renderOverlays } from '../src/overlay.ts';

describe('colormap tables', () => {
  it('have 256 entries each', () => {
    expect(colormapNames).toEqual(['jet', 'turbo', 'viridis', 'inferno']);
    for (const name of colormapNames) expect(COLORMAP_LUTS[name].length).toBe(256);
  });

  it("jet is OpenCV's COLORMAP_JET (RGB)", () => {
    expect(colormapRgb('jet', 0)).toEqual([0, 0, 128]);
    expect(colormapRgb('jet', 255)).toEqual([128, 0, 0]);
    expect(colormapRgb('jet', 64)).toEqual([0, 128, 255]);
    expect(colormapRgb('jet', 128)).toEqual([130, 255, 126]);
    expect(colormapRgb('jet', 192)).toEqual([255, 124, 0]);
  });

  it('viridis, inferno and turbo match the published tables (round(255·x))', () => {
    // viridis: #440154 … (0.127568, 0.566949, 0.550556) … #fde725
    expect(colormapRgb('viridis', 0)).toEqual([68, 1, 84]);
    expect(colormapRgb('viridis', 128)).toEqual([33, 145, 140]);
    expect(colormapRgb('viridis', 255)).toEqual([253, 231, 37]);
    // inferno: #000004 … (0.735683, 0.215906, 0.330245) … #fcffa4
    expect(colormapRgb('inferno', 0)).toEqual([0, 0, 4]);
    expect(colormapRgb('inferno', 128)).toEqual([188, 55, 84]);
    expect(colormapRgb('inferno', 255)).toEqual([252, 255, 164]);
    // turbo: (0.18995, 0.07176, 0.23217) … (0.64362, 0.98999, 0.23356) … (0.4796, 0.01583, 0.01055)
    expect(colormapRgb('turbo', 0)).toEqual([48, 18, 59]);
    expect(colormapRgb('turbo', 128)).toEqual([164, 252, 60]);
    expect(colormapRgb('turbo', 255)).toEqual([122, 4, 3]);
  });

  it('are smooth (no transcription slips: neighbouring entries differ by a few levels)', () => {
    for (const name of colormapNames) {
      for (let k = 1; k < 256; k++) {
        const a = colormapRgb(name, k - 1);
        const b = colormapRgb(name, k);
        expect(Math.max(...a.map((v, c) => Math.abs(v - b[c]))), `${name}[${k}]`).toBeLessThanOrEqual(8);
      }
    }
  });
});

describe('colormap + overlay kernel (GPU)', () => {
  let device: Device;
  let rt: Runtime;
  beforeAll(async () => {
    device = await acquireDevice();
    rt = new Runtime(device);
  });
  afterAll(() => device?.destroy());

  const ramp = Float32Array.from({ length: 256 }, (_, k) => (k + 0.5) / 255);

  it('draws every table entry with alpha 1', async () => {
    for (const name of colormapNames) {
      const [px] = await renderOverlays(rt, {
        maps: [ramp],
        mapH: 1,
        mapW: 256,
        image: new Float32Array(256 * 3),
        outH: 1,
        outW: 256,
        colormap: name,
        alpha: 1,
      });
      for (let k = 0; k < 256; k++)
        expect([...px.subarray(k * 4, k * 4 + 4)], `${name}[${k}]`).toEqual([...colormapRgb(name, k), 255]);
    }
  });

  it('blends with the image: alpha·colour + (1 − alpha)·image, and clamps the map to 0..1', async () => {
    const image = new Float32Array(4 * 3).fill(0.2);
    const map = Float32Array.from([-1, 0, 1, 5]);
    const [px] = await renderOverlays(rt, {
      maps: [map],
      mapH: 1,
      mapW: 4,
      image,
      outH: 1,
      outW: 4,
      colormap: 'jet',
      alpha: 0.25,
    });
    const expected = (k: number) => colormapRgb('jet', k).map((c) => Math.round(0.25 * c + 0.75 * 51));
    expect([...px.subarray(0, 3)]).toEqual(expected(0));
    expect([...px.subarray(4, 7)]).toEqual(expected(0));
    expect([...px.subarray(8, 11)]).toEqual(expected(255));
    expect([...px.subarray(12, 15)]).toEqual(expected(255));
  });

  it('samples the map bilinearly with half-pixel centres (cv2 INTER_LINEAR)', async () => {
    // A 1×2 map [0, 1] drawn 1×4: samples at x = -0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    const [px] = await renderOverlays(rt, {
      maps: [Float32Array.from([0, 1])],
      mapH: 1,
      mapW: 2,
      image: new Float32Array(12),
      outH: 1,
      outW: 4,
      colormap: 'viridis',
      alpha: 1,
    });
    const idx = [0, 0.25, 0.75, 1].map((v) => Math.floor(v * 255));
    idx.forEach((k, x) => expect([...px.subarray(x * 4, x * 4 + 3)]).toEqual(colormapRgb('viridis', k)));
  });

  it('four pixels an invocation (rows of whole vec4s) shade every pixel as one pixel an invocation does', async () => {
    const spec = { frames: 2, mapH: 5, mapW: 7, outH: 6, outW: 12, alpha: 0.4 };
    const wave = (n: number, k: number) => Float32Array.from({ length: n }, (_, i) => 0.5 + 0.7 * Math.sin(i * k));
    const inputs = [
      rt.upload(wave(2 * 5 * 7, 1.7), [70]),
      rt.upload(wave(6 * 12 * 3, 0.9), [216]),
      rt.upload(new Float32Array(colormapLutWords('turbo').buffer), [256]),
    ];
    const shade = async (quads: boolean) => {
      const out = rt.createTensor([2 * 6 * 12]);
      const kernel = colormapOverlayKernel(spec, quads);
      await rt.run([{ kernel, buffers: [...inputs.map((t) => t.buffer), out.buffer] }], kernel.name);
      const { data } = await rt.read(out);
      rt.release(out);
      return [...new Uint32Array(data.buffer, data.byteOffset, data.length)];
    };
    const [quads, one] = [await shade(true), await shade(false)];
    expect(new Set(quads).size).toBeGreaterThan(20);
    expect(quads).toEqual(one);
    for (const t of inputs) rt.release(t);
  });

  it('renders several frames per dispatch and a colorbar from 1 (top) to 0 (bottom)', async () => {
    const maps = [new Float32Array(4).fill(0), new Float32Array(4).fill(1)];
    const frames = await renderOverlays(rt, {
      maps,
      mapH: 2,
      mapW: 2,
      image: new Float32Array(9 * 3),
      outH: 3,
      outW: 3,
      colormap: 'inferno',
      alpha: 1,
    });
    expect(frames.length).toBe(2);
    expect([...frames[0].subarray(0, 3)]).toEqual(colormapRgb('inferno', 0));
    expect([...frames[1].subarray(0, 3)]).toEqual(colormapRgb('inferno', 255));
    const bar = await renderColorbar(rt, 'jet', 256);
    expect(bar.length).toBe(COLORBAR_WIDTH * 256 * 4);
    expect([...bar.subarray(0, 3)]).toEqual(colormapRgb('jet', 255));
    expect([...bar.subarray(255 * COLORBAR_WIDTH * 4, 255 * COLORBAR_WIDTH * 4 + 3)]).toEqual(colormapRgb('jet', 0));
  });
});
