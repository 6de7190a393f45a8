/**
 * Deep Feature Factorization (Collins et al., ECCV 2018, arXiv:1806.10206), as pytorch-grad-cam's
 * feature_factorization/deep_feature_factorization.py: the layer's activations as X [C, N·h·w]
 * (NaN → 0), each channel shifted by its minimum, factorized by NMF into K concepts (nmf.ts:
 * sklearn's NMF(init='random', random_state=0), K = 5 as the library's run_dff_on_image). A concept's
 * embedding is W's column plus the shift; its map is H's row. Its classes: the embedding through
 * the rest of the network, softmaxed, the top 2 (the library runs its classifier head on the
 * embeddings; here the layer is set to the embedding at every position and the model re-run from
 * it, which at the last convolutional layer before global pooling is the same). raw is the
 * winning concept's strength, max_k scale(H_k) (scale = pytorch-grad-cam's scale_cam_image).
 */
import { CamanimError, softmax } from '@camanim/core';
import type { CamContext, CustomMethod, LayerConcepts } from '../method.ts';
import { scaleCamImage } from '../metrics/road-map.ts';
import { nmf } from '../nmf.ts';

function positiveInt(options: Readonly<Record<string, unknown>>, key: string, fallback: number, flag: string): number {
  const v = options[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new CamanimError(
      'bad-input',
      `Deep Feature Factorization's ${key} must be a positive integer, got ${String(v)}`,
      {},
      `Pass options.${key} (CLI: ${flag})`,
    );
  return v;
}

export const dff: CustomMethod = {
  id: 'dff',
  title: 'Deep Feature Factorization',
  reference:
    'Collins et al. 2018: NMF of A [C x N*h*w] (min-shifted) into K = 5 concepts; map = H_k, classes = head(W_k + shift)',
  needs: { extraForwards: true },
  kind: 'custom',
  returns: 'map',
  compute: async (ctx) => {
    const [n, c, h, w] = ctx.layer.shape;
    const k = positiveInt(ctx.options, 'components', 5, '--dff-components');
    const top = positiveInt(ctx.options, 'top', 2, '--dff-top');
    const a = await ctx.readActivation();
    const hw = h * w;
    const cols = n * hw;
    const x = new Float64Array(c * cols);
    const shift = new Float64Array(c);
    for (let ch = 0; ch < c; ch++) {
      for (let b = 0; b < n; b++)
        for (let p = 0; p < hw; p++)
          x[ch * cols + b * hw + p] = Number.isNaN(a[(b * c + ch) * hw + p]) ? 0 : a[(b * c + ch) * hw + p];
      let lo = Infinity;
      for (let j = 0; j < cols; j++) lo = Math.min(lo, x[ch * cols + j]);
      shift[ch] = lo;
      for (let j = 0; j < cols; j++) x[ch * cols + j] -= lo;
    }
    const f = nmf(x, c, cols, k);
    const embeddings = new Float32Array(k * c);
    for (let q = 0; q < k; q++) for (let ch = 0; ch < c; ch++) embeddings[q * c + ch] = f.w[ch * k + q] + shift[ch];
    const maps = new Float32Array(n * k * hw);
    const map = new Float32Array(n * hw);
    for (let b = 0; b < n; b++) {
      for (let q = 0; q < k; q++) {
        const m = Float32Array.from(f.h.subarray(q * cols + b * hw, q * cols + (b + 1) * hw));
        maps.set(m, (b * k + q) * hw);
        scaleCamImage(m).forEach((v, p) => (map[b * hw + p] = q === 0 ? v : Math.max(map[b * hw + p], v)));
      }
    }
    const concepts: LayerConcepts = { count: k, embeddings, maps, classes: await conceptClasses(ctx, embeddings, k, top) };
    return { map, concepts };
  },
};

/** Each concept's top classes: the layer filled with its embedding, the model re-run from there, softmaxed. */
async function conceptClasses(
  ctx: CamContext,
  embeddings: Float32Array,
  k: number,
  top: number,
): Promise<LayerConcepts['classes']> {
  const shape = ctx.run.shape(ctx.layer.name);
  const c = ctx.layer.shape[1];
  const size = shape.slice(1).reduce((s, d) => s * d, 1);
  const per = size / c;
  const data = new Float32Array(k * size);
  for (let q = 0; q < k; q++)
    for (let ch = 0; ch < c; ch++) data.fill(embeddings[q * c + ch], q * size + ch * per, q * size + (ch + 1) * per);
  const rerun = await ctx.run.runFrom({ [ctx.layer.name]: { data, shape: [k, ...shape.slice(1)] } }, { retain: 'outputs' });
  try {
    const out = await rerun.read(ctx.run.model.graph.outputs[0].name);
    const classes = out.data.length / k;
    return Array.from({ length: k }, (_, q) => {
      const p = softmax(out.data.subarray(q * classes, (q + 1) * classes));
      return [...p.keys()]
        .sort((i, j) => p[j] - p[i] || i - j)
        .slice(0, top)
        .map((cl) => ({ class: cl, probability: p[cl] }));
    });
  } finally {
    rerun.dispose();
  }
}
