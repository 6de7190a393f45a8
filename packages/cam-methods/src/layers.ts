/**
 * Which layers a CAManim run explains: every node output with a spatial [N, C, H, W] shape by
 * default (the CAManim paper's "every differentiable layer"), and token layers [N, T, D] of
 * vision transformers as maps on the patch grid (tokens.ts), channels-last 4-D tensors with their
 * channel axis where it is (layouts.ts); 2-D outputs (Gemm, MatMul) on
 * request as 1-D stripes [N, 1, 1, K]; then a name filter, every k-th, or percentiles of depth.
 */
import { CamanimError, type Model } from '@camanim/core';
import type { CamMethod, LayerInfo } from './method.ts';
import { channelsLastTensors } from './layouts.ts';
import { tokenLayout, type TokenOptions } from './tokens.ts';
import { volumeLayer } from './volumes.ts';

export interface LayerSelection {
  /** 'spatial' (default): 4-D outputs with H·W > 1; 'all': also 2-D outputs as stripes. */
  readonly kinds?: 'spatial' | 'all';
  /** Keep layers whose ONNX name or op type matches (a regex, or a plain substring). */
  readonly filter?: string | RegExp;
  /** Keep every k-th of the matching layers (the last one always). */
  readonly every?: number;
  /** Keep the layers at these percentiles of depth (0-100). */
  readonly percentiles?: readonly number[];
  /** Exact ONNX tensor names, in this order (overrides the rest). */
  readonly names?: readonly string[];
  /** How token layers become maps (default: the patch grid found in the model, prefix tokens dropped). */
  readonly tokens?: TokenOptions;
}

export function selectLayers(model: Model, sel: LayerSelection = {}): LayerInfo[] {
  const nhwc = channelsLastTensors(model);
  const tokenOf = tokenLayout(model, sel.tokens, nhwc);
  // A 5-D tensor is a video layer [N, C, T', h, w] in a video model only: an image model's 5-D
  // tensors are reshapes (ShuffleNet's channel shuffle [N, g, C/g, H, W]), not frames.
  const video = model.inputs[0]?.shape.length === 5;
  const volumeOf = (l: (typeof model.layers)[number], index: number) => (video ? volumeLayer(l, index) : undefined);
  const all = model.layers.filter((l) => l.shape.length === 4 || l.shape.length === 2 || tokenOf(l) || volumeOf(l, 0));
  const asInfo = (l: (typeof all)[number], index: number): LayerInfo => {
    const volume = volumeOf(l, index);
    if (volume) return volume;
    // Channels-last [N, H, W, C] is the memory of tokens [N, H·W, C] with no prefix (layouts.ts).
    if (nhwc.has(l.name))
      return {
        index,
        name: l.name,
        opType: l.opType,
        shape: [l.shape[0], l.shape[3], l.shape[1], l.shape[2]],
        tokens: { count: l.shape[1] * l.shape[2], prefix: 0 },
      };
    const t = tokenOf(l);
    if (t)
      return {
        index,
        name: l.name,
        opType: l.opType,
        shape: [l.shape[0], l.shape[2], t.grid[0], t.grid[1]],
        tokens: { count: l.shape[1], prefix: t.prefix },
      };
    return {
      index,
      name: l.name,
      opType: l.opType,
      shape: l.shape.length === 4 ? [l.shape[0], l.shape[1], l.shape[2], l.shape[3]] : [l.shape[0], 1, 1, l.shape[1]],
    };
  };
  if (sel.names?.length) {
    return sel.names.map((name, i) => {
      const l = all.find((x) => x.name === name);
      if (!l) {
        const exists = model.layers.some((x) => x.name === name);
        throw new CamanimError(
          'not-found',
          exists ? `Layer '${name}' is not 4-D or 2-D, so it has no CAM` : `Layer '${name}' does not exist in this model`,
          { file: model.source, layer: name },
          'List layers with `camanim layers <model>`',
        );
      }
      return asInfo(l, i);
    });
  }
  let picked = all.filter((l) =>
    l.shape.length === 4
      ? (nhwc.has(l.name) ? l.shape[1] * l.shape[2] : l.shape[2] * l.shape[3]) > 1
      : l.shape.length === 3 || sel.kinds === 'all',
  );
  // And video layers with more than one position (a pooled [N, C, 1, 1, 1] is not a map).
  const maps = new Set(picked);
  picked = all.filter((l) => maps.has(l) || (video && l.shape.length === 5 && l.shape.slice(2).some((d) => d > 1)));
  if (sel.filter !== undefined) {
    const re = typeof sel.filter === 'string' ? safeRegex(sel.filter) : sel.filter;
    picked = picked.filter((l) => re.test(l.name) || re.test(l.opType));
  }
  if (sel.every && sel.every > 1) picked = picked.filter((_, i) => i % sel.every! === 0 || i === picked.length - 1);
  if (sel.percentiles?.length) {
    const n = picked.length;
    const idx = [...new Set(sel.percentiles.map((p) => Math.min(n - 1, Math.max(0, Math.round((p / 100) * (n - 1))))))].sort(
      (a, b) => a - b,
    );
    picked = idx.map((i) => picked[i]);
  }
  if (picked.length === 0) {
    throw new CamanimError(
      'not-found',
      'No layer matches the selection',
      { file: model.source, layer: String(sel.filter ?? '') },
      'List layers with `camanim layers <model>`, or drop the filter',
    );
  }
  return picked.map(asInfo);
}

/**
 * The layers `method` explains: its own tensors where it has them (attention methods: every
 * block's attention, with the selection's token options), else the selection's.
 */
export function layersFor(model: Model, method: CamMethod, sel: LayerSelection = {}): LayerInfo[] {
  if (!method.ownLayers) return selectLayers(model, sel);
  const picks = [
    sel.names?.length && 'names',
    sel.filter !== undefined && 'a filter',
    sel.every && sel.every > 1 && 'every',
    sel.percentiles?.length && 'percentiles',
  ].filter(Boolean);
  if (picks.length) {
    const what =
      `CAM method '${method.id}' explains tensors of its own (every attention block, in order), ` +
      `so a layer selection (${picks.join(', ')}) does not apply`;
    const fix = 'Drop --layers, --every and --percentiles (the layers option) for this method, or explain it in a separate run';
    throw new CamanimError('bad-input', what, { file: model.source }, fix);
  }
  return method.ownLayers(model, sel.tokens);
}

function safeRegex(text: string): RegExp {
  try {
    return new RegExp(text);
  } catch {
    return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  }
}
