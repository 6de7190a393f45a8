/**
 * The model's total stride per spatial axis: how much its convolutions and pools downsample
 * the input at the deepest point, so that an input size picked from an image can be rounded to
 * a multiple of it (U-Nets and FPNs concatenate maps that must line up). Strides multiply along
 * every path; Resize/Upsample with constant scales and ConvTranspose divide.
 */
import type { Graph, HostTensor } from '../graph/ir.ts';
import { toposort } from '../graph/toposort.ts';

const DOWNSAMPLE = new Set(['Conv', 'MaxPool', 'AveragePool', 'LpPool']);

export function totalStride(graph: Graph): readonly [number, number] {
  const stride = new Map<string, [number, number]>(graph.inputs.map((i) => [i.name, [1, 1]]));
  let deepest: [number, number] = [1, 1];
  for (const node of toposort(graph)) {
    const from = node.inputs.map((i) => stride.get(i)).filter((s): s is [number, number] => s !== undefined);
    if (from.length === 0) continue;
    let s: [number, number] = [Math.max(...from.map((f) => f[0])), Math.max(...from.map((f) => f[1]))];
    const strides = node.attributes.get('strides');
    const spatial = Array.isArray(strides) && strides.length === 2 ? (strides as number[]) : [1, 1];
    if (DOWNSAMPLE.has(node.opType)) s = [s[0] * spatial[0], s[1] * spatial[1]];
    if (node.opType === 'ConvTranspose') s = [s[0] / spatial[0], s[1] / spatial[1]];
    if (node.opType === 'Resize' || node.opType === 'Upsample') {
      const scales = graph.initializers.get(node.inputs[node.opType === 'Resize' ? 2 : 1] ?? '');
      const k = scales ? spatialScales(scales) : undefined;
      if (k) s = [s[0] / k[0], s[1] / k[1]];
    }
    for (const out of node.outputs) if (out) stride.set(out, s);
    deepest = [Math.max(deepest[0], s[0]), Math.max(deepest[1], s[1])];
  }
  return [Math.max(1, Math.round(deepest[0])), Math.max(1, Math.round(deepest[1]))];
}

function spatialScales(t: HostTensor): [number, number] | undefined {
  return t.data.length === 4 && t.data[2] > 0 && t.data[3] > 0 ? [t.data[2], t.data[3]] : undefined;
}
