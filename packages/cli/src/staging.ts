/**
 * Outputs are written into a hidden staging folder beside --out and moved into place only when
 * everything succeeded, so a failure leaves --out as it was. Relative paths are built from
 * sanitized names and checked to stay inside the staging folder. A single file rewritten in place
 * (camanim eval's exports and gallery items) goes through `writeFileAtomic`: whole or not at all.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { cliError } from './errors.ts';

/** A file-name-safe version of a model, layer or method name: no separators, no `..`. */
export function sanitizeName(name: string, maxLength = 80): string {
  let s = name
    .replace(/[^A-Za-z0-9._+-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._]+|[._]+$/g, '');
  if (s.length > maxLength) s = s.slice(0, maxLength).replace(/[._]+$/, '');
  return s || 'unnamed';
}

export class Staging {
  private constructor(
    readonly outDir: string,
    readonly dir: string,
  ) {}

  /**
   * Creates the staging folder beside `outDir` (creating `outDir`'s parents), or inside an
   * existing `outDir` whose parent is not writable; fails early when neither works.
   */
  static async open(outDir: string): Promise<Staging> {
    const out = resolve(outDir);
    const info = await stat(out).catch(() => undefined);
    if (info && !info.isDirectory())
      throw cliError('The output path exists and is not a folder', { file: out }, 'Choose another --out');
    const name = `.${basename(out)}.camanim-${process.pid}-${randomBytes(4).toString('hex')}`;
    const candidates = [join(dirname(out), name), ...(info ? [join(out, name)] : [])];
    let failure: unknown;
    for (const dir of candidates) {
      try {
        await mkdir(dirname(dir), { recursive: true });
        await mkdir(dir);
        return new Staging(out, dir);
      } catch (e) {
        failure ??= e;
      }
    }
    throw cliError(
      `Cannot write to the output folder (${(failure as NodeJS.ErrnoException).code ?? (failure as Error).message})`,
      { file: out },
      'Choose a writable folder with --out',
      'bad-input',
      failure,
    );
  }

  /** Absolute staging path of `parts` (each already sanitized); refuses anything escaping the folder. */
  path(...parts: string[]): string {
    const p = resolve(this.dir, ...parts);
    const rel = relative(this.dir, p);
    if (rel === '' || rel.startsWith('..') || rel.split(sep).includes('..'))
      throw cliError(`Refusing to write outside the output folder: ${parts.join('/')}`, { file: this.outDir });
    return p;
  }

  async write(parts: string[], data: Uint8Array | string): Promise<string> {
    const p = this.path(...parts);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, data);
    return p;
  }

  /** The final path of a staged one. */
  finalPath(staged: string): string {
    return join(this.outDir, relative(this.dir, staged));
  }

  /** Moves every top-level entry into --out, replacing same-named ones; removes the staging folder. */
  async commit(): Promise<void> {
    if (!existsSync(this.outDir)) {
      await rename(this.dir, this.outDir);
      return;
    }
    const trash = join(this.dir, `.replaced-${randomBytes(4).toString('hex')}`);
    for (const entry of await readdir(this.dir)) {
      if (entry.startsWith('.replaced-')) continue;
      const target = join(this.outDir, entry);
      if (existsSync(target)) {
        await mkdir(trash, { recursive: true });
        await rename(target, join(trash, entry));
      }
      await rename(join(this.dir, entry), target);
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Until the returned function is called, Ctrl-C (SIGINT) or SIGTERM removes the staging folder and exits. */
  removeOnSignal(): () => void {
    const handler = (signal: NodeJS.Signals) => {
      rmSync(this.dir, { recursive: true, force: true });
      process.exit(signal === 'SIGINT' ? 130 : 143);
    };
    process.once('SIGINT', handler);
    process.once('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  }

  async abort(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** writeFileAtomic's temporary files: `.tmp-<pid>-<random>-<name>`. */
const TEMP = /^\.tmp-(\d+)-[0-9a-f]+-/;

/**
 * Writes `file` whole or not at all: a temporary file beside it, flushed to disk, then renamed over
 * it, so that a reader (or a run after a crash) sees the old file or the new one, never half of one.
 * The folder is not flushed here (`flushFolder`, once after many).
 */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  const temp = join(dirname(file), `.tmp-${process.pid}-${randomBytes(4).toString('hex')}-${basename(file)}`);
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const fd = openSync(temp, 'w');
  try {
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** Makes the renames in `dir` durable (where a folder can be opened for fsync; elsewhere the OS flushes it in time). */
export function flushFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    /* not supported on this platform */
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes writeFileAtomic's temporary files in `dir` left by processes that died (a live one's are kept). */
export function removeStaleTemps(dir: string): void {
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const pid = TEMP.exec(name)?.[1];
    if (pid !== undefined && !alive(Number(pid))) rmSync(join(dir, name), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
