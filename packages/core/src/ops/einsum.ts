/**
 * Einsum (opset 12) for the two-operand contractions exporters write for attention and batched
 * products ('bhid,bhjd->bhij', 'bhij,bhjd->bhid', 'bij,bjk->bik', 'bqhd,bkhd->bhqk', ...; the
 * output may be implicit). Each letter is a batch letter (both operands and the output), a row
 * letter (A and the output), a column letter (B and the output) or a contracted one (A and B):
 * one GEMM over strided views, the MatMul kernel with its transposes as strides, never copies.
 * Several row (column, contracted) letters must sit side by side in the same order wherever they
 * appear; batch letters may sit anywhere. Anything else — one or three operands, '...',
 * a repeated letter (diagonal), a letter summed away without a partner, broadcasting — is
 * refused at load time naming the equation. https://onnx.ai/onnx/operators/onnx__Einsum.html
 * VJP: dA = dY·Bᵀ and dB = Aᵀ·dY, the same GEMM over views, written in each operand's layout.
 */
import { gemmKernel, gemmTile, type BatchView, type GemmOperand, type TileProfile } from '@camanim/shaders';
import { CamanimError, shapeError } from '../errors.ts';
import type { HostTensor, Node } from '../graph/ir.ts';
import { stringAttr } from './attrs.ts';
import { defineOp, gradInput, gradOutput, input, output, type Arg, type OpIO, type Step } from './op.ts';

interface Equation {
  readonly a: string;
  readonly b: string;
  readonly out: string;
  /** Letters by role, batch in output order, rows and contracted in A's order, columns in B's. */
  readonly batch: string;
  readonly rows: string;
  readonly cols: string;
  readonly inner: string;
}

const HINT =
  "camanim runs two-operand Einsum contractions (batched matrix products such as 'bhid,bhjd->bhij'); export the model with torch.matmul, or run it with onnxruntime";

/** The equation's letter roles, or the reason it is not one camanim runs. */
function parse(text: string): Equation | string {
  const eq = text.replace(/\s+/g, '');
  const [lhs, explicit] = eq.split('->');
  const operands = lhs.split(',');
  if (eq.includes('.')) return 'broadcasting with ... is not supported';
  if (operands.length !== 2)
    return `${operands.length} operand${operands.length === 1 ? '' : 's'}: only two-operand contractions run`;
  const [a, b] = operands;
  if (![a, b, explicit ?? ''].every((s) => /^[a-zA-Z]*$/.test(s))) return 'letters must be a-z or A-Z';
  const counts = new Map<string, number>();
  for (const c of a + b) counts.set(c, (counts.get(c) ?? 0) + 1);
  const out =
    explicit ??
    [...counts]
      .filter(([, n]) => n === 1)
      .map(([c]) => c)
      .sort()
      .join('');
  for (const s of [a, b, out]) if (new Set(s).size !== s.length) return `'${s}' repeats a letter (a diagonal)`;
  const lone = [...a, ...b].find((c) => !out.includes(c) && !(a.includes(c) && b.includes(c)));
  if (lone) return `letter '${lone}' is summed away in one operand alone`;
  const stray = [...out].find((c) => !a.includes(c) && !b.includes(c));
  if (stray) return `output letter '${stray}' is in neither operand`;
  const batch = [...out].filter((c) => a.includes(c) && b.includes(c)).join('');
  const rows = [...a].filter((c) => out.includes(c) && !b.includes(c)).join('');
  const cols = [...b].filter((c) => out.includes(c) && !a.includes(c)).join('');
  const inner = [...a].filter((c) => b.includes(c) && !out.includes(c)).join('');
  // Grouped letters become one strided dim: they must be adjacent, in one order, everywhere.
  const fits = (group: string, s: string) => group.length < 2 || s.includes(group) || ![...group].some((c) => s.includes(c));
  for (const [group, where] of [
    [rows, [a, out]],
    [cols, [b, out]],
    [inner, [a, b]],
  ] as const) {
    const bad = where.find((s) => !fits(group, s));
    if (bad !== undefined) return `letters '${group}' are not adjacent in the same order in '${bad}'`;
  }
  return { a, b, out, batch, rows, cols, inner };
}

