/**
 * The files of a result bundle or of an eval folder, wherever they come from: a dropped or
 * picked folder, a .zip, or a URL (`?bundle=`, `?eval=`). Names are resolved against the folder
 * that holds the kind's marker file (manifest.json, aggregates.json), and a name read from a
 * file may not leave that folder (no absolute paths, no `..`).
 */
import { unzipSync } from 'fflate';
import { ViewerError } from './ViewerError.ts';

/** What a folder of files is, for finding its root and for messages. */
export interface FolderKind {
  /** The file at the folder's root that says what it is. */
  readonly marker: string;
  /** "bundle", "eval folder". */
  readonly noun: string;
  /** The URL parameter that opens one. */
  readonly param: 'bundle' | 'eval';
  /** The error code of a file of it that cannot be read. */
  readonly code: 'bad-bundle' | 'bad-eval';
  /** The file whose names are checked ("the manifest"). */
  readonly index: string;
  /** What to do about a missing file. */
  readonly whole: string;
  /** Which folder to drop, when the marker is nowhere. */
  readonly drop: string;
}

export const BUNDLE_FOLDER: FolderKind = {
  marker: 'manifest.json',
  noun: 'bundle',
  param: 'bundle',
  code: 'bad-bundle',
  index: 'The manifest',
  whole: 'Copy the whole bundle folder that camanim wrote (manifest.json, the .bin files and the image)',
  drop: 'Drop the folder written by `camanim explain --format bundle` (or a .zip of it), or an .onnx model with an image to compute in the page',
};

export const EVAL_FOLDER: FolderKind = {
  marker: 'aggregates.json',
  noun: 'eval folder',
  param: 'eval',
  code: 'bad-eval',
  index: 'gallery.json',
  whole:
    'Copy the whole folder that camanim eval wrote (aggregates.json, gallery.json and gallery/), or run camanim eval on it again',
  drop: 'Open the --out folder of `camanim eval` (the one holding aggregates.json)',
};

const KINDS = [BUNDLE_FOLDER, EVAL_FOLDER];

/** The kind whose marker lies shallowest among `paths` (a bundle on a tie), if any. */
export function folderKindOf(paths: readonly string[]): FolderKind | undefined {
  const depth = (k: FolderKind) =>
    Math.min(...paths.filter((p) => p === k.marker || p.endsWith(`/${k.marker}`)).map((p) => p.split('/').length));
  const found = KINDS.filter((k) => Number.isFinite(depth(k)));
  return found.sort((a, b) => depth(a) - depth(b))[0];
}

export interface NamedFile {
  /** Path inside the dropped folder or the zip ("run/bag/bundle/manifest.json"). */
  readonly path: string;
  read(): Promise<Uint8Array>;
}

export class BundleSource {
  private constructor(
    /** For messages: "the dropped folder 'bundle'", "https://…/bundle/". */
    readonly description: string,
    private readonly lookup: (name: string) => Promise<Uint8Array | undefined>,
    readonly kind: FolderKind,
  ) {}

  /** Files of a dropped or picked folder (or loose files): the marker's folder is the root. */
  static fromFiles(files: readonly NamedFile[], description: string, kind = BUNDLE_FOLDER): BundleSource {
    const root = markerRoot(
      files.map((f) => f.path),
      description,
      kind,
    );
    const byName = new Map(files.filter((f) => f.path.startsWith(root)).map((f) => [f.path.slice(root.length), f]));
    return new BundleSource(description, async (name) => byName.get(name)?.read(), kind);
  }

  /** A zipped bundle or eval folder (whichever marker lies shallowest). */
  static fromZip(bytes: Uint8Array, name: string): BundleSource {
    let entries: Record<string, Uint8Array>;
    try {
      entries = unzipSync(bytes);
    } catch (cause) {
      throw new ViewerError(
        'bad-bundle',
        `Cannot open the zip: ${(cause as Error).message}`,
        name,
        'Zip the bundle folder (the one holding manifest.json) again',
        { cause },
      );
    }
    const paths = Object.keys(entries).filter((p) => !p.endsWith('/'));
    const kind = folderKindOf(paths) ?? BUNDLE_FOLDER;
    const root = markerRoot(paths, `zip '${name}'`, kind);
    return new BundleSource(`zip '${name}'`, async (n) => entries[root + n], kind);
  }

  /** A bundle (or with EVAL_FOLDER an eval folder) served over HTTP: a folder URL, its marker file, or a .zip. */
  static async fromUrl(url: string, base = location.href, kind = BUNDLE_FOLDER): Promise<BundleSource> {
    const param = kind.param;
    let resolved: URL;
    try {
      resolved = new URL(url, base);
    } catch {
      throw new ViewerError(
        'fetch',
        `'${url}' is not a valid ${kind.noun} URL`,
        undefined,
        `Pass ?${param}=<folder URL or .zip URL>`,
      );
    }
    if (/\.zip$/i.test(resolved.pathname)) {
      const bytes = await fetchBytes(resolved.href);
      if (!bytes) throw new ViewerError('fetch', `The ${kind.noun} zip was not found`, resolved.href, `Check the ?${param}= URL`);
      return BundleSource.fromZip(bytes, resolved.href);
    }
    const folder = new URL(
      resolved.pathname.endsWith(`/${kind.marker}`) ? '.' : resolved.pathname.endsWith('/') ? resolved.href : `${resolved.href}/`,
      resolved,
    );
    return new BundleSource(folder.href, (name) => fetchBytes(new URL(name, folder).href), kind);
  }

  /** The bytes of a file named in the index (the manifest, gallery.json), or undefined when it is absent. */
  async read(name: string): Promise<Uint8Array | undefined> {
    return this.lookup(checkName(name, this.description, this.kind));
  }

  async require(name: string, what: string): Promise<Uint8Array> {
    const bytes = await this.read(name);
    if (!bytes)
      throw new ViewerError(
        'missing-file',
        `The ${this.kind.noun}'s ${what} '${name}' is missing`,
        this.description,
        this.kind.whole,
      );
    return bytes;
  }
}

/** The folder prefix ("a/b/") of the shallowest marker file. */
function markerRoot(paths: readonly string[], description: string, kind: FolderKind): string {
  const markers = paths
    .filter((p) => p === kind.marker || p.endsWith(`/${kind.marker}`))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  if (!markers.length) {
    throw new ViewerError(kind.code, `No ${kind.marker} found: this is not a camanim ${kind.noun}`, description, kind.drop);
  }
  return markers[0].slice(0, markers[0].length - kind.marker.length);
}

function checkName(name: string, description: string, kind: FolderKind): string {
  if (
    typeof name !== 'string' ||
    !name ||
    name.includes('\0') ||
    /^([a-z]+:|[\\/])/i.test(name) ||
    name.split(/[\\/]/).includes('..')
  ) {
    throw new ViewerError(
      kind.code,
      `${kind.index} names a file outside the ${kind.noun}: '${String(name)}'`,
      description,
      `Files in a ${kind.noun} are plain names inside its folder`,
    );
  }
  return name;
}

async function fetchBytes(url: string): Promise<Uint8Array | undefined> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (cause) {
    throw new ViewerError(
      'fetch',
      `Could not fetch ${url}: ${(cause as Error).message}`,
      undefined,
      'Check the URL and that the server allows this page to read it (CORS)',
      { cause },
    );
  }
  if (res.status === 404 || res.status === 410) return undefined;
  if (!res.ok) throw new ViewerError('fetch', `Fetching ${url} failed: HTTP ${res.status}`, undefined, 'Check the URL');
  return new Uint8Array(await res.arrayBuffer());
}
