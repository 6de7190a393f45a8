/**
 * Every failure the page shows: what went wrong, where (file, layer, node) and what to do.
 * Errors from core and cam-methods (CamanimError) and the bundle validator (BundleError)
 * already read that way and are shown as they are; anything else is wrapped so that the page never goes blank on an exception.
 */
import { BundleError } from '@camanim/cam-methods';
import { isCamanimError, type ErrorCode } from '@camanim/core';

export type ViewerErrorCode =
  | 'bad-bundle'
  | 'bad-eval'
  | 'missing-file'
  | 'short-file'
  | 'bad-version'
  | 'bad-image'
  | 'bad-model'
  | 'unsupported-op'
  | 'no-webgpu'
  | 'fetch'
  | 'bad-request'
  | 'export'
  | 'internal';

export class ViewerError extends Error {
  override readonly name = 'ViewerError';
  constructor(
    readonly code: ViewerErrorCode,
    readonly what: string,
    readonly where?: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${what}${where ? ` (${where})` : ''}${hint ? `. ${hint}` : ''}`, options);
  }

  /** Any thrown value as a ViewerError, keeping core's codes and wording. */
  static from(e: unknown): ViewerError {
    if (e instanceof ViewerError) return e;
    if (e instanceof BundleError) return new ViewerError(e.code, e.what, e.where, e.hint, { cause: e });
    if (isCamanimError(e)) {
      const code: ViewerErrorCode = CORE_CODES[e.code] ?? 'internal';
      return new ViewerError(code, e.message, undefined, undefined, { cause: e });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new ViewerError('internal', message, undefined, undefined, { cause: e });
  }
}

/** core's error codes that the page names; the rest read 'internal'. */
const CORE_CODES: Partial<Record<ErrorCode, ViewerErrorCode>> = {
  'unsupported-op': 'unsupported-op',
  'no-gpu': 'no-webgpu',
  'bad-model': 'bad-model',
  // A choice the computation refuses (a class out of range, eigen smoothing for Eigen-CAM).
  'bad-input': 'bad-request',
  'bad-target': 'bad-request',
};