function equationOf(node: Node): Equation {
  const text = stringAttr(node, 'equation', '');
  const e = parse(text);
  if (typeof e === 'string')
    throw new CamanimError('unsupported-op', `Einsum '${text}': ${e}`, { node: node.name, op: node.opType }, HINT);
  return e;
}

/** Dims of every letter (checked to agree) and the strides of each tensor's letters. */
function layout(node: Node, e: Equation, aShape: readonly number[], bShape: readonly number[]) {
  const dims = new Map<string, number>();
  for (const [s, shape] of [
    [e.a, aShape],
    [e.b, bShape],
  ] as const) {
    if (s.length !== shape.length)
      throw shapeError(node, `Einsum operand '${s}' has rank ${s.length}, got a tensor [${shape.join(', ')}]`);
    [...s].forEach((c, k) => {
      if (dims.has(c) && dims.get(c) !== shape[k])
        throw shapeError(
          node,
          `Einsum letter '${c}' is ${dims.get(c)} in one operand and ${shape[k]} in the other (broadcasting is not supported)`,
        );
      dims.set(c, shape[k]);
    });
  }
  const dim = (c: string) => dims.get(c)!;
  const strides = (s: string) => new Map([...s].map((c, k) => [c, [...s.slice(k + 1)].reduce((p, d) => p * dim(d), 1)]));
  const size = (group: string) => [...group].reduce((p, c) => p * dim(c), 1);
  return { dim, size, a: strides(e.a), b: strides(e.b), out: strides(e.out), outShape: [...e.out].map(dim) };
}

type Layout = ReturnType<typeof layout>;
const gcd = (x: number, y: number): number => (y ? gcd(y, x % y) : x);

/** The batch offset of a tensor with these strides from the linear batch index `bt` (batch letters row-major). */
function batchView(e: Equation, l: Layout, strides: Map<string, number>): BatchView | undefined {
  if (!e.batch) return undefined;
  const g = [...e.batch].reduce((p, c) => gcd(p, strides.get(c)!), 0);
  const terms = [...e.batch].map((c, k) => {
    const after = l.size(e.batch.slice(k + 1));
    const coord = k === 0 ? `bt / ${after}u` : `(bt / ${after}u) % ${l.dim(c)}u`;
    return `(${coord}) * ${strides.get(c)! / g}u`;
  });
  return { index: terms.join(' + '), stride: g };
}

/** A group's one stride in a tensor (its last letter's), 1 for an empty group. */
const strideOf = (group: string, strides: Map<string, number>) => (group ? strides.get(group[group.length - 1])! : 1);

function product(
  tiles: TileProfile,
  name: string,
  e: Equation,
  l: Layout,
  dims: [number, number, number],
  a: GemmOperand,
  b: GemmOperand,
  out: Map<string, number>,
  groups: [string, string],
  args: Arg[],
): Step {
  const [m, n, k] = dims;
  const batch = l.size(e.batch);
  const kernel = gemmKernel({
    name,
    m,
    n,
    k,
    batch,
    a,
    b,
    out: { rowStride: strideOf(groups[0], out), colStride: strideOf(groups[1], out), batch: batchView(e, l, out) },
    tile: gemmTile(tiles, m, n, k, batch),
    profile: tiles,
  });
  return { kernel, args };
}

const operand = (
  buffer: string,
  e: Equation,
  l: Layout,
  strides: Map<string, number>,
  rowGroup: string,
  colGroup: string,
): GemmOperand => ({
  buffer,
  rowStride: strideOf(rowGroup, strides),
  colStride: strideOf(colGroup, strides),
  batch: batchView(e, l, strides),
});

