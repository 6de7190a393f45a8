/**
 * An eval folder (`camanim eval`'s --out) as the page reads it, through cam-methods' eval-folder
 * module: aggregates.json (the per-layer means and intervals, required), gallery.json (the images,
 * optional: folders from before the gallery have none) checked against it, and each image's
 * gallery item, fetched once and checked against gallery.json before its maps are shown.
 */
import {
  AGGREGATES_FILE,
  GALLERY_FILE,
  ITEM_HINT,
  checkGalleryAgainst,
  parseAggregates,
  parseGalleryIndex,
  readGalleryItem,
  type Aggregates,
  type GalleryImage,
  type GalleryIndex,
} from '@camanim/cam-methods';
import type { BundleSource } from './BundleSource.ts';
import { RgbImage } from './RgbImage.ts';
import { ViewerError } from './ViewerError.ts';

/** An image's gallery item, ready to paint. */
export interface LoadedItem {
  readonly thumb: RgbImage;
  /** The map of (method, layer) as bytes (0 = its least relevant pixel, 255 = its most), map.width × map.height. */
  map(method: string, layer: number): Uint8Array | undefined;
}

export class EvalFolder {
  private readonly items = new Map<string, Promise<LoadedItem>>();

  private constructor(
    readonly source: BundleSource,
    readonly aggregates: Aggregates,
    /** The gallery, when the folder has a readable one. */
    readonly gallery: GalleryIndex | undefined,
    /** Why gallery.json could not be read (the curves still show). */
    readonly galleryError: ViewerError | undefined,
  ) {}

  static async read(source: BundleSource): Promise<EvalFolder> {
    const where = source.description;
    const aggregates = parseAggregates(await source.require(AGGREGATES_FILE, 'aggregates'), where);
    const bytes = await source.read(GALLERY_FILE);
    if (!bytes) return new EvalFolder(source, aggregates, undefined, undefined);
    try {
      const gallery = parseGalleryIndex(bytes, where);
      checkGalleryAgainst(gallery, aggregates, where);
      return new EvalFolder(source, aggregates, gallery, undefined);
    } catch (e) {
      return new EvalFolder(source, aggregates, undefined, ViewerError.from(e));
    }
  }

  /** The image's item (fetched and checked once; a failure is the same ViewerError every time). */
  item(image: GalleryImage): Promise<LoadedItem> {
    const known = this.items.get(image.hash);
    if (known) return known;
    const loading = this.load(image);
    this.items.set(image.hash, loading);
    return loading;
  }

  private async load(image: GalleryImage): Promise<LoadedItem> {
    const g = this.gallery!;
    const name = image.file!;
    const where = `${this.source.description}, ${name}`;
    const item = readGalleryItem(await this.source.require(name, `gallery item of '${image.path}'`), where);
    const h = item.header;
    const maps = g.methods.reduce((n, m) => n + m.layers.length, 0);
    const wrong =
      h.image !== image.hash
        ? `is the item of image ${h.image.slice(0, 12)}…, not of '${image.path}' (${image.hash.slice(0, 12)}…)`
        : h.map.width !== g.map.width || h.map.height !== g.map.height
          ? `holds ${h.map.width}×${h.map.height} maps, ${GALLERY_FILE} says ${g.map.width}×${g.map.height}`
          : h.maps.length !== maps
            ? `holds ${h.maps.length} maps, ${GALLERY_FILE} lists ${maps} layers`
            : undefined;
    if (wrong) throw new ViewerError('bad-eval', `The gallery item ${wrong}`, where, ITEM_HINT);
    const thumb = await RgbImage.decode(item.png, name);
    if (thumb.width !== h.thumb.width || thumb.height !== h.thumb.height)
      throw new ViewerError(
        'bad-eval',
        `The gallery item's thumbnail is ${thumb.width}×${thumb.height}, its header says ${h.thumb.width}×${h.thumb.height}`,
        where,
        ITEM_HINT,
      );
    return { thumb, map: (method, layer) => item.map(method, layer) };
  }
}
