/**
 * Attributes and output geometry shared by MaxPool and AveragePool (and the global pools as
 * a window covering the whole plane).
 * https://onnx.ai/onnx/operators/onnx__MaxPool.html , onnx__AveragePool.html
 */
import type { PoolGeometry } from '@camanim/shaders';
import { CamanimError, shapeError } from '../errors.ts';
import type { Node } from '../graph/ir.ts';
import { intAttr, intsAttr, stringAttr } from './attrs.ts';

export interface PoolAttrs {
  readonly autoPad: string;
  readonly kernel: readonly number[];
  readonly strides?: readonly number[];
  readonly pads?: readonly number[];
  readonly dilations?: readonly number[];
  readonly ceil: boolean;
}

export function poolAttrs(node: Node): PoolAttrs {
  const autoPad = stringAttr(node, 'auto_pad', 'NOTSET');
  if (!['NOTSET', 'VALID', 'SAME_UPPER', 'SAME_LOWER'].includes(autoPad))
    throw shapeError(node, `auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
  return {
    autoPad,
    kernel: intsAttr(node, 'kernel_shape') ?? missing(node, 'kernel_shape'),
    strides: intsAttr(node, 'strides'),
    pads: intsAttr(node, 'pads'),
    dilations: intsAttr(node, 'dilations'),
    ceil: intAttr(node, 'ceil_mode', 0) === 1,
  };
}

function missing(node: Node, name: string): never {
  throw new CamanimError(
    'bad-attribute',
    `Required attribute '${name}' is missing`,
    { node: node.name, op: node.opType },
    'The model file is corrupt or was exported incorrectly',
  );
}

const I32_MAX = 2 ** 31 - 1;

/** Output shape and padding of a pool over `input` = [N, C, ...spatial]. */
export function poolGeometry(node: Node, a: PoolAttrs, input: readonly number[]): PoolGeometry {
  const sp = input.slice(2);
  const n = sp.length;
  const check = (name: string, v: readonly number[] | undefined, len: number) => {
    if (v && v.length !== len)
      throw shapeError(node, `'${name}' has ${v.length} values, expected ${len} for a ${n}-D pool over [${input.join(', ')}]`);
  };
  if (n < 1) throw shapeError(node, `Pooling needs an input of rank 3 or more ([N, C, ...spatial]), got [${input.join(', ')}]`);
  check('kernel_shape', a.kernel, n);
  check('strides', a.strides, n);
  check('dilations', a.dilations, n);
  check('pads', a.pads, 2 * n);
  const strides = a.strides ?? sp.map(() => 1);
  const dilations = a.dilations ?? sp.map(() => 1);
  const padsBegin = sp.map((_, d) => a.pads?.[d] ?? 0);
  const padsEnd = sp.map((_, d) => a.pads?.[d + n] ?? 0);
  // Kernels index with i32 (window start = o * stride - pad): every value must be in range.
  const range = (name: string, v: readonly number[], lo: number) => {
    if (v.some((x) => !(x >= lo && x <= I32_MAX)))
      throw new CamanimError(
        'bad-attribute',
        `'${name}' is [${v.join(', ')}]; each value must be from ${lo} to ${I32_MAX}`,
        { node: node.name, op: node.opType },
        'The model file is corrupt or was exported incorrectly',
      );
  };
  range('kernel_shape', a.kernel, 1);
  range('strides', strides, 1);
  range('dilations', dilations, 1);
  range('pads', [...padsBegin, ...padsEnd], 0);
  if (sp.some((x, d) => x + padsBegin[d] + padsEnd[d] + strides[d] + (a.kernel[d] - 1) * dilations[d] > I32_MAX)) {
    throw shapeError(
      node,
      `Pool window [${a.kernel.join(', ')}], strides [${strides.join(', ')}] and pads [${[...padsBegin, ...padsEnd].join(', ')}] over [${input.join(', ')}] overflow 32-bit indexing`,
    );
  }
  const out = sp.map((x, d) => {
    const span = (a.kernel[d] - 1) * dilations[d] + 1;
    const s = strides[d];
    if (a.autoPad === 'VALID') {
      padsBegin[d] = padsEnd[d] = 0;
      return Math.floor((x - span) / s) + 1;
    }
    if (a.autoPad !== 'NOTSET') {
      // SAME_*: output ceil(x / s), the padding split evenly, the odd one at the end (UPPER) or start (LOWER).
      const o = Math.ceil(x / s);
      const total = Math.max(0, (o - 1) * s + span - x);
      padsBegin[d] = a.autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      padsEnd[d] = total - padsBegin[d];
      return o;
    }
    const room = x + padsBegin[d] + padsEnd[d] - span;
    let o = (a.ceil ? Math.ceil(room / s) : Math.floor(room / s)) + 1;
    // ceil_mode: the last window must start inside the input or its left padding (PyTorch, ONNX reference).
    if (a.ceil && (o - 1) * s >= x + padsBegin[d]) o--;
    return o;
  });
  if (out.some((o) => !(o >= 1)))
    throw shapeError(
      node,
      `Pool window [${a.kernel.join(', ')}] does not fit the input [${input.join(', ')}]`,
      'Check the input size the model expects',
    );
  return { input, output: [...input.slice(0, 2), ...out], kernel: a.kernel, strides, dilations, padsBegin, padsEnd };
}

/** The global pools: one window covering each whole plane. */
export function globalGeometry(node: Node, input: readonly number[]): PoolGeometry {
  if (input.length < 3)
    throw shapeError(node, `Global pooling needs an input of rank 3 or more ([N, C, ...spatial]), got [${input.join(', ')}]`);
  const sp = input.slice(2);
  return poolGeometry(node, { autoPad: 'NOTSET', kernel: sp, ceil: false }, input);
}
