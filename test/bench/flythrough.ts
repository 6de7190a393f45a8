/**
 * Flythrough frame time: the viewer in headless Chromium playing the camera through a
 * ResNet-50-shaped bundle (every spatial layer a plane; synthetic CAMs, which cost the renderer
 * the same as real ones) from the input to the prediction; the times between frames drawn
 * while the camera moves, as the viewer itself records them (window.camanim.stats).
 */
import { join } from 'node:path';
import { playbackRate } from '../../packages/viewer/src/Playback.ts';
import { deepNet, resnet50Net, writeBundle } from '../../packages/viewer/test/helpers/bundle.ts';
import { flythrough } from '../../packages/viewer/test/helpers/harness.ts';
import type { Context } from './lib/context.ts';
import type { ViewerSession } from './lib/viewer.ts';
import { progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

const VIEWPORT = { width: 1280, height: 760 };
/** Layers per second chosen (a stack deeper than PASS_LAYERS flies faster: viewer/src/Playback.ts). */
const SPEED = 8;

export async function flythroughSection(ctx: Context): Promise<Table> {
  const t = table("6. Flythrough frame time: the viewer flying through ResNet-50's stack (headless Chromium)", [
    'stack',
    'viewport',
    'flight',
    'frames',
    'median frame',
    'p95 frame',
    'mean frame',
    'fps (median)',
    'fps (p95)',
    'rendered by',
  ]);
  const viewer = await ctx.viewer();
  if ('skip' in viewer) {
    t.notes.push(`Not measured: ${viewer.skip}`);
    return t;
  }
  // ResNet-50's stack, and issue #16's 500-layer stack (uneven stages, long names: the labels' worst case).
  const stacks = [
    { name: 'resnet50', what: 'ResNet-50 shape', layers: resnet50Net() },
    { name: 'deep500', what: '500-layer stack', layers: deepNet(224, 224, 500) },
  ];
  for (const s of stacks) await flyOnce(viewer, t, s.name, s.what, s.layers);
  return t;
}

async function flyOnce(
  viewer: ViewerSession,
  t: Table,
  name: string,
  what: string,
  layers: ReturnType<typeof resnet50Net>,
): Promise<void> {
  writeBundle(join(viewer.root, name), { width: 224, height: 224, layers });
  const { page, errors } = await viewer.page(`bundle=b/${name}/&speed=${SPEED}`, VIEWPORT);
  try {
    const rate = playbackRate(SPEED, layers.length + 1);
    const seconds = Math.round((layers.length + 1) / rate) + 1;
    progress(`flythrough: ${layers.length} planes at ${rate.toFixed(1)} layers/s for ${seconds} s`);
    const f = await flythrough(page, seconds);
    if (f.frames < 2) throw new Error(`only ${f.frames} frames were drawn while the camera moved`);
    if (errors.length) throw new Error(`console errors: ${errors.join('; ').slice(0, 300)}`);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    t.rows.push([
      `${what}: ${f.layers} planes, 224×224 input`,
      `${VIEWPORT.width}×${VIEWPORT.height}`,
      `input → layer ${f.reached + 1} of ${f.layers} at ${rate.toFixed(1)} layers/s`,
      String(f.frames),
      ms(f.medianMs),
      ms(f.p95Ms),
      ms(f.meanMs),
      (1000 / f.medianMs).toFixed(1),
      (1000 / f.p95Ms).toFixed(1),
      `three.js ${f.backend} backend, Chromium ${viewer.chromium} (SwiftShader)`,
    ]);
    if (name !== 'resnet50') return;
    t.notes.push(
      "Frame time: the interval between consecutive frames drawn while the camera moves (requestAnimationFrame timestamps, recorded by the viewer: window.camanim.stats), over one flight from the input to the prediction started by window.camanim.play(). The timestamps sit on Chromium's 60 Hz frame clock, so frame times are multiples of 16.7 ms (50 ms = every third tick).",
      "Synthetic CAMs (packages/viewer/test/helpers/bundle.ts) in ResNet-50's layer structure (stem, 16 bottlenecks); the renderer draws the same planes and textures for real maps. Chromium runs with --use-angle=swiftshader --use-vulkan=swiftshader so the canvas is composited in headless mode: rendering is on the CPU.",
    );
  } finally {
    await page.close();
  }
}
