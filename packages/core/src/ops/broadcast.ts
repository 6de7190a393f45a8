/** Numpy-style multidirectional broadcasting of shapes, with errors that name the node. */
import { CamanimError } from '../errors.ts';
import type { HostTensor, Node } from '../graph/ir.ts';

export function broadcastShapes(node: Node, shapes: readonly (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let k = 0; k < rank; k++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + k] ?? 1;
      if (v === 1) continue;
      if (d !== 1 && d !== v) {
        throw new CamanimError('bad-shape', `Shapes ${shapes.map((x) => `[${x.join(', ')}]`).join(' and ')} do not broadcast`, {
          node: node.name,
          op: node.opType,
        });
      }
      d = v;
    }
    out.push(shapes.some((s) => (s[s.length - rank + k] ?? 1) === 0) ? 0 : d);
  }
  return out;
}

/** Host evaluation of an element-wise function under broadcasting (constant folding). */
export function broadcastHost(
  outShape: readonly number[],
  inputs: readonly HostTensor[],
  f: (...xs: number[]) => number,
  asFloat32: boolean,
): Float32Array | Float64Array {
  const n = outShape.reduce((a, b) => a * b, 1);
  const out = asFloat32 ? new Float32Array(n) : new Float64Array(n);
  const rank = outShape.length;
  const strides = inputs.map((t) => {
    const s: number[] = new Array(rank).fill(0);
    let acc = 1;
    for (let k = t.shape.length - 1; k >= 0; k--) {
      const dim = rank - t.shape.length + k;
      s[dim] = t.shape[k] === 1 ? 0 : acc;
      acc *= t.shape[k];
    }
    return s;
  });
  const coord = new Array(rank).fill(0);
  const args = new Array<number>(inputs.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < inputs.length; j++) {
      let off = 0;
      for (let k = 0; k < rank; k++) off += coord[k] * strides[j][k];
      args[j] = inputs[j].data[off];
    }
    out[i] = f(...args);
    for (let k = rank - 1; k >= 0; k--) {
      if (++coord[k] < outShape[k]) break;
      coord[k] = 0;
    }
  }
  return out;
}
