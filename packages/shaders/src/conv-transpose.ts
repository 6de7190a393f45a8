/**
 * ConvTranspose as the input gradient of a convolution. For the convolution geometry `g` whose
 * input is the transposed convolution's output Y ([n, g.cin, g.h, g.w]) and whose output is its
 * input X ([n, g.cout, g.oh, g.ow]), ConvTranspose(X, W) = Jᵀ·X where J is that convolution:
 * ONNX's ConvTranspose weights [C, Cout/group, kh, kw] are exactly the convolution's
 * [cout][cin/group][kh][kw]. So the forward is the window kernel once per stride phase (see
 * convGradInputKernels in conv.ts), here with the bias added in the store, and a GEMM for
 * pointwise geometries. Its VJPs are the convolution's forward (dX) and weight gradient (dW).
 */
import { windowKernel, type Tap } from './conv-window.ts';
import { isPointwise, phaseTap, windowTile, type ConvGeometry, type ConvKernel } from './conv.ts';
import { elementKernel, type KernelSpec } from './kernel.ts';
import { gemmKernel } from './matmul.ts';
import { cdiv, gemmTile, roundUp, u } from './matmul-tile.ts';
import type { TileProfile } from './tile-profile.ts';

/** A launch of the transposed convolution; `bo` is the bias in ONNX layout [C_out]. */
export interface ConvTransposeKernel {
  readonly kernel: KernelSpec;
  readonly pad: number;
  readonly inputs: readonly ('x' | 'wt' | 'wo' | 'b' | 'bo')[];
}

const label = (g: ConvGeometry) => `${g.kh}x${g.kw} s${g.strides.join('x')} ${g.cout}→${g.cin}${g.group > 1 ? ` g${g.group}` : ''} @${g.oh}x${g.ow}`;

/** The tap offset along one axis of output phase `phase`: defined for the kernel positions that land on it. */
const phaseOffset = (g: ConvGeometry, axis: 0 | 1, phase: number, k: number) => phaseTap(phase, g.pads[axis], g.dilations[axis], g.strides[axis], k);

/** Y = ConvTranspose(X, W) (+ bias) for the convolution geometry `g` described above. */
export function convTransposeKernels(profile: TileProfile, g: ConvGeometry, bias: boolean): ConvTransposeKernel[] {
  const [ci, co] = [g.cin / g.group, g.cout / g.group];
  if (isPointwise(g)) {
    // Yᵀ = Wᵀ·X per image and group, W read in its ONNX layout [C][Cout/group] as [co][ci].
    const grp = g.group > 1 ? `bt % ${u(g.group)}` : '0u';
    const hw = g.h * g.w;
    const kernel = gemmKernel({
      name: `conv_transpose1x1[${label(g)}]`,
      m: ci,
      n: hw,
      k: co,
      batch: g.n * g.group,
      a: { buffer: 'W', rowStride: 1, colStride: ci, batch: { index: grp, stride: co * ci } },
      b: { buffer: 'X', rowStride: hw, colStride: 1, batch: { index: 'bt', stride: co * hw } },
      out: { rowStride: hw, colStride: 1, batch: { index: 'bt', stride: ci * hw } },
      bias: bias ? { buffer: 'BIAS', along: 'rows', offset: `(${grp}) * ${u(ci)}` } : undefined,
      tile: gemmTile(profile, ci, hw, co, g.n * g.group),
      profile,
    });
    return [{ kernel, pad: 0, inputs: bias ? ['wo', 'x', 'bo'] : ['wo', 'x'] }];
  }
  const [sh, sw] = g.strides;
  const launches: ConvTransposeKernel[] = [];
  // One padded channel count for every phase, so all phases share one packed weight (and bias) constant.
  let pad = 0;
  const phases: { ph: number; pw: number; taps: Tap[] }[] = [];
  for (let ph = 0; ph < Math.min(sh, g.h); ph++) {
    for (let pw = 0; pw < Math.min(sw, g.w); pw++) {
      const taps: Tap[] = [];
      for (let kh = 0; kh < g.kh; kh++) {
        for (let kw = 0; kw < g.kw; kw++) {
          const [dy, dx] = [phaseOffset(g, 0, ph, kh), phaseOffset(g, 1, pw, kw)];
          if (dy !== undefined && dx !== undefined) taps.push({ dy, dx, index: kh * g.kw + kw });
        }
      }
      phases.push({ ph, pw, taps });
    }
  }
  const base = (ph: number, pw: number, taps: Tap[]) => ({
    batch: g.n, groups: g.group, cr: co, co: ci, inH: g.oh, inW: g.ow, outH: g.h, outW: g.w,
    grid: [cdiv(g.h - ph, sh), cdiv(g.w - pw, sw)] as const, oOff: [ph, pw] as const, oStride: [sh, sw] as const,
    iOff: [0, 0] as const, iStride: [1, 1] as const, taps, ntaps: g.kh * g.kw, bias, profile,
  });
  const tiles = phases.map(({ ph, pw, taps }) => (taps.length ? windowTile(base(ph, pw, taps)) : undefined));
  // The largest channel tile any phase picked; smaller ones divide it (1, 4, 8, 16).
  for (const t of tiles) if (t) pad = Math.max(pad, roundUp(ci, t.c));
  phases.forEach(({ ph, pw, taps }, k) => {
    const tile = tiles[k];
    if (!tile) {
      launches.push({ kernel: phaseFillKernel(g, ph, pw, bias), pad, inputs: bias ? ['bo'] : [] });
      return;
    }
    const kernel = windowKernel({ ...base(ph, pw, taps), name: `conv_transpose[${label(g)} phase ${ph},${pw}] tile ${tile.h}x${tile.w}x${tile.c}`, tile, coPad: pad });
    launches.push({ kernel, pad, inputs: bias ? ['x', 'wt', 'b'] : ['x', 'wt'] });
  });
  return launches;
}

/** A stride phase that no tap reaches (stride past the dilated kernel): the bias, or zeros. */
function phaseFillKernel(g: ConvGeometry, ph: number, pw: number, bias: boolean): KernelSpec {
  const [gh, gw] = [cdiv(g.h - ph, g.strides[0]), cdiv(g.w - pw, g.strides[1])];
  return elementKernel({
    name: `conv_transpose_fill[${label(g)} phase ${ph},${pw}]`,
    inputs: bias ? [{ name: 'BIAS' }] : [],
    outputs: [{ name: 'Y' }],
    total: g.n * g.cin * gh * gw,
    body: `  let x = i % ${u(gw)};
  let y = (i / ${u(gw)}) % ${u(gh)};
  let nc = i / ${u(gw * gh)};
  Y[(nc * ${u(g.h)} + ${u(ph)} + y * ${u(g.strides[0])}) * ${u(g.w)} + ${u(pw)} + x * ${u(g.strides[1])}] = ${bias ? `BIAS[nc % ${u(g.cin)}]` : '0.0'};`,
  });
}
