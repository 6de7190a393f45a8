/**
 * Token layers [N, T, D] as maps, pytorch-grad-cam's reshape_transform done automatically: the
 * patch grid is the spatial size of the model's 4-D tensors (the patch embedding's output, e.g.
 * ViT's conv_proj [N, D, 14, 14]), and the tokens before the patches (class, distillation) are
 * the T − h·w left over, at most 2. Overridable: `grid` and `prefix` as the user's
 * reshape_transform would set them. Layers whose token count fits no grid are not maps.
 */
import { CamanimError, type Layer, type Model } from '@camanim/core';

export interface TokenOptions {
  /** [h, w] of the patch grid. */
  readonly grid?: readonly [number, number];
  /** Tokens before the patches (ViT: 1, the class token; DeiT distilled: 2). */
  readonly prefix?: number;
}

/** Most tokens before the patches that camanim drops by itself (ViT's class token, DeiT's distillation token). */
export const MAX_PREFIX_TOKENS = 2;

/** `channelsLast`: the 4-D tensors that are [N, H, W, C] (layouts.ts): their grid is H×W, as Swin's stages are. */
export function tokenLayout(
  model: Model,
  opts: TokenOptions = {},
  channelsLast: ReadonlySet<string> = new Set(),
): (l: Layer) => { grid: readonly [number, number]; prefix: number } | undefined {
  const spatial = (l: Layer) =>
    channelsLast.has(l.name) ? ([l.shape[1], l.shape[2]] as const) : ([l.shape[2], l.shape[3]] as const);
  const grids: (readonly [number, number])[] = opts.grid
    ? [opts.grid]
    : [
        ...new Map(
          model.layers
            .filter((l) => l.shape.length === 4)
            .map(spatial)
            .filter(([h, w]) => h * w > 1)
            .map((g) => [`${g[0]}x${g[1]}`, g] as const),
        ).values(),
      ];
  if (opts.prefix !== undefined && !(Number.isInteger(opts.prefix) && opts.prefix >= 0)) {
    throw new CamanimError(
      'bad-input',
      `Token prefix ${opts.prefix} is not a count`,
      { file: model.source },
      'Give the number of tokens before the patches (ViT: 1)',
    );
  }
  const cache = new Map<string, { grid: readonly [number, number]; prefix: number } | undefined>();
  return (l) => {
    // [N, T, D] at the default batch 1; [T, N, D] (sequence-first) and [heads, T, T] are not token maps.
    if (l.shape.length !== 3 || l.shape[0] !== 1) return undefined;
    const t = l.shape[1];
    const key = String(t);
    if (!cache.has(key)) {
      const prefixes = opts.prefix !== undefined ? [opts.prefix] : Array.from({ length: MAX_PREFIX_TOKENS + 1 }, (_, k) => k);
      let found: { grid: readonly [number, number]; prefix: number } | undefined;
      for (const prefix of prefixes) {
        const grid = grids.find(([h, w]) => h * w === t - prefix);
        if (grid) {
          found = { grid, prefix };
          break;
        }
      }
      cache.set(key, found);
    }
    return cache.get(key);
  };
}
