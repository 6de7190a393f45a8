/**
 * Flythrough frame time: the viewer in headless Chromium playing the camera through a
 * ResNet-50-shaped bundle (every spatial layer a plane; synthetic CAMs, which cost the renderer
 * the same as real ones) from the input to the prediction; the times between frames drawn
 * while the camera moves, as the viewer itself records them (window.camanim.stats).
 */
import { join } from 'node:path';
import { resnet50Net, writeBundle } from '../../packages/viewer/test/helpers/bundle.ts';
import { flythrough } from '../../packages/viewer/test/helpers/harness.ts';
import type { Context } from './lib/context.ts';
import { progress } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';

const VIEWPORT = { width: 1280, height: 760 };
/** Layers per second: the whole stack in about 15 s. */
const SPEED = 8;

export async function flythroughSection(ctx: Context): Promise<Table> {
  const t = table('6. Flythrough frame time: the viewer flying through ResNet-50\'s stack (headless Chromium)', [
    'stack', 'viewport', 'flight', 'frames', 'median frame', 'p95 frame', 'mean frame', 'fps (median)', 'fps (p95)', 'rendered by',
  ]);
  const viewer = await ctx.viewer();
  if ('skip' in viewer) {
    t.notes.push(`Not measured: ${viewer.skip}`);
    return t;
  }
  const layers = resnet50Net();
  writeBundle(join(viewer.root, 'resnet50'), { width: 224, height: 224, layers });
  const { page, errors } = await viewer.page(`bundle=b/resnet50/&speed=${SPEED}`, VIEWPORT);
  try {
    const seconds = Math.round((layers.length + 1) / SPEED) + 1;
    progress(`flythrough: ${layers.length} planes at ${SPEED} layers/s for ${seconds} s`);
    const f = await flythrough(page, seconds);
    if (f.frames < 2) throw new Error(`only ${f.frames} frames were drawn while the camera moved`);
    if (errors.length) throw new Error(`console errors: ${errors.join('; ').slice(0, 300)}`);
    const ms = (x: number) => `${x.toFixed(1)} ms`;
    t.rows.push([
      `ResNet-50 shape: ${f.layers} planes, 224×224 input`, `${VIEWPORT.width}×${VIEWPORT.height}`,
      `input → layer ${f.reached + 1} of ${f.layers} at ${SPEED} layers/s`, String(f.frames), ms(f.medianMs), ms(f.p95Ms), ms(f.meanMs),
      (1000 / f.medianMs).toFixed(1), (1000 / f.p95Ms).toFixed(1), `three.js ${f.backend} backend, Chromium ${viewer.chromium} (SwiftShader)`,
    ]);
    t.notes.push(
      'Frame time: the interval between consecutive frames drawn while the camera moves (requestAnimationFrame timestamps, recorded by the viewer: window.camanim.stats), over one flight from the input to the prediction started by window.camanim.play(). The timestamps sit on Chromium\'s 60 Hz frame clock, so frame times are multiples of 16.7 ms (50 ms = every third tick).',
      'Synthetic CAMs (packages/viewer/test/helpers/bundle.ts) in ResNet-50\'s layer structure (stem, 16 bottlenecks); the renderer draws the same planes and textures for real maps. Chromium runs with --use-angle=swiftshader --use-vulkan=swiftshader so the canvas is composited in headless mode: rendering is on the CPU.',
    );
  } finally {
    await page.close();
  }
  return t;
}
