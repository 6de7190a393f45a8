/**
 * How a CAM's score and smoothing are named in captions, so that the CLI's frames and the
 * viewer's word them the same: "ReST target", "Grad-CAM (eigen-smoothed, aug-smoothed)".
 */

/** The scores a CAM explains (core's ClassTarget kinds; binary needs a one-score model). */
export const TARGET_KINDS = ['logit', 'softmax', 'rest'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

const KIND_NAMES: Record<TargetKind, string> = { logit: 'logit', softmax: 'softmax', rest: 'ReST' };

/** 'logit', 'softmax' or 'ReST'. */
export function targetKindName(kind: TargetKind): string {
  return KIND_NAMES[kind];
}

/** ' · ReST target' / ' · softmax target' after a class in a caption; nothing for the logit. */
export function targetKindSuffix(kind: TargetKind): string {
  return kind === 'logit' ? '' : ` · ${targetKindName(kind)} target`;
}

/** ' (eigen-smoothed, aug-smoothed)' after a method's title when its CAMs were smoothed. */
export function smoothingSuffix(opts: { readonly eigenSmooth?: boolean; readonly augSmooth?: boolean }): string {
  const kinds = [opts.eigenSmooth && 'eigen-smoothed', opts.augSmooth && 'aug-smoothed'].filter(Boolean);
  return kinds.length ? ` (${kinds.join(', ')})` : '';
}
