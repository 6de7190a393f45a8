/**
 * The files of a result bundle, wherever they come from: a dropped or picked folder, a .zip,
 * or a URL (`?bundle=`). Names are resolved against the folder that holds manifest.json, and a
 * name from the manifest may not leave that folder (no absolute paths, no `..`).
 */
import { unzipSync } from 'fflate';
import { ViewerError } from './ViewerError.ts';

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
  ) {}

  /** Files of a dropped or picked folder (or loose files): the manifest's folder is the root. */
  static fromFiles(files: readonly NamedFile[], description: string): BundleSource {
    const root = manifestRoot(
      files.map((f) => f.path),
      description,
    );
    const byName = new Map(files.filter((f) => f.path.startsWith(root)).map((f) => [f.path.slice(root.length), f]));
    return new BundleSource(description, async (name) => byName.get(name)?.read());
  }

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
    const root = manifestRoot(paths, `zip '${name}'`);
    return new BundleSource(`zip '${name}'`, async (n) => entries[root + n]);
  }

  /** A bundle served over HTTP: a folder URL, its manifest.json, or a .zip. */
  static async fromUrl(url: string, base = location.href): Promise<BundleSource> {
    let resolved: URL;
    try {
      resolved = new URL(url, base);
    } catch {
      throw new ViewerError('fetch', `'${url}' is not a valid bundle URL`, undefined, 'Pass ?bundle=<folder URL or .zip URL>');
    }
    if (/\.zip$/i.test(resolved.pathname)) {
      const bytes = await fetchBytes(resolved.href);
      if (!bytes) throw new ViewerError('fetch', 'The bundle zip was not found', resolved.href, 'Check the ?bundle= URL');
      return BundleSource.fromZip(bytes, resolved.href);
    }
    const folder = new URL(
      resolved.pathname.endsWith('/manifest.json') ? '.' : resolved.pathname.endsWith('/') ? resolved.href : `${resolved.href}/`,
      resolved,
    );
    return new BundleSource(folder.href, (name) => fetchBytes(new URL(name, folder).href));
  }

  /** The bytes of a file named in the manifest, or undefined when it is absent. */
  async read(name: string): Promise<Uint8Array | undefined> {
    return this.lookup(checkName(name, this.description));
  }

  async require(name: string, what: string): Promise<Uint8Array> {
    const bytes = await this.read(name);
    if (!bytes)
      throw new ViewerError(
        'missing-file',
        `The bundle's ${what} '${name}' is missing`,
        this.description,
        'Copy the whole bundle folder that camanim wrote (manifest.json, the .bin files and the image)',
      );
    return bytes;
  }
}

/** The folder prefix ("a/b/") of the shallowest manifest.json. */
function manifestRoot(paths: readonly string[], description: string): string {
  const manifests = paths
    .filter((p) => p === 'manifest.json' || p.endsWith('/manifest.json'))
    .sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
  if (!manifests.length) {
    throw new ViewerError(
      'bad-bundle',
      'No manifest.json found: this is not a camanim result bundle',
      description,
      'Drop the folder written by `camanim explain --format bundle` (or a .zip of it), or an .onnx model with an image to compute in the page',
    );
  }
  return manifests[0].slice(0, manifests[0].length - 'manifest.json'.length);
}

function checkName(name: string, description: string): string {
  if (
    typeof name !== 'string' ||
    !name ||
    name.includes('\0') ||
    /^([a-z]+:|[\\/])/i.test(name) ||
    name.split(/[\\/]/).includes('..')
  ) {
    throw new ViewerError(
      'bad-bundle',
      `The manifest names a file outside the bundle: '${String(name)}'`,
      description,
      'Files in a bundle are plain names inside its folder',
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
