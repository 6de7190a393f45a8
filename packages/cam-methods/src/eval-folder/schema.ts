/**
 * The files of an eval folder that the viewer reads, once for every package: `camanim eval`
 * writes them (cli/src/eval/), the viewer and the tests read them through validate.ts and
 * item.ts. aggregates.json holds the per-layer means with their intervals; gallery.json lists
 * the images (label, prediction, per-layer scores) and names each one's gallery item, a file
 * with the image as the model saw it and its CAM at every layer at low resolution (item.ts).
 * docs/eval.md describes them.
 *
 * As for the bundle (bundle/manifest.ts): a field added is optional and read in validate.ts
 * (its literals are `Complete<…>`); renaming, removing or changing the meaning of one bumps
 * GALLERY_VERSION.
 */
export const AGGREGATES_FILE = 'aggregates.json';
export const GALLERY_FILE = 'gallery.json';
export const GALLERY_VERSION = 1;

export interface MeanCi {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
  /** The 95% t-interval; NaN bounds (null in the JSON) with fewer than 2 values. */
  readonly lo: number;
  readonly hi: number;
}

export interface LayerAggregate {
  /** 0-based index among the run's layers for the method. */
  readonly layer: number;
  readonly name: string;
  readonly stats: MeanCi;
}

export interface MethodAggregate {
  readonly method: string;
  readonly metric: string;
  readonly layers: readonly LayerAggregate[];
  /** How many images had their best (largest) value at each layer. */
  readonly bestLayer: readonly number[];
  /** Per class label: the mean per layer. */
  readonly perClass: Readonly<Record<string, readonly number[]>>;
  /** Per image the mean over layers, then its mean and CI over images. */
  readonly modelMean: MeanCi;
}

export interface Aggregates {
  readonly images: number;
  readonly failed: number;
  /** Share of the labelled images predicted right (null: no label names a model class). */
  readonly accuracy: { readonly labelled: number; readonly correct: number; readonly value: number | null };
  readonly methods: readonly MethodAggregate[];
}

export interface GallerySize {
  readonly width: number;
  readonly height: number;
}

export interface GalleryImage {
  /** SHA-256 of the image file (the store's image key). */
  readonly hash: string;
  /** Relative to the dataset root. */
  readonly path: string;
  readonly label: string | null;
  /** The label's model class, when it names one. */
  readonly labelIndex: number | null;
  readonly predicted: number | null;
  readonly status: 'ok' | 'failed';
  readonly reason: string | null;
  /** The gallery item (relative to the eval folder); null for a failed image. */
  readonly file: string | null;
  /** Per method, per metric: the value at each of the method's layers. */
  readonly scores: Readonly<Record<string, Readonly<Record<string, readonly number[]>>>>;
}

export interface GalleryIndex {
  readonly version: typeof GALLERY_VERSION;
  readonly created: string;
  readonly model: string;
  readonly dataset: string;
  readonly run: { readonly modelHash: string; readonly settingsHash: string };
  /** The model's class names, by index. */
  readonly classes: readonly string[];
  /** The model input; every map covers it whole. */
  readonly input: GallerySize;
  /** Every gallery item's thumbnail and maps are these sizes. */
  readonly thumb: GallerySize;
  readonly map: GallerySize;
  /** The layers per method, in the order of the scores and of each item's maps. */
  readonly methods: readonly { readonly method: string; readonly layers: readonly string[] }[];
  readonly images: readonly GalleryImage[];
}
