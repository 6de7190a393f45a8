/**
 * Files in: drag-and-drop anywhere on the page (folders included) and the file pickers. A
 * drop is a bundle when it holds a manifest.json, an eval folder when it holds an
 * aggregates.json (whichever lies shallower; a folder, loose files, or one .zip); else its
 * .onnx (with an optional .json beside it) and image go to the in-page computation.
 */
import { BundleSource, EVAL_FOLDER, folderKindOf, type NamedFile } from './BundleSource.ts';

export interface ComputeFiles {
  readonly model?: { bytes: Uint8Array; name: string };
  readonly meta?: { text: string; name: string };
  readonly image?: { blob: Blob; name: string };
}

export type Dropped =
  | { kind: 'bundle'; source: BundleSource }
  | { kind: 'eval'; source: BundleSource }
  | { kind: 'compute'; files: ComputeFiles };

const IMAGE = /\.(png|jpe?g|webp|gif|bmp|avif)$/i;

interface PathFile {
  path: string;
  file: File;
}

export class DropZone {
  constructor(target: HTMLElement, onDrop: (dropped: Promise<Dropped>) => void) {
    target.addEventListener('dragover', (e) => {
      e.preventDefault();
      target.classList.add('dragging');
    });
    target.addEventListener('dragleave', (e) => {
      if (e.target === target || !target.contains(e.relatedTarget as Node)) target.classList.remove('dragging');
    });
    target.addEventListener('drop', (e) => {
      e.preventDefault();
      target.classList.remove('dragging');
      if (e.dataTransfer) onDrop(DropZone.fromTransfer(e.dataTransfer).then(DropZone.classify));
    });
  }

  /** Files chosen with an <input type=file> (multiple, or webkitdirectory). */
  static fromInput(input: HTMLInputElement): Promise<Dropped> {
    const files = Array.from(input.files ?? []).map((file) => ({ path: file.webkitRelativePath || file.name, file }));
    return DropZone.classify(files);
  }

  static async classify(files: PathFile[]): Promise<Dropped> {
    if (files.length === 0) throw new Error('Nothing was dropped');
    const named: NamedFile[] = files.map((f) => ({ path: f.path, read: async () => new Uint8Array(await f.file.arrayBuffer()) }));
    const folder = folderKindOf(files.map((f) => f.path));
    if (folder) {
      const top = files[0].path.split('/')[0];
      return opened(BundleSource.fromFiles(named, `the dropped folder '${top}'`, folder));
    }
    if (files.length === 1 && /\.zip$/i.test(files[0].file.name))
      return opened(BundleSource.fromZip(new Uint8Array(await files[0].file.arrayBuffer()), files[0].file.name));
    let model: ComputeFiles['model'];
    let meta: ComputeFiles['meta'];
    let image: ComputeFiles['image'];
    for (const { file } of files) {
      if (/\.json$/i.test(file.name)) meta = { text: await file.text(), name: file.name };
      else if (IMAGE.test(file.name) || (file.type.startsWith('image/') && !/\.onnx$/i.test(file.name)))
        image = { blob: file, name: file.name };
      // Anything else is offered to the ONNX decoder, which says clearly when it is not a model.
      else if (!model) model = { bytes: new Uint8Array(await file.arrayBuffer()), name: file.name };
    }
    return { kind: 'compute', files: { model, meta, image } };
  }

  private static async fromTransfer(dt: DataTransfer): Promise<PathFile[]> {
    const entries = Array.from(dt.items)
      .map((i) => i.webkitGetAsEntry?.())
      .filter((e): e is FileSystemEntry => !!e);
    if (!entries.length) return Array.from(dt.files).map((file) => ({ path: file.name, file }));
    const out: PathFile[] = [];
    for (const entry of entries) await walk(entry, '', out);
    return out;
  }
}

function opened(source: BundleSource): Dropped {
  return source.kind === EVAL_FOLDER ? { kind: 'eval', source } : { kind: 'bundle', source };
}

async function walk(entry: FileSystemEntry, prefix: string, out: PathFile[]): Promise<void> {
  const path = prefix + entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path, file });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) break;
    for (const e of batch) await walk(e, `${path}/`, out);
  }
}
