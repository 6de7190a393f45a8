/**
 * The result bundle's manifest, once for every package: the CLI writes it (cli/src/bundle.ts),
 * the viewer and the tests read it through `validateManifest` (validate.ts). A bundle is a
 * folder with manifest.json, the input image the model saw and, per explanation, two
 * little-endian float32 files: every layer's CAM at layer resolution (`files.layer`) and at
 * input resolution (`files.input`), before ReLU and normalization, laid end to end; each
 * layer's `layer`/`input` byte ranges say where.
 *
 * Adding a field (a time axis for video, DFF concepts, another metric):
 *   1. add it here, optional (`readonly frames?: …`) so that older bundles still read;
 *   2. add one line for it in validate.ts's object literal of the same type — that literal is
 *      typed `Complete<…>`, so until the validator names the field, nothing compiles;
 *   3. write it in the CLI (cli/src/bundle.ts or commands/explain.ts's writeBundle).
 * An optional field keeps BUNDLE_VERSION; renaming, removing or changing the meaning of one
 * bumps it (readers refuse versions they do not know, naming both).
 */
import type { ModelContract } from '@camanim/core';
import type { TargetKind } from '../captions.ts';
import type { YbRoad } from '../metrics/road-score.ts';

export const BUNDLE_VERSION = 1;

export interface ByteRange {
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface BundleLayer {
  /** Position in the animation (0-based). */
  readonly index: number;
  /** Position among all of the model's layers (`camanim layers`); −1 when unknown. */
  readonly modelIndex: number;
  readonly name: string;
  readonly opType: string;
  /** The layer output's shape in the model. */
  readonly shape: readonly number[];
  /** [h, w] of the map at layer resolution. */
  readonly mapShape: readonly [number, number];
  /** Video and volume layers [N, C, T', h, w]: T', the maps per item (`layer` holds T'·h·w; cam-methods' volumes.ts). */
  readonly frames?: number;
  /** Range of the raw CAM (before ReLU and normalization) at layer resolution. */
  readonly min: number;
  readonly max: number;
  /** In `files.layer`: h·w float32. */
  readonly layer: ByteRange;
  /** In `files.input`: H·W float32 (the input's size, `image.width` × `image.height`). */
  readonly input: ByteRange;
}

export interface BundleTarget {
  readonly class: number;
  readonly label: string;
  /** The score explained (--target); 'logit' in bundles from before it. */
  readonly kind: TargetKind;
  /**
   * What the target is, for a task other than classification, as the CLI's frames say it (a
   * detection's box and score, a sequence's decoding, a segment's share of pixels); absent for classes.
   */
  readonly caption?: string;
}

/**
 * A per-layer metric other than ROAD (drop/increase in confidence, insertion/deletion AUC,
 * MPRT, …): one value per layer, charted over the stack by the viewer.
 */
export interface BundleMetric {
  /** Stable id ("drop-confidence"). */
  readonly id: string;
  /** For people ("Drop in confidence"). */
  readonly title: string;
  /** Which way is better, for the chart's best-layer mark. */
  readonly better: 'higher' | 'lower';
  /** One value per layer, in stack order; null where the layer has none (MPRT's similarities on a constant map). */
  readonly values: readonly (number | null)[];
}

export interface BundleCam {
  readonly method: string;
  readonly title: string;
  readonly target: BundleTarget;
  /** The target's value (the logit, probability or ReST). */
  readonly score: number;
  readonly probability: number;
  readonly files: { readonly layer: string; readonly input: string };
  readonly layers: readonly BundleLayer[];
  /** cam-methods' YbRoad (explain --ybroad): the viewer's ROAD chart with MoRF/LeRF per percentile. */
  readonly ybroad?: YbRoad;
  /** Other per-layer metrics, each charted like ROAD. */
  readonly metrics?: readonly BundleMetric[];
}

export interface BundlePrediction {
  readonly class: number;
  readonly label: string;
  /** The explained score. */
  readonly logit: number;
  /** The model's own (its final activation, or a softmax of the scores). */
  readonly probability: number;
}

export interface BundleModel {
  readonly file: string;
  readonly path: string;
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  readonly output: { readonly name: string; readonly shape: readonly number[] };
  readonly classes: number;
}

export interface BundleImage {
  readonly source: string;
  /** The input as the model saw it (PNG), `width` × `height` = the input size. */
  readonly file: string;
  readonly width: number;
  readonly height: number;
  readonly original: { readonly width: number; readonly height: number };
  /**
   * Video inputs [N, C, T, H, W]: the T frames as the model saw them (PNGs, `file` is the first);
   * every layer's `input` range then holds T·H·W values, frame after frame.
   */
  readonly frames?: readonly string[];
}

/** core's ModelContract as the CLI resolved it, and its one-line summary (describeContract). */
export type BundleContract = ModelContract & { readonly summary: string };

export interface BundleManifest {
  readonly version: typeof BUNDLE_VERSION;
  readonly generator: string;
  readonly created: string;
  readonly model: BundleModel;
  readonly image: BundleImage;
  readonly inputShape: readonly number[];
  /** How the image became the input and which scores are explained. */
  readonly contract: BundleContract;
  readonly prediction: readonly BundlePrediction[];
  readonly normalization: string;
  readonly colormap: string;
  readonly endianness: 'little';
  readonly dtype: 'float32';
  /** The first explanation's method, every method, and its target, score, files and layers. */
  readonly method: string;
  readonly methods: readonly string[];
  readonly target: BundleTarget;
  readonly score: number;
  readonly files: BundleCam['files'];
  readonly layers: readonly BundleLayer[];
  /** Every explanation (method × target class). */
  readonly cams: readonly BundleCam[];
  /** ybROAD of the first explanation (cams[0].ybroad). */
  readonly ybroad?: YbRoad;
}

/** Every key of T required (optional ones may hold undefined): the validator's literals, so a new field must be read. */
export type Complete<T> = { [K in keyof Required<T>]: T[K] | (undefined extends T[K] ? undefined : never) };

/** 'bad-eval': an eval folder's file (cam-methods' eval-folder/). */
export type BundleErrorCode = 'bad-bundle' | 'bad-version' | 'short-file' | 'bad-eval';

/** A bundle refused: what is wrong, where (the bundle, the explanation, the layer, the field) and what to do. */
export class BundleError extends Error {
  override readonly name = 'BundleError';
  constructor(
    readonly code: BundleErrorCode,
    readonly what: string,
    readonly where: string,
    readonly hint: string = DAMAGED,
  ) {
    super(`${what} (${where}). ${hint}`);
  }
}

export const DAMAGED = 'The manifest is damaged; write the bundle again with camanim explain --format bundle';
