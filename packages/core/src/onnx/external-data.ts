/**
 * External data (TensorProto.data_location = EXTERNAL): each `location` must resolve inside
 * the model's folder. Absolute paths, `..` escapes and links leading outside are refused
 * before the file is opened (CVE-2022-25882, CVE-2024-27318); offsets and lengths are checked
 * against the file size and against the tensor's shape before reading.
 */
import { CamanimError } from '../errors.ts';
import type { ExternalReader } from './tensor.ts';

/** Files the caller can read by a relative name (a folder on disk, or files dropped in a page). */
export interface FileSource {
  describe(): string;
  /** Size of the file, or undefined when it does not exist. */
  size(relative: string): number | undefined;
  read(relative: string, offset: number, length: number): Uint8Array;
}

export function externalReader(files: FileSource | undefined, modelFile: string): ExternalReader {
  return (tensor, entries, byteLength) => {
    const location = entries.get('location') ?? '';
    const where = { file: modelFile, tensor };
    if (!files) {
      throw new CamanimError(
        'external-data',
        `Tensor's data lives in external file '${location}', but no folder was given to read it from`,
        where,
        'Load the model from a path on disk, or drop the data file together with the model',
      );
    }
    const rel = checkLocation(location, where);
    const size = files.size(rel);
    if (size === undefined) {
      throw new CamanimError(
        'external-data',
        `External data file '${location}' is missing from ${files.describe()}`,
        where,
        'Put the data file next to the model file',
      );
    }
    const offset = parseInteger(entries.get('offset') ?? '0', 'offset', where);
    const length = entries.has('length') ? parseInteger(entries.get('length')!, 'length', where) : byteLength;
    if (length !== byteLength) {
      throw new CamanimError(
        'external-data',
        `External data length ${length} does not match the ${byteLength} bytes the tensor's shape and type need`,
        where,
        'The model or its data file is corrupt',
      );
    }
    if (offset + length > size) {
      throw new CamanimError(
        'external-data',
        `External data range [${offset}, ${offset + length}) runs past the end of '${location}' (${size} bytes)`,
        where,
        'The data file is truncated or does not belong to this model',
      );
    }
    return files.read(rel, offset, length);
  };
}

function checkLocation(location: string, where: { file: string; tensor: string }): string {
  const bad = (why: string) =>
    new CamanimError(
      'external-data',
      `External data location '${location}' ${why}`,
      where,
      'External data must be a file inside the model folder; this model may be malicious',
    );
  if (!location || location.includes('\0')) throw bad('is empty or invalid');
  if (location.startsWith('/') || location.startsWith('\\') || /^[a-zA-Z]:/.test(location)) throw bad('is an absolute path');
  const parts = location.split(/[\\/]+/);
  if (parts.some((p) => p === '..')) throw bad('escapes the model folder with ..');
  return parts.filter((p) => p && p !== '.').join('/');
}

function parseInteger(text: string, key: string, where: { file: string; tensor: string }): number {
  const v = Number(text);
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new CamanimError(
      'external-data',
      `External data ${key} '${text}' is not a valid byte count`,
      where,
      'The model file is corrupt',
    );
  }
  return v;
}
