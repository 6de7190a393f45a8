/**
 * Every failure a user can meet is a CamanimError: what went wrong, where (file, node, op,
 * tensor, layer, kernel) and what to do. The CLI prints `message` and exits non-zero; it
 * never prints a stack trace for these.
 */
export type ErrorCode =
  | 'bad-model'
  | 'unsupported-op'
  | 'bad-attribute'
  | 'bad-shape'
  | 'bad-input'
  | 'external-data'
  | 'no-gpu'
  | 'gpu'
  | 'resource-limit'
  | 'not-found'
  | 'bad-target'
  | 'not-differentiable'
  | 'disposed';

export interface ErrorWhere {
  file?: string;
  node?: string;
  op?: string;
  tensor?: string;
  layer?: string;
  kernel?: string;
}

export class CamanimError extends Error {
  override readonly name = 'CamanimError';
  constructor(
    readonly code: ErrorCode,
    readonly what: string,
    readonly where: ErrorWhere = {},
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(formatMessage(what, where, hint), options);
  }
}

function formatMessage(what: string, where: ErrorWhere, hint?: string): string {
  const parts = Object.entries(where)
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k} '${v}'`);
  const loc = parts.length ? ` (${parts.join(', ')})` : '';
  return `${what}${loc}${hint ? `. ${hint}` : ''}`;
}

export function isCamanimError(e: unknown): e is CamanimError {
  return e instanceof CamanimError;
}

/** A bad-shape error naming the node and op (shape rules of op modules). */
export function shapeError(node: { readonly name: string; readonly opType: string }, what: string, hint?: string): CamanimError {
  return new CamanimError('bad-shape', what, { node: node.name, op: node.opType }, hint);
}
