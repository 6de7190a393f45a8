/**
 * Deep Feature Factorization in the CLI: frames that colour each pixel by its concept (a
 * categorical colouring, as pytorch-grad-cam's show_factorization_on_image: the concept with the
 * largest scaled map at the pixel, in its colour from matplotlib's gist_rainbow at k/K, brightness
 * the map's value, over the image), and concepts.json with every layer's concepts and top classes.
 */
import { scaleCamImage, type CamStack } from '@camanim/cam-methods';
import type { Labels } from './labels.ts';

/** matplotlib's gist_rainbow segment data: (position, r, g, b). */
const GIST_RAINBOW = [
  [0, 1, 0, 0.16],
  [0.03, 1, 0, 0],
  [0.215, 1, 1, 0],
  [0.4, 0, 1, 0],
  [0.586, 0, 1, 1],
  [0.77, 0, 0, 1],
  [0.954, 1, 0, 1],
  [1, 1, 0, 0.75],
] as const;

/** The colour of concept k of K, RGB in [0, 1] (the DFF authors' palette). */
export function conceptColor(k: number, count: number): [number, number, number] {
  const t = k / count;
  const i = GIST_RAINBOW.findIndex((s, j) => j > 0 && t <= s[0]);
  const [a, b] = [GIST_RAINBOW[i - 1], GIST_RAINBOW[i]];
  const f = (t - a[0]) / (b[0] - a[0]);
  return [1, 2, 3].map((c) => a[c] + f * (b[c] - a[c])) as [number, number, number];
}

/** What a panel is drawn over: the display image (RGB 0..1, panelW × panelH) and the overlay's weight. */
export interface PanelBase {
  readonly panelW: number;
  readonly panelH: number;
  readonly display: Float32Array;
  readonly alpha: number;
}

/** One RGBA panel per layer of a DFF stack (item 0), at the panel size. */
export function conceptPanels(ctx: PanelBase, stack: CamStack): Uint8Array[] {
  const { panelW: W, panelH: H, display, alpha } = ctx;
  return stack.layers.map((l) => {
    const { count, maps } = l.concepts!;
    const [, , h, w] = l.shape;
    const scaled = Array.from({ length: count }, (_, k) => scaleCamImage(maps.slice(k * h * w, (k + 1) * h * w)));
    const colors = scaled.map((_, k) => conceptColor(k, count));
    const rgba = new Uint8Array(W * H * 4);
    for (let y = 0; y < H; y++) {
      // Nearest map cell: a concept map is a label map, its edges are kept sharp.
      const my = Math.min(h - 1, Math.floor(((y + 0.5) * h) / H));
      for (let x = 0; x < W; x++) {
        const m = my * w + Math.min(w - 1, Math.floor(((x + 0.5) * w) / W));
        let best = 0;
        for (let k = 1; k < count; k++) if (scaled[k][m] > scaled[best][m]) best = k;
        const p = y * W + x;
        for (let c = 0; c < 3; c++)
          rgba[p * 4 + c] = Math.round(255 * ((1 - alpha) * display[p * 3 + c] + alpha * colors[best][c] * scaled[best][m]));
        rgba[p * 4 + 3] = 255;
      }
    }
    return rgba;
  });
}

/** concepts.json: per layer, each concept's colour and top classes with their names. */
export function conceptsJson(stack: CamStack, labels: Labels): string {
  const layers = stack.layers.map((l) => ({
    name: l.name,
    index: l.index,
    concepts: l.concepts!.classes.map((top, k) => ({
      color: `#${conceptColor(k, l.concepts!.count)
        .map((v) =>
          Math.round(255 * v)
            .toString(16)
            .padStart(2, '0'),
        )
        .join('')}`,
      classes: top.map((t) => ({
        class: t.class,
        label: labels.name(t.class),
        probability: Number(t.probability.toPrecision(6)),
      })),
    })),
  }));
  return `${JSON.stringify({ method: stack.method, components: stack.layers[0]?.concepts?.count, layers }, null, 2)}\n`;
}
