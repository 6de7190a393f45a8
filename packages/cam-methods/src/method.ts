/**
 * The CAM method plugin interface. A method declares what it needs and how it weighs the
 * layer's activation A [N, C, H, W]:
 * - `channel`: per-channel weights w_c as a spatial reduction of a WGSL expression over the
 *   activation `a` and gradient `g` (with optional earlier per-channel sums `s0`, `s1`...);
 *   the CAM is Σ_c w_c·A_c — GradCAM, GradCAM++, XGradCAM;
 * - `element`: the CAM is Σ_c f(a, g) per element — HiResCAM, GradCAMElementWise, LayerCAM;
 * - `custom`: the method computes weights or the map itself from the context (extra forwards,
 *   host linear algebra) — EigenCAM, ScoreCAM, AblationCAM, RandomCAM...
 * The shared runner does the rest: weighted sum, upsampling, ReLU and normalization.
 */
import type { GpuTensor, Model, Run, Target } from '@camanim/core';
import type { TokenOptions } from './tokens.ts';

export interface CamNeeds {
  /** The gradient of the target at the layer (one backward for all layers). */
  readonly gradients?: boolean;
  /** Guided backpropagation instead of plain gradients. */
  readonly guided?: boolean;
  /** Forward passes beyond the first (ScoreCAM, AblationCAM): batched. */
  readonly extraForwards?: boolean;
}

export interface ChannelReduction {
  /** WGSL over a, g (and s0.. for earlier sums) summed over the layer's spatial positions. */
  readonly expr: string;
  readonly reduce: 'sum' | 'mean';
}

export interface LayerInfo {
  readonly index: number;
  readonly name: string;
  readonly opType: string;
  /** The layer's shape as a CAM sees it: [N, C, H, W] (2-D outputs as [N, 1, 1, K]; tokens as [N, D, h, w]). */
  readonly shape: readonly [number, number, number, number];
  /**
   * A token layer [N, T, D] (vision transformers) or a channels-last map [N, h, w, D] read as a
   * map: the first `prefix` of its `count` tokens dropped, the rest laid on the h×w grid of `shape`.
   */
  readonly tokens?: { readonly count: number; readonly prefix: number };
  /**
   * A video or volume layer [N, C, T', h, w] (volumes.ts): `shape` is [N, C, h, w] and the CAM has
   * `frames` maps of h×w per item, channel weights reduced over all T'·h·w positions.
   */
  readonly frames?: number;
  /**
   * A transformer block's attention probabilities [N, heads, T, T] or [N·heads, T, T] (attention.ts):
   * block `block` (from 0), its map the class token's row of a relevance over the T tokens, the first `prefix` dropped.
   */
  readonly attention?: { readonly block: number; readonly heads: number; readonly count: number; readonly prefix: number };
}

/** What a custom method sees for one layer. */
export interface CamContext {
  readonly run: Run;
  readonly layer: LayerInfo;
  /** Every layer of this computeCams call, the same array for each (work shared across layers). */
  readonly layers: readonly LayerInfo[];
  readonly activation: GpuTensor;
  /** Present when the method needs gradients. */
  readonly gradient?: GpuTensor;
  readonly target: Target | readonly Target[];
  /** Target score of the unmodified input, per batch item. */
  readonly scores: readonly number[];
  /** The model input the run started from. */
  readonly inputName: string;
  readonly seed: number;
  readonly options: Readonly<Record<string, unknown>>;
  /** Target scores (for batch item `item`) after re-running from this layer with each variant. */
  scoreLayerVariants(variants: Float32Array, count: number, item: number): Promise<number[]>;
  /** Target scores (for batch item `item`) of a batch of whole-model inputs. */
  scoreInputs(inputs: Float32Array, count: number, item: number): Promise<number[]>;
  readActivation(): Promise<Float32Array>;
  readGradient(): Promise<Float32Array>;
}

