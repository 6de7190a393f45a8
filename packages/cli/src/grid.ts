/**
 * Several methods side by side: grid.gif (one frame per layer, a panel per method, in one row
 * in the explanations' order — the viewer's side-by-side panels, viewer/src/SidePanel.ts, use
 * the same row) and
 * grid.png (a contact sheet: a row per method, a column per layer, up to 8 layers spread over
 * the depth). Uses the first normalization mode (global for `both`).
 */
import sharp, { type OverlayOptions } from 'sharp';
import { renderOverlays } from './overlay.ts';
import { composeFrames, fit, frameLayout, svgDoc, textEl } from './frames.ts';
import { encodePng } from './image.ts';
import type { InputContract } from '@camanim/core';
import { displayImage } from './preprocess.ts';
import type { RgbImage } from './image.ts';
import {
  frameText,
  framesTo,
  gifStream,
  modes,
  normalized,
  overlayPanels,
  targetText,
  writeAnimation,
  type Explanation,
  type RenderContext,
} from './render.ts';

const SHEET_COLUMNS = 8;

export async function renderGrid(
  ctx: RenderContext,
  exs: readonly Explanation[],
  suffix: string,
  image: RgbImage,
  pre: InputContract,
): Promise<void> {
  const mode = modes(ctx.normalization)[0];
  const norm = exs.map((ex) => normalized(ex.stack, mode));
  const first = exs[0].stack;
  const L = first.layers.length;
  const [, , H, W] = first.inputShape;
  const stem = `grid${suffix}`;
  if (ctx.formats.has('grid')) {
    const layout = frameLayout(ctx.panelW, ctx.panelH, exs.length);
    const formats = new Set(['gif'] as const);
    const gif = gifStream(ctx, layout, formats);
    const frames = await ctx.progress.time(
      `frames ${stem}`,
      async (step) => {
        // Every layer's overlay per method, then one frame per layer with the methods side by side.
        const overlays = await Promise.all(norm.map((n) => overlayPanels(ctx, n.maps, H, W)));
        return composeFrames(
          layout,
          ctx.colorbar,
          L,
          (k) => ({
            panels: exs.map((ex, j) => ({ rgba: overlays[j][k], caption: `${ex.methodTitle} · ${norm[j].captions[k]}` })),
            text: frameText(ctx, first, k, targetText(exs[0].target)),
          }),
          framesTo(step, gif),
        );
      },
      L,
    );
    await writeAnimation(ctx, stem, frames, layout, first, formats, 1, gif);
    await ctx.progress.time(`sheet ${stem}`, () =>
      contactSheet(
        ctx,
        exs,
        norm.map((n) => n.maps),
        stem,
        image,
        pre,
      ),
    );
  }
}

async function contactSheet(
  ctx: RenderContext,
  exs: readonly Explanation[],
  maps: Float32Array[][],
  stem: string,
  image: RgbImage,
  pre: InputContract,
): Promise<void> {
  const first = exs[0].stack;
  const L = first.layers.length;
  const [, , H, W] = first.inputShape;
  const cols =
    L <= SHEET_COLUMNS
      ? [...Array(L).keys()]
      : [...new Set(Array.from({ length: SHEET_COLUMNS }, (_, j) => Math.round((j * (L - 1)) / (SHEET_COLUMNS - 1))))];
  const cellW = Math.max(64, Math.round(ctx.panelW / 2.8 / 2) * 2);
  const cellH = Math.max(2, Math.round((cellW * H) / W / 2) * 2);
  const font = 11;
  const pad = 8;
  const rowLabelW = 120;
  const headH = 2 * (font + 6);
  const colLabelH = 2 * (font + 3) + 2;
  const width = pad + rowLabelW + cols.length * (cellW + 4) + pad;
  const height = pad + headH + colLabelH + exs.length * (cellH + 4) + pad;
  const display = await displayImage(image, pre, cellW, cellH);
  const layers: OverlayOptions[] = [];
  const svg: string[] = [
    textEl(pad, pad + font + 2, font + 1, fit(`${targetText(exs[0].target)}`, width - 2 * pad, font + 1), '#ffe08a', true),
  ];
  svg.push(
    textEl(
      pad,
      pad + 2 * (font + 6) - 2,
      font,
      fit(
        `${ctx.colormap} · ${modes(ctx.normalization)[0]} normalization · ${L} layers, ${cols.length} shown`,
        width - 2 * pad,
        font,
      ),
      '#cfcfcf',
    ),
  );
  cols.forEach((k, j) => {
    const x = pad + rowLabelW + j * (cellW + 4);
    const l = first.layers[k];
    svg.push(textEl(x, pad + headH + font, font, fit(`${k + 1} ${l.opType}`, cellW, font), '#ffffff'));
    svg.push(textEl(x, pad + headH + 2 * font + 3, font - 1, fit(l.name, cellW, font - 1), '#9ad0ff'));
  });
  for (const [r, ex] of exs.entries()) {
    const y = pad + headH + colLabelH + r * (cellH + 4);
    svg.push(textEl(pad, y + cellH / 2, font + 1, fit(ex.methodTitle, rowLabelW - 6, font + 1), '#ffffff', true));
    const cells = await renderOverlays(ctx.rt, {
      maps: cols.map((k) => maps[r][k]),
      mapH: H,
      mapW: W,
      image: display,
      outH: cellH,
      outW: cellW,
      colormap: ctx.colormap,
      alpha: ctx.alpha,
    });
    cells.forEach((c, j) =>
      layers.push({
        input: Buffer.from(c.buffer, c.byteOffset, c.byteLength),
        raw: { width: cellW, height: cellH, channels: 4 },
        left: pad + rowLabelW + j * (cellW + 4),
        top: y,
      }),
    );
  }
  layers.push({ input: Buffer.from(svgDoc(width, height, svg)), left: 0, top: 0 });
  const rgba = await sharp({ create: { width, height, channels: 4, background: { r: 17, g: 17, b: 17, alpha: 1 } } })
    .composite(layers)
    .raw()
    .toBuffer();
  ctx.written.push(await ctx.staging.write([ctx.dir, `${stem}.png`], await encodePng(rgba, width, height, 4)));
}
