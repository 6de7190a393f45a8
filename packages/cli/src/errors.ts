/**
 * Every failure becomes one message on stderr: what went wrong, where, and what to do.
 * CamanimError (core's, also used by the CLI) already says all three; file-system and image
 * decoder errors are phrased here. Stack traces only with CAMANIM_DEBUG=1.
 */
import { CamanimError, isCamanimError, type ErrorCode, type ErrorWhere } from '@camanim/core';

/** A CLI-level error in core's format. */
export function cliError(
  what: string,
  where: ErrorWhere = {},
  hint?: string,
  code: ErrorCode = 'bad-input',
  cause?: unknown,
): CamanimError {
  return new CamanimError(code, what, where, hint, cause === undefined ? undefined : { cause });
}

const FS_ERRORS: Record<string, [string, string]> = {
  ENOENT: ['does not exist', 'Check the path'],
  EACCES: ['is not accessible (permission denied)', 'Choose a path you can write to, or fix its permissions'],
  EPERM: ['is not accessible (operation not permitted)', 'Choose a path you can write to, or fix its permissions'],
  EROFS: ['is on a read-only file system', 'Choose a writable location with --out'],
  ENOTDIR: ['has a file where a folder is expected', 'Choose another --out, or move the file away'],
  EISDIR: ['is a folder where a file is expected', 'Check the path'],
  ENOSPC: ['could not be written: the disk is full', 'Free some space or choose another --out'],
  EEXIST: ['already exists', 'Remove it or choose another path'],
};

/** The one-line (or, with debug, multi-line) report of an error. */
export function describeError(e: unknown, debug: boolean): string {
  const stack = debug && e instanceof Error && e.stack ? `\n${e.stack}` : '';
  if (isCamanimError(e)) return `camanim: ${e.message}${stack}\n`;
  const fsErr = e as NodeJS.ErrnoException;
  if (fsErr && typeof fsErr.code === 'string' && FS_ERRORS[fsErr.code]) {
    const [what, hint] = FS_ERRORS[fsErr.code];
    const path = fsErr.path ? `'${fsErr.path}'` : 'a path';
    return `camanim: ${path} ${what} (${fsErr.syscall ?? 'file system'}). ${hint}${stack}\n`;
  }
  const msg = e instanceof Error ? e.message : String(e);
  const hint = debug ? '' : ' Run again with CAMANIM_DEBUG=1 for the stack trace, and please report it.';
  return `camanim: unexpected error: ${msg}.${hint}${stack}\n`;
}