export type CamResult = { readonly weights: Float32Array } | { readonly map: Float32Array; readonly concepts?: LayerConcepts };

/**
 * Deep Feature Factorization's concepts of one layer (methods/dff.ts). One NMF factorizes the whole
 * batch, as pytorch-grad-cam's dff does, so the K concepts are shared by its items.
 */
export interface LayerConcepts {
  readonly count: number;
  /** [K·C]: NMF's W plus the per-channel offset (pytorch-grad-cam's `concepts`, transposed). */
  readonly embeddings: Float32Array;
  /** [N·K·h·w]: NMF's H, each concept's map per item (not yet scaled). */
  readonly maps: Float32Array;
  /** Per concept, its top classes: the embedding through the rest of the network, softmaxed. */
  readonly classes: readonly (readonly { readonly class: number; readonly probability: number }[])[];
}

interface MethodBase {
  /** pytorch-grad-cam's name: 'gradcam', 'gradcam++', 'scorecam'... */
  readonly id: string;
  readonly title: string;
  /** Paper and formula, shown by `camanim methods`. */
  readonly reference: string;
  readonly needs: CamNeeds;
  /**
   * The tensors the method explains when they are its own, not selected layers (attention methods:
   * every block's attention), found in the model; a layer selection then does not apply (layersFor).
   */
  readonly ownLayers?: (model: Model, tokens?: TokenOptions) => LayerInfo[];
  /** A method computed from another's stack (FinerCAM, multi-layer fusion): see DerivedFrom. */
  readonly derive?: DerivedFrom;
}

/**
 * How a derived method runs: the runner computes `base` with the target `target` gives (FinerCAM:
 * the chosen class against its most similar ones), then `finish` turns that stack into this
 * method's (multi-layer fusion: each frame the fusion of the layers up to it).
 */
export interface DerivedFrom {
  readonly base: CamMethod;
  target?(target: Target | readonly Target[], options: Readonly<Record<string, unknown>>): Target | readonly Target[];
  finish?(stack: CamStack, options: Readonly<Record<string, unknown>>): CamStack;
}

export interface ChannelMethod extends MethodBase {
  readonly kind: 'channel';
  /** Earlier per-channel reductions, available as s0, s1... in `weights`. */
  readonly sums?: readonly ChannelReduction[];
  readonly weights: ChannelReduction;
}

export interface ElementMethod extends MethodBase {
  readonly kind: 'element';
  /** WGSL over a, g: the CAM is its sum over channels at each position. */
  readonly element: string;
}

export interface CustomMethod extends MethodBase {
  readonly kind: 'custom';
  /** Per-channel weights [N·C] (then Σ_c w_c·A_c), or the raw map [N·H·W] itself. */
  compute(ctx: CamContext): Promise<CamResult>;
  /** 'map' when compute always returns the map itself: eigen smoothing is refused before any work. */
  readonly returns?: 'weights' | 'map';
}

export type CamMethod = ChannelMethod | ElementMethod | CustomMethod;

/** One layer's CAM as computeCams returns it. */
export interface CamLayer extends LayerInfo {
  /** CAM at layer resolution, before ReLU and normalization (augSmooth: after, see augment.ts): [N·h·w]. */
  readonly raw: Float32Array;
  /** CAM bilinearly upsampled to the input size, before ReLU and normalization (augSmooth: after): [N·H·W]. */
  readonly upsampled: Float32Array;
  /** Channel weights [N·C] for channel-weight methods. */
  readonly weights?: Float32Array;
  /** Deep Feature Factorization's concepts of this layer. */
  readonly concepts?: LayerConcepts;
}

export interface CamStack {
  readonly method: string;
  readonly target: Target | readonly Target[];
  /** Target score per batch item. */
  readonly scores: readonly number[];
  /** [N, C, H, W] of the model input. */
  readonly inputShape: readonly number[];
  readonly layers: readonly CamLayer[];
}
