/**
 * The images of `camanim eval`: an ImageFolder (class subfolders give the labels), a CSV or JSONL
 * list of `path,label` (paths relative to the list's folder), or a glob (`imgs/**\/*.png`). Every
 * path is resolved and must stay inside the dataset root (symlinks included): nothing outside it
 * is ever read.
 */
import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { cliError } from '../errors.ts';

export interface DatasetItem {
  /** Path relative to the root, with '/' separators (what the store and exports show). */
  readonly path: string;
  readonly file: string;
  /** The class name as the dataset gives it (folder name, list column); undefined: unlabelled. */
  readonly label?: string;
}

export interface Dataset {
  readonly root: string;
  readonly kind: 'imagefolder' | 'csv' | 'jsonl' | 'glob';
  readonly items: readonly DatasetItem[];
}

const IMAGE = /\.(png|jpe?g|webp|gif)$/i;

export function listDataset(spec: string): Dataset {
  const where = resolve(spec);
  if (existsSync(where) && statSync(where).isDirectory()) return imageFolder(where);
  if (/\.csv$/i.test(spec) || /\.jsonl$/i.test(spec)) return listFile(where);
  if (/[*?]/.test(spec)) return globbed(spec);
  throw cliError(
    'The dataset is neither a folder, a .csv/.jsonl list nor a glob',
    { file: where },
    'Give an ImageFolder (class subfolders), a path,label list, or a quoted glob such as "imgs/**/*.png"',
    'not-found',
  );
}

function imageFolder(root: string): Dataset {
  const items: DatasetItem[] = [];
  for (const e of readdirSync(root, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.isDirectory()) for (const file of walk(join(root, e.name))) items.push(item(root, file, e.name));
    else if (e.isFile() && IMAGE.test(e.name)) items.push(item(root, join(root, e.name), undefined));
  }
  return { root, kind: 'imagefolder', items: checked(items, root) };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(dir, e.name);
      // Symlinked images are listed, so that checked() refuses those that leave the root.
      return e.isDirectory() ? walk(p) : (e.isFile() || e.isSymbolicLink()) && IMAGE.test(e.name) ? [p] : [];
    });
}

function listFile(file: string): Dataset {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw cliError('Cannot read the dataset list', { file }, 'Check the path (a CSV or JSONL of path,label)', 'not-found', cause);
  }
  const root = dirname(file);
  const jsonl = /\.jsonl$/i.test(file);
  const lines = text
    .split(/\r?\n/)
    .map((l, k) => ({ l: l.trim(), k: k + 1 }))
    .filter(({ l }) => l);
  if (!jsonl && lines.length && /^path\s*(,|$)/i.test(lines[0].l)) lines.shift();
  const items = lines.map(({ l, k }) => {
    const [path, label] = jsonl ? jsonRow(l, file, k) : csvRow(l);
    if (!path) throw cliError(`Line ${k} has no path`, { file }, 'Write one image per line: path,label');
    return item(root, resolve(root, path), label || undefined);
  });
  return { root, kind: jsonl ? 'jsonl' : 'csv', items: checked(items, root) };
}

function jsonRow(line: string, file: string, k: number): [string, string | undefined] {
  try {
    const o = JSON.parse(line) as { path?: unknown; label?: unknown };
    return [String(o.path ?? ''), o.label === undefined || o.label === null ? undefined : String(o.label)];
  } catch (cause) {
    throw cliError(
      `Line ${k} is not JSON`,
      { file },
      'Write one object per line: {"path": "a.png", "label": "cat"}',
      'bad-input',
      cause,
    );
  }
}

/** `path,label`, either field optionally in double quotes. */
function csvRow(line: string): [string, string | undefined] {
  const fields = [...line.matchAll(/\s*(?:"((?:[^"]|"")*)"|([^,]*))\s*(?:,|$)/g)].map((m) =>
    (m[1] ?? m[2] ?? '').replace(/""/g, '"').trim(),
  );
  return [fields[0] ?? '', fields[1]];
}

function globbed(pattern: string): Dataset {
  const parts = resolve(pattern).split(sep);
  const fixed = parts.findIndex((p) => /[*?]/.test(p));
  const root = parts.slice(0, fixed).join(sep) || sep;
  const re = new RegExp(
    `^${parts
      .slice(fixed)
      .join('/')
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\u0000/g, '(?:.*/)?')}$`,
  );
  if (!existsSync(root)) throw cliError("The glob's folder does not exist", { file: root }, 'Check the pattern');
  const items = walk(root)
    .filter((f) => re.test(relative(root, f).split(sep).join('/')))
    .map((f) => item(root, f, undefined));
  return { root, kind: 'glob', items: checked(items, root) };
}

function item(root: string, file: string, label: string | undefined): DatasetItem {
  return { path: relative(root, file).split(sep).join('/'), file, label };
}

/** Refuses an empty set and any path that leaves the root, as written or through a symlink. */
function checked(items: DatasetItem[], root: string): DatasetItem[] {
  if (!items.length)
    throw cliError(
      'The dataset holds no image',
      { file: root },
      'Put PNG/JPEG/WebP/GIF images in class subfolders, or list them in a CSV',
    );
  const realRoot = realpathSync(root);
  for (const it of items) {
    const real = existsSync(it.file) ? realpathSync(it.file) : it.file;
    for (const [base, p] of [
      [root, it.file],
      [realRoot, real],
    ]) {
      const rel = relative(base, p);
      if (rel.startsWith('..') || isAbsolute(rel)) {
        throw cliError(
          `'${it.path}' lies outside the dataset folder`,
          { file: p },
          `Keep every image inside ${root} (eval reads nothing outside it)`,
        );
      }
    }
  }
  return items;
}

/** Folds a class name for matching: 'T-shirt/top', 't-shirt-top' and 'tshirt_top' match. */
export function foldLabel(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]/g, '');
}
