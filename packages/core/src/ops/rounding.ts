/**
 * Rounding to integers, one table row each: Floor, Ceil, Round (half to even, as the spec and
 * WGSL's round() both say), Sign, and Mod (inputs broadcast, numpy rules).
 * https://onnx.ai/onnx/operators/onnx__Floor.html (Ceil, Round, Sign)
 * https://onnx.ai/onnx/operators/onnx__Mod.html: fmod=0 (the default) is integer Mod, whose
 * result takes the divisor's sign (Python's %); fmod=1 is C's fmod, the dividend's sign. The
 * spec requires fmod=1 for float inputs, so fmod=0 runs only on integer tensors, which are
 * constants folded on the host.
 * VJPs: zero for the step functions; Mod's is dA = dY, dB = -q·dY with q = (A - Y) / B, the
 * truncated quotient the forward took.
 */
import { CamanimError } from '../errors.ts';
import { isFloat } from '../graph/ir.ts';
import { intAttr } from './attrs.ts';
import { zipOp, type ZipRow } from './zip-op.ts';

/** Round half to even: the spec's Round and numpy's rint. */
export function roundHalfEven(x: number): number {
  return Math.abs(x % 1) === 0.5 ? 2 * Math.round(x / 2) : Math.round(x);
}

/** Integer Mod: the remainder takes the divisor's sign. */
function floorMod(a: number, b: number): number {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
}

// fmod by binary long division: subtract |b|·2^e from the top exponent down. Each step is
// exact (Sterbenz: the remainder lies in [s, 2s) when s is taken), so the result is the exact
// remainder, as C's fmod; a - b·trunc(a / b) in float32 is off by up to |a|·2^-24.
const FMOD_WGSL = `fn fmod_f(a: f32, b: f32) -> f32 {
  let d = abs(b);
  var r = abs(a);
  if (!(d > 0.0) || !(r <= 3.4028234663852886e38)) { var nan_bits = 0x7fc00000u; return bitcast<f32>(nan_bits); }
  for (var e = frexp(r).exp - frexp(d).exp; e >= 0; e--) {
    let s = ldexp(d, e);
    if (r >= s) { r -= s; }
  }
  return select(r, -r, a < 0.0);
}`;

const stepRow = (type: string, wgsl: string, host: (x: number) => number): ZipRow => ({
  type,
  vars: ['x'],
  wgsl: () => wgsl,
  host: ([x]) => host(x),
  grad: 'zero',
});

export const roundingRows: readonly ZipRow[] = [
  stepRow('Floor', 'floor(x)', Math.floor),
  stepRow('Ceil', 'ceil(x)', Math.ceil),
  stepRow('Round', 'round(x)', roundHalfEven),
  stepRow('Sign', 'sign(x)', Math.sign),
  {
    type: 'Mod',
    vars: ['a', 'b'],
    params: (node) => ({ fmod: intAttr(node, 'fmod', 0) }),
    check: ({ node, inputs }, p) => {
      const float = inputs.find((x) => isFloat(x!.dtype));
      if (!p.fmod && float) {
        throw new CamanimError(
          'bad-attribute',
          `Mod of ${float.dtype} tensors needs fmod=1 (the ONNX spec allows integer Mod, fmod=0, only on integer types)`,
          { node: node.name, op: 'Mod' },
          'Re-export the model with fmod=1 for float inputs',
        );
      }
    },
    // Run-time tensors are float (integers live on the host), so only fmod=1 reaches the GPU.
    wgsl: () => 'fmod_f(a, b)',
    host: ([a, b], p) => (p.fmod ? a % b : floorMod(a, b)),
    grad: (i) => (i === 0 ? 'g' : '-g * round((a - y) / b)'),
    header: FMOD_WGSL,
  },
];

export const roundingOps = roundingRows.map(zipOp);
