/**
 * MPRT's animation beside CAManim (`explain --metrics mprt` with an animation format): per layer,
 * the trained model's map and the map once every parameterised node after the layer is randomised
 * (the pair the MPRT chart's SSIM compares, at ROAD's [0, 1] scale), side by side over the input,
 * into <stem>-mprt.gif / .mp4 / .webm / -mprt-frames/. A method that passes shows the right panel
 * falling apart as the cascade comes down; one that fails shows two equal maps. A layer after every
 * parameterised node has no randomised map: both its panels show the input alone.
 */
import { composeFrames, fmt, frameLayout } from './frames.ts';
import {
  frameText,
  framesTo,
  gifStream,
  overlayPanels,
  targetText,
  writeAnimation,
  type Explanation,
  type RenderContext,
} from './render.ts';

/** Writes the animation when the explanation has MPRT's maps (not for video models: MPRT scores 2-D maps). */
export async function renderMprt(ctx: RenderContext, ex: Explanation): Promise<void> {
  const mprt = ex.metrics?.find((m) => m.id === 'mprt');
  const pairs = mprt?.mapPairs;
  if (!mprt || !pairs || ctx.frames) return;
  const [H, W] = ex.stack.inputShape.slice(-2);
  const blank = new Float32Array(H * W);
  const stem = `${ex.stem}-mprt`;
  const layout = frameLayout(ctx.panelW, ctx.panelH, 2);
  const gif = gifStream(ctx, layout);
  const frames = await ctx.progress.time(
    `frames ${stem}`,
    async (step) => {
      const original = await overlayPanels(
        ctx,
        pairs.map((p) => p?.original ?? blank),
        H,
        W,
      );
      const randomised = await overlayPanels(
        ctx,
        pairs.map((p) => p?.randomised ?? blank),
        H,
        W,
      );
      return composeFrames(
        layout,
        ctx.colorbar,
        pairs.length,
        (k) => {
          const p = pairs[k];
          return {
            panels: [
              { rgba: original[k], caption: p ? 'trained model' : 'no randomised map' },
              {
                rgba: randomised[k],
                caption: p ? `randomised after the layer · SSIM ${fmt(mprt.chart.values[k])}` : 'after every weight',
              },
            ],
            text: frameText(ctx, ex.stack, k, `MPRT · ${ex.methodTitle} · ${targetText(ex.target)}`, ex.ybroad),
          };
        },
        framesTo(step, gif),
      );
    },
    pairs.length,
  );
  await writeAnimation(ctx, stem, frames, layout, ex.stack, ctx.formats, 1, gif);
}
