/**
 * ConvTranspose as the input gradient of a convolution. For the convolution geometry `g` whose
 * input is the transposed convolution's output Y ([n, g.cin, g.h, g.w]) and whose output is its
 * input X ([n, g.cout, g.oh, g.ow]), ConvTranspose(X, W) = Jᵀ·X where J is that convolution:
 * ONNX's ConvTranspose weights [C, Cout/group, kh, kw] are exactly the convolution's
 * [cout][cin/group][kh][kw]. So the forward is the window kernel once per stride phase (see
 * convGradInputKernels in conv.ts), here with the bias added in the store, and a GEMM for
 * pointwise geometries. Its VJPs are the convolution's forward (dX) and weight gradient (dW).
 */
import { windowKernel } from './conv-window.ts';
import { gradPhases, isPointwise, phaseFillKernel, volume, windowTile, type ConvGeometry } from './conv.ts';
import type { KernelSpec } from './kernel.ts';
import { gemmKernel } from './matmul.ts';
import { gemmTile, roundUp, u } from './matmul-tile.ts';
import type { TileProfile } from './tile-profile.ts';

/** A launch of the transposed convolution; `bo` is the bias in ONNX layout [C_out]. */
export interface ConvTransposeKernel {
  readonly kernel: KernelSpec;
  readonly pad: number;
  readonly inputs: readonly ('x' | 'wt' | 'wo' | 'b' | 'bo')[];
}

const label = (g: ConvGeometry) =>
  `${g.depth ? `${g.depth.kd}x` : ''}${g.kh}x${g.kw} s${g.strides.join('x')} ${g.cout}→${g.cin}${g.group > 1 ? ` g${g.group}` : ''} @${g.depth ? `${g.depth.od}x` : ''}${g.oh}x${g.ow}`;

/** Y = ConvTranspose(X, W) (+ bias) for the convolution geometry `g` described above. */
export function convTransposeKernels(profile: TileProfile, g: ConvGeometry, bias: boolean): ConvTransposeKernel[] {
  const [ci, co] = [g.cin / g.group, g.cout / g.group];
  if (isPointwise(g)) {
    // Yᵀ = Wᵀ·X per image and group, W read in its ONNX layout [C][Cout/group] as [co][ci].
    const grp = g.group > 1 ? `bt % ${u(g.group)}` : '0u';
    const hw = volume(g);
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
  const launches: ConvTransposeKernel[] = [];
  const phases = gradPhases(g);
  const tiles = phases.map((p) => (p.spec.taps.length ? windowTile({ ...p.spec, profile }) : undefined));
  // One padded channel count for every phase, so all phases share one packed weight (and bias)
  // constant: the largest channel tile any phase picked; smaller ones divide it (1, 4, 8, 16).
  let pad = 0;
  for (const t of tiles) if (t) pad = Math.max(pad, roundUp(ci, t.c));
  phases.forEach((p, k) => {
    const tile = tiles[k];
    if (!tile) {
      launches.push({
        kernel: phaseFillKernel(`conv_transpose_fill[${label(g)} phase ${p.phase.join(',')}]`, g, p.phase, bias),
        pad,
        inputs: bias ? ['bo'] : [],
      });
      return;
    }
    const kernel = windowKernel({
      ...p.spec,
      bias,
      profile,
      name: `conv_transpose[${label(g)} phase ${p.phase.join(',')}] tile ${tile.h}x${tile.w}x${tile.c}`,
      tile,
      coPad: pad,
    });
    launches.push({ kernel, pad, inputs: bias ? ['x', 'wt', 'b'] : ['x', 'wt'] });
  });
  return launches;
}
