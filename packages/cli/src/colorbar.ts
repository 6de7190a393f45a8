/** A vertical colorbar (1 at the top, 0 at the bottom), drawn by the same GPU colormap kernel. */
import type { Runtime } from '@camanim/core';
import type { ColormapName } from '@camanim/shaders';
import { renderOverlays } from './overlay.ts';

export const COLORBAR_WIDTH = 14;

/** RGBA, COLORBAR_WIDTH × height. */
export async function renderColorbar(rt: Runtime, colormap: ColormapName, height: number): Promise<Uint8Array> {
  // A 256-step ramp sampled to the bar's height: every table entry appears on tall bars.
  const ramp = Float32Array.from({ length: 256 }, (_, k) => 1 - k / 255);
  const [bar] = await renderOverlays(rt, {
    maps: [ramp],
    mapH: 256,
    mapW: 1,
    image: new Float32Array(height * COLORBAR_WIDTH * 3),
    outH: height,
    outW: COLORBAR_WIDTH,
    colormap,
    alpha: 1,
  });
  return bar;
}
