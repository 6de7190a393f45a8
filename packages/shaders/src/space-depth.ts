/**
 * DepthToSpace and SpaceToDepth as index maps: every output element reads one input element.
 * DCR puts the block offset outermost in the channel ((by·b + bx)·C + c), CRD innermost
 * (c·b² + by·b + bx). SpaceToDepth is the inverse of DCR; the inverse of each map is its VJP.
 */
import { indexMapKernel } from './index-map.ts';
import type { KernelSpec } from './kernel.ts';

export type BlockMode = 'DCR' | 'CRD';

/**
 * `toSpace`: X [N, C·b², H, W] → Y [N, C, H·b, W·b] (DepthToSpace); else X [N, C, H, W] →
 * Y [N, C·b², H/b, W/b] (SpaceToDepth, and `mode` says how the channel packs the block).
 */
export function spaceDepthKernel(
  toSpace: boolean,
  mode: BlockMode,
  input: readonly [number, number, number, number],
  b: number,
): KernelSpec {
  const [n, cin, h, w] = input;
  const bb = b * b;
  const out = toSpace ? [n, cin / bb, h * b, w * b] : [n, cin * bb, h / b, w / b];
  const c = toSpace ? cin / bb : cin;
  // c0..c3 are the output coordinates; channel and block give the source.
  const pack = (ch: string, blk: string) => (mode === 'DCR' ? `(${blk}) * ${c}u + ${ch}` : `${ch} * ${bb}u + ${blk}`);
  const prelude = toSpace
    ? `  let src = ((c0 * ${cin}u + ${pack('c1', `(c2 % ${b}u) * ${b}u + c3 % ${b}u`)}) * ${h}u + c2 / ${b}u) * ${w}u + c3 / ${b}u;`
    : `  let blk = ${mode === 'DCR' ? `c1 / ${c}u` : `c1 % ${bb}u`};
  let ch = ${mode === 'DCR' ? `c1 % ${c}u` : `c1 / ${bb}u`};
  let src = ((c0 * ${cin}u + ch) * ${h}u + c2 * ${b}u + blk / ${b}u) * ${w}u + c3 * ${b}u + blk % ${b}u;`;
  return indexMapKernel(`${toSpace ? 'depth_to_space' : 'space_to_depth'}[${input.join('x')} b${b} ${mode}]`, out, prelude);
}
