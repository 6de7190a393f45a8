/**
 * Unary element-wise ops, one table row each: attributes, the WGSL expression over `x`
 * (attributes baked in as constants), the host function for folding, and the VJP as WGSL over
 * `x`, `y` and the incoming gradient `g`.
 * https://onnx.ai/onnx/operators/ (Relu, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Tanh,
 * Erf, Gelu, Sqrt, Clip, Neg, Abs, Exp, Log, Reciprocal, Softplus)
 */
import { f32Lit, unaryKernel, usesVar, zipKernel } from '@camanim/shaders';
import { CamanimError } from '../errors.ts';
import type { Node } from '../graph/ir.ts';
import { floatAttr, stringAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpDef, type OpIO, type VjpIO } from './op.ts';

type Params = Record<string, number>;

export interface UnaryRow {
  readonly type: string;
  readonly params?: (node: Node, opset: number) => Params;
  readonly wgsl: (p: Params) => string;
  readonly host: (x: number, p: Params) => number;
  /** dL/dx over x, y, g. `guided` rows (ReLU) pass only positive gradients in guided mode. */
  readonly grad: (p: Params) => string;
  /** Guided backpropagation: the VJP that passes only positive gradients (ReLU). */
  readonly guided?: (p: Params) => string;
  readonly header?: string;
}

// Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7), enough for float32.
const ERF = `fn erf_f(v: f32) -> f32 {
  let s = sign(v);
  let a = abs(v);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1.0 - p * exp(-a * a));
}`;
const hostErf = (v: number) => {
  const s = Math.sign(v);
  const a = Math.abs(v);
  const t = 1 / (1 + 0.3275911 * a);
  const p = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - p * Math.exp(-a * a));
};
const SQRT1_2 = Math.SQRT1_2;
const L = f32Lit;

export const unaryRows: readonly UnaryRow[] = [
  // Guided backprop (Springenberg et al. 2015): ReLU passes g only where both x > 0 and g > 0.
  {
    type: 'Relu',
    wgsl: () => 'max(x, 0.0)',
    host: (x) => Math.max(x, 0),
    grad: () => 'select(0.0, g, x > 0.0)',
    guided: () => 'select(0.0, max(g, 0.0), x > 0.0)',
  },
  {
    type: 'LeakyRelu',
    params: (n) => ({ alpha: floatAttr(n, 'alpha', 0.01) }),
    wgsl: (p) => `select(x * ${L(p.alpha)}, x, x >= 0.0)`,
    host: (x, p) => (x >= 0 ? x : x * p.alpha),
    grad: (p) => `select(g * ${L(p.alpha)}, g, x >= 0.0)`,
  },
  { type: 'Sigmoid', wgsl: () => '1.0 / (1.0 + exp(-x))', host: (x) => 1 / (1 + Math.exp(-x)), grad: () => 'g * y * (1.0 - y)' },
  {
    type: 'HardSigmoid',
    params: (n) => ({ alpha: floatAttr(n, 'alpha', 0.2), beta: floatAttr(n, 'beta', 0.5) }),
    wgsl: (p) => `clamp(${L(p.alpha)} * x + ${L(p.beta)}, 0.0, 1.0)`,
    host: (x, p) => Math.min(1, Math.max(0, p.alpha * x + p.beta)),
    grad: (p) =>
      `select(0.0, g * ${L(p.alpha)}, ${L(p.alpha)} * x + ${L(p.beta)} > 0.0 && ${L(p.alpha)} * x + ${L(p.beta)} < 1.0)`,
  },
  {
    type: 'HardSwish',
    wgsl: () => 'x * clamp(x / 6.0 + 0.5, 0.0, 1.0)',
    host: (x) => x * Math.min(1, Math.max(0, x / 6 + 0.5)),
    grad: () => 'select(select(g * (x / 3.0 + 0.5), g, x >= 3.0), 0.0, x <= -3.0)',
  },
  {
    type: 'Tanh',
    wgsl: () => 'tanh_f(x)',
    host: Math.tanh,
    grad: () => 'g * (1.0 - y * y)',
    header: 'fn tanh_f(v: f32) -> f32 { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }',
  },
  { type: 'Erf', wgsl: () => 'erf_f(x)', host: hostErf, grad: () => 'g * 1.1283791670955126 * exp(-x * x)', header: ERF },
  {
    type: 'Gelu',
    params: (n) => ({ tanh: stringAttr(n, 'approximate', 'none') === 'tanh' ? 1 : 0 }),
    wgsl: (p) =>
      p.tanh
        ? '0.5 * x * (1.0 + tanh_f(0.7978845608 * (x + 0.044715 * x * x * x)))'
        : `0.5 * x * (1.0 + erf_f(x * ${L(SQRT1_2)}))`,
    host: (x, p) =>
      p.tanh ? 0.5 * x * (1 + Math.tanh(0.7978845608 * (x + 0.044715 * x ** 3))) : 0.5 * x * (1 + hostErf(x * SQRT1_2)),
    grad: (p) =>
      p.tanh
        ? 'g * (0.5 * (1.0 + tanh_f(0.7978845608 * (x + 0.044715 * x * x * x))) + 0.5 * x * (1.0 - pow(tanh_f(0.7978845608 * (x + 0.044715 * x * x * x)), 2.0)) * 0.7978845608 * (1.0 + 0.134145 * x * x))'
        : `g * (0.5 * (1.0 + erf_f(x * ${L(SQRT1_2)})) + x * 0.3989422804 * exp(-0.5 * x * x))`,
    header: `${ERF}\nfn tanh_f(v: f32) -> f32 { let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e); }`,
  },
  { type: 'Sqrt', wgsl: () => 'sqrt(x)', host: Math.sqrt, grad: () => 'g * 0.5 / y' },
  { type: 'Neg', wgsl: () => '-x', host: (x) => -x, grad: () => '-g' },
  { type: 'Abs', wgsl: () => 'abs(x)', host: Math.abs, grad: () => 'g * sign(x)' },
  { type: 'Exp', wgsl: () => 'exp(x)', host: Math.exp, grad: () => 'g * y' },
  { type: 'Log', wgsl: () => 'log(x)', host: Math.log, grad: () => 'g / x' },
  { type: 'Reciprocal', wgsl: () => '1.0 / x', host: (x) => 1 / x, grad: () => '-g * y * y' },
  {
    type: 'Softplus',
    wgsl: () => 'max(x, 0.0) + log(1.0 + exp(-abs(x)))',
    host: (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x))),
    grad: () => 'g / (1.0 + exp(-x))',
  },
];

