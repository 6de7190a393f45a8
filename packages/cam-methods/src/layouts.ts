/**
 * Which 4-D tensors are channels-last [N, H, W, C] inside a channels-first model: ConvNeXt and
 * Swin permute to NHWC, run LayerNorm and Linear on the last axis, and permute back. Layouts are
 * tracked from the (channels-first) input: a Transpose (0, 2, 3, 1) of an NCHW tensor is NHWC,
 * (0, 3, 1, 2) of an NHWC one is NCHW; convolutions, pools and normalizations over channels make
 * NCHW; Reshape, Flatten, Squeeze, Unsqueeze, Einsum and other transposes lose track (such
 * tensors are read as NCHW, as before); ops that keep every axis where it is (Slice, Concat, Pad,
 * Gather, element-wise: Swin's patch merging slices, concatenates and pads NHWC) keep the layout
 * of their tracked 4-D inputs where those agree; only 4-D outputs are tracked.
 */
import type { Model } from '@camanim/core';

type Layout = 'NCHW' | 'NHWC' | 'unknown';

const MAKES_NCHW = new Set([
  'Conv',
  'ConvTranspose',
  'MaxPool',
  'AveragePool',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'BatchNormalization',
  'InstanceNormalization',
  'GroupNormalization',
  'Resize',
  'Upsample',
  'DepthToSpace',
  'SpaceToDepth',
]);
const LOSES_TRACK = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Einsum']);

export function channelsLastTensors(model: Model): ReadonlySet<string> {
  const rank = new Map(model.layers.map((l) => [l.name, l.shape.length]));
  const layout = new Map<string, Layout>(model.graph.inputs.map((i) => [i.name, 'NCHW']));
  for (const node of model.order) {
    // The inputs' layout: NCHW or NHWC where the tracked ones say one (an untracked input, such
    // as a Reshape's attention output added to a Swin block's residual, does not veto it).
    const tracked = node.inputs.map((i) => layout.get(i)).filter((l) => l !== undefined);
    const known = [...new Set(tracked.filter((l) => l !== 'unknown'))];
    const from = known.length === 1 ? known[0] : tracked.length ? 'unknown' : undefined;
    let out: Layout | undefined;
    if (node.opType === 'Transpose') {
      const perm = (node.attributes.get('perm') as number[] | undefined)?.join(',');
      out = from === 'NCHW' && perm === '0,2,3,1' ? 'NHWC' : from === 'NHWC' && perm === '0,3,1,2' ? 'NCHW' : 'unknown';
    } else if (MAKES_NCHW.has(node.opType)) out = 'NCHW';
    else if (LOSES_TRACK.has(node.opType)) out = 'unknown';
    else out = from;
    if (out === undefined) continue;
    for (const o of node.outputs) if (o && (rank.get(o) ?? 4) === 4) layout.set(o, out);
  }
  return new Set([...layout].filter(([name, l]) => l === 'NHWC' && rank.get(name) === 4).map(([name]) => name));
}
