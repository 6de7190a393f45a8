/**
 * Every failure the page shows: what went wrong, where (file, layer, node) and what to do.
 * Errors from core and cam-methods (CamanimError) already read that way and are shown as
 * they are; anything else is wrapped so that the page never goes blank on an exception.
 */
import { isCamanimError } from '@camanim/core';

export type ViewerErrorCode =
  | 'bad-bundle'
  | 'missing-file'
  | 'short-file'
  | 'bad-version'
  | 'bad-image'
  | 'bad-model'
  | 'unsupported-op'
  | 'no-webgpu'
  | 'fetch'
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
    if (isCamanimError(e)) {
      const code: ViewerErrorCode = e.code === 'unsupported-op' ? 'unsupported-op' : e.code === 'no-gpu' ? 'no-webgpu' : e.code === 'bad-model' ? 'bad-model' : 'internal';
      return new ViewerError(code, e.message, undefined, undefined, { cause: e });
    }
    const message = e instanceof Error ? e.message : String(e);
    return new ViewerError('internal', message, undefined, undefined, { cause: e });
  }
}
