/**
 * The typed options of the commands, as args.ts parses them from the command line: commands and
 * renderers import them from here, not from the parser (no import cycle through commander's wiring).
 */
import type { LayerSelection, TargetKind } from '@camanim/cam-methods';
import type { ColormapName } from '@camanim/shaders';
import type { ContractFlags } from './contract.ts';
import type { MetricsChoice } from './metrics.ts';
import type { RoadChoice } from './road.ts';

export const FORMATS = ['gif', 'mp4', 'webm', 'png', 'grid', 'bundle', 'html'] as const;
export type Format = (typeof FORMATS)[number];
export type NormalizationChoice = 'global' | 'local' | 'both';
export type TargetChoice =
  | { kind: 'predicted' }
  | { kind: 'class'; class: number }
  | { kind: 'classes'; classes: readonly number[] }
  | { kind: 'top-k'; k: number };

export interface ExplainOptions {
  /** Undefined: the bundled model. */
  readonly model?: string;
  /** Empty: the bundled sample image. */
  readonly images: readonly string[];
  /** Video models: clips, each a video file or a folder of frames (clip.ts). */
  readonly videos: readonly string[];
  readonly methods: readonly string[];
  /** pytorch-grad-cam's eigen_smooth and aug_smooth (cam-methods' computeCams options). */
  readonly eigenSmooth: boolean;
  readonly augSmooth: boolean;
  /** Options of the methods themselves (KPCA-CAM's kernel and gamma). */
  readonly methodOptions: Readonly<Record<string, unknown>>;
  readonly target: TargetChoice;
  readonly targetKind: TargetKind;
  readonly layers: LayerSelection;
  readonly normalization: NormalizationChoice;
  readonly colormap: ColormapName;
  readonly alpha: number;
  readonly fps: number;
  readonly size: number;
  readonly labels?: string;
  readonly out: string;
  readonly formats: ReadonlySet<Format>;
  readonly quiet: boolean;
  /** Score every layer with ROAD (ybROAD). */
  readonly ybroad: boolean;
  /** --metrics: score every layer with these too (road among them is --ybroad, scored once). */
  readonly metrics?: MetricsChoice;
  readonly road: RoadChoice;
  /** Largest image (width·height) decoded. */
  readonly maxPixels: number;
  /** The model contract flags (contract.ts). */
  readonly contract: ContractFlags;
}