/** Host evaluation (both operands constant), float64. */
function hostEinsum(e: Equation, l: Layout, a: HostTensor, b: HostTensor): Float32Array {
  const [bs, ms, ns, ks] = [e.batch, e.rows, e.cols, e.inner].map(l.size);
  const y = new Float32Array(bs * ms * ns);
  const off = (strides: Map<string, number>, group: string, i: number) =>
    [...group].reduce((acc, c, k) => acc + (Math.floor(i / l.size(group.slice(k + 1))) % l.dim(c)) * strides.get(c)!, 0);
  for (let t = 0; t < bs; t++)
    for (let i = 0; i < ms; i++)
      for (let j = 0; j < ns; j++) {
        let s = 0;
        for (let p = 0; p < ks; p++)
          s +=
            Number(a.data[off(l.a, e.batch, t) + off(l.a, e.rows, i) + off(l.a, e.inner, p)]) *
            Number(b.data[off(l.b, e.batch, t) + off(l.b, e.cols, j) + off(l.b, e.inner, p)]);
        y[off(l.out, e.batch, t) + off(l.out, e.rows, i) + off(l.out, e.cols, j)] = s;
      }
  return y;
}

const setup = ({ node, inputs }: OpIO) => {
  const e = equationOf(node);
  return { e, l: layout(node, e, inputs[0]!.shape, inputs[1]!.shape) };
};

export const einsum = defineOp<null>({
  type: 'Einsum',
  attrs: () => null,
  unsupported: (node) => {
    const text = stringAttr(node, 'equation', '');
    const e = parse(text);
    return typeof e === 'string' ? { what: `equation '${text}': ${e}`, hint: HINT } : undefined;
  },
  shape: (io) => {
    if (io.inputs.length !== 2) throw shapeError(io.node, `Einsum here takes two inputs, got ${io.inputs.length}`);
    const { l } = setup(io);
    return [{ dtype: io.inputs[0]!.dtype, shape: l.outShape }];
  },
  fold: (io) => {
    const [a, b] = io.consts;
    if (!a || !b) return undefined;
    const { e, l } = setup(io);
    return [{ dtype: 'float32', shape: l.outShape, data: hostEinsum(e, l, a, b) }];
  },
  forward: (io) => {
    const { e, l } = setup(io);
    const [m, n, k] = [e.rows, e.cols, e.inner].map(l.size);
    const a = operand('A', e, l, l.a, e.rows, e.inner);
    const b = operand('B', e, l, l.b, e.inner, e.cols);
    return [
      product(
        io.tiles,
        `einsum[${e.a},${e.b}->${e.out}]`,
        e,
        l,
        [m, n, k],
        a,
        b,
        l.out,
        [e.rows, e.cols],
        [input(0), input(1), output(0)],
      ),
    ];
  },
  vjp: (io) => {
    const { e, l } = setup(io);
    const [m, n, k] = [e.rows, e.cols, e.inner].map(l.size);
    const steps: Step[] = [];
    if (io.wanted[0]) {
      // dA[rows, inner] = dY[rows, cols] · B[inner, cols]ᵀ, stored in A's layout.
      const dy = operand('G', e, l, l.out, e.rows, e.cols);
      const bT = operand('B', e, l, l.b, e.cols, e.inner);
      steps.push(
        product(
          io.tiles,
          `einsum_grad_a[${e.a},${e.b}->${e.out}]`,
          e,
          l,
          [m, k, n],
          dy,
          bT,
          l.a,
          [e.rows, e.inner],
          [gradOutput(0), input(1), gradInput(0)],
        ),
      );
    }
    if (io.wanted[1]) {
      // dB[inner, cols] = A[rows, inner]ᵀ · dY[rows, cols], stored in B's layout.
      const aT = operand('A', e, l, l.a, e.inner, e.rows);
      const dy = operand('G', e, l, l.out, e.rows, e.cols);
      steps.push(
        product(
          io.tiles,
          `einsum_grad_b[${e.a},${e.b}->${e.out}]`,
          e,
          l,
          [k, n, m],
          aT,
          dy,
          l.b,
          [e.inner, e.cols],
          [input(0), gradOutput(0), gradInput(1)],
        ),
      );
    }
    return steps;
  },
});
