/**
 * FileSource over a folder on disk (Node only). Resolves links and refuses any file whose
 * real path leaves the folder's real path (symlinks and hard-link tricks, CVE-2026-27489).
 */
import { closeSync, fstatSync, openSync, readSync, realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { CamanimError } from '../errors.ts';
import type { FileSource } from './external-data.ts';

export function folderSource(dir: string): FileSource {
  const root = realpathSync(dir);
  const resolve = (relative: string): string | undefined => {
    const full = join(root, relative);
    let real: string;
    try {
      real = realpathSync(full);
    } catch {
      return undefined;
    }
    if (!real.startsWith(root + sep)) {
      throw new CamanimError(
        'external-data',
        `External data '${relative}' resolves to '${real}', outside the model folder '${root}'`,
        { file: relative },
        'Refusing to follow a link out of the model folder; copy the data file next to the model',
      );
    }
    if (statSync(real).nlink > 1 && statSync(real).isFile()) {
      // A hard link is indistinguishable from its target; refuse it so a crafted model cannot
      // read a file that was hard-linked into its folder from elsewhere.
      throw new CamanimError(
        'external-data',
        `External data '${relative}' is a hard link`,
        { file: relative },
        'Copy the data file instead of linking it',
      );
    }
    return real;
  };
  return {
    describe: () => `folder '${root}'`,
    size(relative) {
      const p = resolve(relative);
      if (p === undefined) return undefined;
      const info = statSync(p);
      if (!info.isFile()) {
        throw new CamanimError(
          'external-data',
          `External data '${relative}' is not a regular file`,
          { file: relative },
          'The location must name a data file inside the model folder, not a folder',
        );
      }
      return info.size;
    },
    read(relative, offset, length) {
      const p = resolve(relative)!;
      const fd = openSync(p, 'r');
      try {
        if (offset + length > fstatSync(fd).size)
          throw new CamanimError('external-data', `External data '${relative}' changed size while reading`, { file: relative });
        const buf = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const n = readSync(fd, buf, done, length - done, offset + done);
          if (n <= 0) break;
          done += n;
        }
        return buf;
      } finally {
        closeSync(fd);
      }
    },
  };
}