export function unaryOp(row: UnaryRow): OpDef<Params> {
  return defineOp<Params>({
    type: row.type,
    attrs: (node, opset) => row.params?.(node, opset) ?? {},
    shape: ({ inputs }) => [{ dtype: inputs[0]!.dtype, shape: inputs[0]!.shape }],
    fold: ({ consts }, p) => {
      const x = consts[0];
      if (!x) return undefined;
      const data = x.dtype === 'float32' ? new Float32Array(x.data.length) : new Float64Array(x.data.length);
      x.data.forEach((v, k) => (data[k] = row.host(v, p)));
      return [{ dtype: x.dtype, shape: x.shape, data }];
    },
    forward: ({ node, outputs }, p) => [
      { kernel: unaryKernel(node.opType, outputs[0].shape, row.wgsl(p), row.header), args: [input(0), output(0)] },
    ],
    vjp: (io, p) => [unaryVjp(row, io, p)],
  });
}

/** dx = f'(x)·g as one zip over whichever of x, y (the forward output) and g the row reads. */
function unaryVjp(row: UnaryRow, io: VjpIO, p: Params) {
  const expr = io.mode === 'guided' && row.guided ? row.guided(p) : row.grad(p);
  const shape = io.inputs[0]!.shape;
  const sources: [string, Arg][] = [
    ['x', input(0)],
    ['y', output(0)],
    ['g', gradOutput(0)],
  ];
  const used = sources.filter(([v]) => usesVar(expr, v));
  return {
    kernel: zipKernel(
      `${io.node.opType}_vjp`,
      shape,
      used.map(([name]) => ({ name, shape })),
      expr,
      row.header,
    ),
    args: [...used.map(([, a]) => a), gradInput(0)],
  };
}

/**
 * Clip: bounds are attributes before opset 11 and optional constant inputs from 11 on.
 * https://onnx.ai/onnx/operators/onnx__Clip.html
 */
export const clipRow: UnaryRow = {
  type: 'Clip',
  // Not clamp(): WGSL rejects constant bounds with min > max, where ONNX gives max everywhere.
  wgsl: (p) => `min(max(x, ${L(p.min)}), ${L(p.max)})`,
  host: (x, p) => Math.min(p.max, Math.max(p.min, x)),
  grad: (p) => `select(0.0, g, x >= ${L(p.min)} && x <= ${L(p.max)})`,
};

export function clipBounds(io: OpIO, attrMin: number, attrMax: number): Params {
  if (io.opset < 11) return { min: attrMin, max: attrMax };
  const bound = (k: number, fallback: number) => {
    if (!io.node.inputs[k]) return fallback;
    const c = io.consts[k];
    if (!c) throw new CamanimError('bad-model', `Clip bound input ${k} must be a constant`, { node: io.node.name, op: 'Clip' });
    return c.data[0];
  };
  return { min: bound(1, -3.4028234663852886e38), max: bound(2, 3.4028234663852886e38) };
}

const clipBase = unaryOp(clipRow);
export const clipOp = defineOp<{ min: number; max: number; resolved?: Params }>({
  ...(clipBase as unknown as OpDef<{ min: number; max: number }>),
  type: 'Clip',
  constInputs: [1, 2],
  attrs: (node) => ({ min: floatAttr(node, 'min', -3.4028234663852886e38), max: floatAttr(node, 'max', 3.4028234663852886e38) }),
  fold: (io, a, outs) => clipBase.fold!(io, clipBounds(io, a.min, a.max), outs),
  forward: (io, a) => clipBase.forward!(io, clipBounds(io, a.min, a.max)),
  vjp: (io, a) => clipBase.vjp!(io, clipBounds(io, a.min, a.max)),
  nonDifferentiable: [1, 2],
});

export const unaryOps = unaryRows.map(unaryOp);
