/**
 * The gallery items of one run on disk: `<out>/gallery/<run>/<image hash>.bin`, one per image
 * scored ok (gallery-item.ts makes them, the viewer reads them). An item is written whole or not
 * at all: into a temporary file beside it, flushed to disk, then renamed over its name, before
 * the store's transaction for its batch commits; so an image the store holds has its item, and a
 * killed run leaves at most temporary files, which the next run removes. An item that is missing
 * or damaged anyway (deleted, a store from before the gallery) is found by `has` at the start of
 * a run, and its image is scored again.
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { GALLERY_ITEM_PREFIX, galleryHeaderEnd, readGalleryHeader } from '@camanim/cam-methods';
import { cliError } from '../errors.ts';
import { flushFolder, removeStaleTemps, writeFileAtomic } from '../staging.ts';
import { runId, type RunKey } from './store.ts';

export const GALLERY_DIR = 'gallery';

/** A scored image's item, as it travels in a queue job's result (JSON: base64). */
export interface GalleryRow {
  readonly imageHash: string;
  /** The encoded item (cam-methods' eval-folder/item.ts), base64. */
  readonly item: string;
}

export class GalleryFolder {
  private constructor(
    readonly dir: string,
    /** The folder relative to --out, with '/' (as gallery.json names files). */
    private readonly rel: string,
  ) {}

  /** The run's folder under `out`, created; temporary files of runs that died are removed. */
  static open(out: string, key: RunKey): GalleryFolder {
    const rel = `${GALLERY_DIR}/${runId(key)}`;
    const dir = join(out, GALLERY_DIR, runId(key));
    mkdirSync(dir, { recursive: true });
    removeStaleTemps(dir);
    return new GalleryFolder(dir, rel);
  }

  /** The item's name relative to --out. */
  relative(hash: string): string {
    return `${this.rel}/${checked(hash)}.bin`;
  }

  /** Whether the image's item is there whole: a valid header, for this image, with `maps` maps, and exactly its size. */
  has(hash: string, maps: number): boolean {
    const file = join(this.dir, `${checked(hash)}.bin`);
    if (!existsSync(file)) return false;
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      const size = fstatSync(fd).size;
      const prefix = new Uint8Array(GALLERY_ITEM_PREFIX);
      readSync(fd, prefix, 0, prefix.length, 0);
      const head = new Uint8Array(Math.min(size, galleryHeaderEnd(prefix, file)));
      readSync(fd, head, 0, head.length, 0);
      const header = readGalleryHeader(head, size, file);
      return header.image === hash && header.maps.length === maps;
    } catch {
      return false;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Writes each row's item whole (temporary file, flushed, renamed over), then flushes the folder. */
  write(rows: readonly GalleryRow[]): void {
    for (const r of rows) writeFileAtomic(join(this.dir, `${checked(r.imageHash)}.bin`), Buffer.from(r.item, 'base64'));
    if (rows.length) flushFolder(this.dir);
  }
}

/** An image key as a file name: the SHA-256 hex the store uses, nothing else (a queue result names it). */
function checked(hash: string): string {
  if (!/^[0-9a-f]{64}$/.test(hash))
    throw cliError(
      `Refusing a gallery item for image key '${hash.slice(0, 80)}': not a SHA-256`,
      {},
      'Run the same camanim version everywhere',
    );
  return hash;
}
