/**
 * DepthToSpace (opsets 1–13: mode DCR, CRD from 11) and SpaceToDepth: blocks of `blocksize`²
 * channels moved into b × b pixel blocks and back, over [N, C, H, W] (YOLO-style heads, pixel
 * shuffle). https://onnx.ai/onnx/operators/onnx__DepthToSpace.html ,
 * https://onnx.ai/onnx/operators/onnx__SpaceToDepth.html
 * Both are permutations: the forward an index map, the VJP the inverse map (SpaceToDepth in the
 * same mode for DepthToSpace, DepthToSpace DCR for SpaceToDepth); constants fold on the host.
 */
import { spaceDepthKernel, type BlockMode } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import type { HostTensor } from '../graph/ir.ts';
import { intAttr, stringAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpDef, type OpIO } from './op.ts';

export interface Attrs {
  readonly b: number;
  readonly mode: BlockMode;
}

type Shape4 = [number, number, number, number];

function checked({ node, inputs }: OpIO, a: Attrs, toSpace: boolean): { x: Shape4; y: Shape4 } {
  const x = inputs[0]!.shape;
  const { b } = a;
  if (x.length !== 4) throw shapeError(node, `Input must be 4-D [N, C, H, W], got [${x.join(', ')}]`);
  if (!(b >= 1)) throw shapeError(node, `blocksize must be at least 1, got ${b}`);
  const [n, c, h, w] = x;
  if (toSpace && c % (b * b)) throw shapeError(node, `${c} channels do not split into blocks of ${b}×${b}`);
  if (!toSpace && (h % b || w % b)) throw shapeError(node, `Height ${h} and width ${w} must be multiples of blocksize ${b}`);
  const y: Shape4 = toSpace ? [n, c / (b * b), h * b, w * b] : [n, c * b * b, h / b, w / b];
  return { x: [n, c, h, w], y };
}

/** The same map on the host, for constant inputs. */
function hostMap(toSpace: boolean, mode: BlockMode, x: HostTensor, shape: Shape4, out: Shape4, b: number): HostTensor {
  const [, cin, h, w] = shape;
  const [, co, oh, ow] = out;
  const data = new Float64Array(x.data.length);
  const c = toSpace ? co : cin;
  for (let i = 0; i < data.length; i++) {
    const [x3, x2, x1, x0] = [i % ow, Math.floor(i / ow) % oh, Math.floor(i / (ow * oh)) % co, Math.floor(i / (ow * oh * co))];
    let src: number;
    if (toSpace) {
      const blk = (x2 % b) * b + (x3 % b);
      const ch = mode === 'DCR' ? blk * c + x1 : x1 * b * b + blk;
      src = ((x0 * cin + ch) * h + Math.floor(x2 / b)) * w + Math.floor(x3 / b);
    } else {
      const blk = mode === 'DCR' ? Math.floor(x1 / c) : x1 % (b * b);
      const ch = mode === 'DCR' ? x1 % c : Math.floor(x1 / (b * b));
      src = ((x0 * cin + ch) * h + x2 * b + Math.floor(blk / b)) * w + x3 * b + (blk % b);
    }
    data[i] = Number(x.data[src]);
  }
  return { dtype: x.dtype, shape: out, data: x.dtype === 'float32' ? Float32Array.from(data) : data };
}

export function blockOp(type: 'DepthToSpace' | 'SpaceToDepth'): OpDef<Attrs> {
  const toSpace = type === 'DepthToSpace';
  return defineOp<Attrs>({
    type,
    attrs: (node) => {
      const mode = toSpace ? stringAttr(node, 'mode', 'DCR') : 'DCR';
      if (mode !== 'DCR' && mode !== 'CRD') throw shapeError(node, `mode '${mode}' is not DCR or CRD`);
      return { b: intAttr(node, 'blocksize'), mode };
    },
    shape: (io, a) => [{ dtype: io.inputs[0]!.dtype, shape: checked(io, a, toSpace).y }],
    fold: (io, a) => {
      const x = io.consts[0];
      if (!x) return undefined;
      const s = checked(io, a, toSpace);
      return [hostMap(toSpace, a.mode, x, s.x, s.y, a.b)];
    },
    forward: (io, a) => [
      { kernel: spaceDepthKernel(toSpace, a.mode, checked(io, a, toSpace).x, a.b), args: [input(0), output(0)] },
    ],
    // The inverse permutation: DepthToSpace(mode)⁻¹ = SpaceToDepth(mode) and SpaceToDepth⁻¹ = DepthToSpace DCR.
    vjp: (io, a) => [
      { kernel: spaceDepthKernel(!toSpace, a.mode, checked(io, a, toSpace).y, a.b), args: [gradOutput(0), gradInput(0)] },
    ],
  });
}

export const depthToSpace = blockOp('DepthToSpace');
