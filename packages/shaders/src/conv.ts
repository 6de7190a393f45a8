/**
 * 2-D convolution as register-tiled kernels: 1×1 stride-1 unpadded convolutions are GEMMs
 * over contiguous pixel planes; every other one runs the window kernel (conv-window.ts);
 * depthwise ones use it with one channel per invocation. Weights are constants, re-laid out
 * on the host once per model into [group][reduction channel][tap][output channel] padded to
 * whole vec4s. The input gradient is the window kernel over the gradient, once per stride
 * phase (a GEMM for pointwise ones); the weight gradient an im2col copy and a GEMM. A 3-D
 * convolution is the same with a depth axis (`ConvGeometry.depth`): taps over kd·kh·kw, one
 * output slice per invocation, stride phases over depth too.
 */
import { indexMapKernel } from './index-map.ts';
import type { FusedStage } from './fused.ts';
import { elementKernel, type KernelSpec } from './kernel.ts';
import { gemmKernel } from './matmul.ts';
import { cdiv, cheapestTile, gemmTile, roundUp, u, type Candidate } from './matmul-tile.ts';
import type { TileProfile } from './tile-profile.ts';
import { windowKernel, type Tap, type WindowSpec, type WindowTile } from './conv-window.ts';

export type { Tap as WindowTap, WindowDepth, WindowSpec, WindowTile } from './conv-window.ts';

/** The leading spatial axis of a 3-D convolution (T of a video [N, C, T, H, W]). */
export interface ConvDepth {
  readonly d: number;
  readonly kd: number;
  readonly od: number;
  readonly stride: number;
  readonly dilation: number;
  /** Padding before the first slice. */
  readonly pad: number;
}

export interface ConvGeometry {
  readonly n: number;
  readonly cin: number;
  readonly h: number;
  readonly w: number;
  readonly cout: number;
  readonly group: number;
  readonly kh: number;
  readonly kw: number;
  readonly strides: readonly [number, number];
  readonly dilations: readonly [number, number];
  /** Padding before the first row and column (the padding after only shapes oh, ow). */
  readonly pads: readonly [number, number];
  readonly oh: number;
  readonly ow: number;
  /** 3-D convolutions only: X is [n, cin, d, h, w] and Y [n, cout, od, oh, ow]. */
  readonly depth?: ConvDepth;
}

/** A launch with the packed-weight layout it expects (output channels padded to `pad`). */
export interface ConvKernel {
  readonly kernel: KernelSpec;
  readonly pad: number;
  /**
   * Its read-only bindings in order: `x` the input it slides over (X, or dY for dX), `w` the
   * packed weights (transposed for dX), `wo` the weights in ONNX layout, `b` the packed bias.
   */
  readonly inputs: readonly ('x' | 'w' | 'wo' | 'b')[];
}

const cinG = (g: ConvGeometry) => g.cin / g.group;
const coutG = (g: ConvGeometry) => g.cout / g.group;
const FLAT: ConvDepth = { d: 1, kd: 1, od: 1, stride: 1, dilation: 1, pad: 0 };
/** The depth axis, a single slice for 2-D geometries. */
export const depthOf = (g: ConvGeometry): ConvDepth => g.depth ?? FLAT;
/** Taps per (output, input) channel pair: kd·kh·kw. */
export const tapsOf = (g: ConvGeometry) => depthOf(g).kd * g.kh * g.kw;
/** Input and output elements per channel. */
export const volume = (g: ConvGeometry) => depthOf(g).d * g.h * g.w;
const outVolume = (g: ConvGeometry) => depthOf(g).od * g.oh * g.ow;
const label = (g: ConvGeometry) => {
  const d = g.depth;
  const [k, s, at] = d ? [`${d.kd}x`, `${d.stride}x`, `${d.d}x`] : ['', '', ''];
  return `${k}${g.kh}x${g.kw} s${s}${g.strides.join('x')} ${g.cin}→${g.cout}${g.group > 1 ? ` g${g.group}` : ''} @${at}${g.h}x${g.w}`;
};

/** The phase's tap offset along an axis (see convGradInputKernels), or undefined when tap k misses it. */
function phaseTap(phase: number, pad: number, dilation: number, stride: number, k: number): number | undefined {
  const num = phase + pad - k * dilation;
  return ((num % stride) + stride) % stride === 0 ? num / stride : undefined;
}

/**
 * Re-lays out ONNX weights [cout][cin/group][kh][kw] as [group][r][tap][pad]: forward (r = input
 * channel, padded output channels) or, `transposed`, for the input gradient (r = output
 * channel, padded input channels).
 */
export function packConvWeights(w: ArrayLike<number>, g: ConvGeometry, pad: number, transposed = false): Float32Array {
  const [ci, co, taps] = [cinG(g), coutG(g), tapsOf(g)];
  const rows = transposed ? co : ci;
  const out = new Float32Array(g.group * rows * taps * pad);
  for (let grp = 0; grp < g.group; grp++) {
    for (let o = 0; o < co; o++) {
      for (let c = 0; c < ci; c++) {
        const src = ((grp * co + o) * ci + c) * taps;
        const dst = transposed ? (grp * rows + o) * taps * pad + c : (grp * rows + c) * taps * pad + o;
        for (let t = 0; t < taps; t++) out[dst + t * pad] = w[src + t];
      }
    }
  }
  return out;
}

/** Bias [cout] as [group][pad]. */
export function packConvBias(b: ArrayLike<number>, g: ConvGeometry, pad: number): Float32Array {
  const out = new Float32Array(g.group * pad);
  for (let o = 0; o < g.cout; o++) out[Math.floor(o / coutG(g)) * pad + (o % coutG(g))] = b[o];
  return out;
}

/** Distinct input positions per axis that `count` points at `stride` with these tap offsets read. */
const span = (count: number, stride: number, offsets: readonly number[]) =>
  new Set(Array.from({ length: count }, (_, p) => offsets.map((d) => p * stride + d)).flat()).size;

/** The window tile with the least modeled cost; one channel per invocation when there are fewer than 4. */
export function windowTile(s: Omit<WindowSpec, 'tile' | 'name' | 'coPad' | 'bias'>): WindowTile {
  const ntaps = s.taps.length;
  const dys = s.taps.map((t) => t.dy);
  const dxs = s.taps.map((t) => t.dx);
  const { maxAccumulators } = s.profile;
  const channels = s.co < 4 ? [1] : [4, 8, 16];
  const candidates: Candidate<[number, number, number]>[] = [];
  for (const c of channels) {
    for (const h of [1, 2, 4, 7, 8]) {
      for (const w of [1, 2, 4, 7, 8, 14, 16]) {
        // At most the profile's accumulators, and no tile past the grid.
        if (h * w * c > maxAccumulators || (h > s.grid[0] && h > 1) || (w > s.grid[1] && w > 1)) continue;
        const loads = span(h, s.iStride[0], dys) * span(w, s.iStride[1], dxs) + ntaps * c;
        candidates.push([[h, w, c], loads, h * w * ntaps * c]);
      }
    }
  }
  const batch = s.batch * (s.depth?.grid ?? 1);
  const work = batch * s.groups * s.co * s.grid[0] * s.grid[1] * s.cr * ntaps;
  const [h, w, c] = cheapestTile(
    s.profile,
    candidates,
    ([h, w, c]) => batch * s.groups * cdiv(s.co, c) * cdiv(s.grid[0], h) * cdiv(s.grid[1], w),
    work,
  );
  return { h, w, c };
}

/** A window launch with its tile chosen (unless given) and weights padded to the tile's channels. */
function windowLaunch(name: string, base: Omit<WindowSpec, 'tile' | 'name' | 'coPad'>, given?: WindowTile): ConvKernel {
  const tile = given ?? windowTile(base);
  const pad = roundUp(base.co, tile.c);
  const kernel = windowKernel({ ...base, name: `${name} tile ${tile.h}x${tile.w}x${tile.c}`, tile, coPad: pad });
  return { kernel, pad, inputs: base.bias ? ['x', 'w', 'b'] : ['x', 'w'] };
}

/** 1×1, stride 1, no padding: a GEMM per image and group, pixels × input channels times the packed weights. */
export function isPointwise(g: ConvGeometry): boolean {
  const d = depthOf(g);
  const flatDepth = d.kd === 1 && d.stride === 1 && d.pad === 0 && d.od === d.d;
  return (
    flatDepth &&
    g.kh === 1 &&
    g.kw === 1 &&
    g.strides[0] === 1 &&
    g.strides[1] === 1 &&
    g.pads[0] === 0 &&
    g.pads[1] === 0 &&
    g.oh === g.h &&
    g.ow === g.w
  );
}

/**
 * The forward launch: Y = conv(X, W) (+ bias), with the packed weights' channel padding. `tile`
 * overrides the heuristic choice (benchmarks): [rows, cols] for a pointwise GEMM, else a window
 * tile. `fused`: element-wise stages stored after Y (fused.ts), their operands bound after the
 * kernel's `inputs`, their outputs after Y.
 */
export function convKernel(
  profile: TileProfile,
  g: ConvGeometry,
  bias: boolean,
  tile?: WindowTile | readonly [number, number],
  fused: readonly FusedStage[] = [],
): ConvKernel {
  const [ci, co, hw] = [cinG(g), coutG(g), volume(g)];
  if (isPointwise(g) && (!tile || Array.isArray(tile))) {
    // Yᵀ = Wᵀ·X per image and group: output channels are rows, pixels vec4 columns, so X
    // loads and Y stores run along the contiguous pixel planes.
    const pad = roundUp(co, 4);
    const grp = g.group > 1 ? `bt % ${u(g.group)}` : '0u';
    const kernel = gemmKernel({
      name: `conv1x1[${label(g)}]`,
      m: co,
      n: hw,
      k: ci,
      batch: g.n * g.group,
      a: { buffer: 'W', rowStride: 1, colStride: pad, batch: { index: grp, stride: ci * pad }, padded: true },
      b: { buffer: 'X', rowStride: hw, colStride: 1, batch: { index: 'bt', stride: ci * hw } },
      out: { rowStride: hw, colStride: 1, batch: { index: 'bt', stride: co * hw } },
      bias: bias ? { buffer: 'BIAS', along: 'rows', offset: `(${grp}) * ${u(pad)}` } : undefined,
      tile: Array.isArray(tile) ? (tile as [number, number]) : gemmTile(profile, co, hw, ci, g.n * g.group),
      profile,
      fused,
    });
    return { kernel, pad, inputs: bias ? ['w', 'x', 'b'] : ['w', 'x'] };
  }
  const taps: Tap[] = [];
  const dp = depthOf(g);
  for (let kd = 0; kd < dp.kd; kd++) {
    for (let kh = 0; kh < g.kh; kh++) {
      for (let kw = 0; kw < g.kw; kw++)
        taps.push({
          dy: kh * g.dilations[0],
          dx: kw * g.dilations[1],
          dz: kd * dp.dilation,
          index: (kd * g.kh + kh) * g.kw + kw,
        });
    }
  }
  const depth = g.depth && { inD: dp.d, outD: dp.od, grid: dp.od, oOff: 0, oStride: 1, iOff: -dp.pad, iStride: dp.stride };
  return windowLaunch(
    `conv[${label(g)}]`,
    {
      batch: g.n,
      groups: g.group,
      cr: ci,
      co,
      inH: g.h,
      inW: g.w,
      outH: g.oh,
      outW: g.ow,
      grid: [g.oh, g.ow],
      oOff: [0, 0],
      oStride: [1, 1],
      iOff: [-g.pads[0], -g.pads[1]],
      iStride: g.strides,
      taps,
      depth,
      ntaps: tapsOf(g),
      bias,
      fused,
      profile,
    },
    Array.isArray(tile) ? undefined : (tile as WindowTile | undefined),
  );
}

/**
 * dX = the transposed convolution of dY with W. Input pixels of one stride phase (ih ≡ ph mod
 * stride) take gradient from a fixed subset of taps: oh = (ih + pad − kh·dilation) / stride is
 * whole exactly when (ph + pad − kh·dilation) ≡ 0, and then oh = (ih − ph) / stride + that
 * quotient. So each phase is a stride-1 window launch over dY with those taps, weights packed
 * `transposed`; phases without taps store zeros.
 */
export function convGradInputKernels(profile: TileProfile, g: ConvGeometry): ConvKernel[] {
  if (isPointwise(g)) return [pointwiseGradInput(profile, g)];
  return gradPhases(g).map((p) => {
    const name = `[${label(g)} phase ${p.phase.join(',')}]`;
    // A phase without taps (three of a 1×1 stride-2 layer's four) only stores zeros: a plain
    // fill kernel, not a tiled window (ResNet-50's compiled for 0.2 s each on SwiftShader).
    if (!p.spec.taps.length) return { kernel: phaseFillKernel(`conv_grad_x_zero${name}`, g, p.phase, false), pad: 0, inputs: [] };
    return windowLaunch(`conv_grad_x${name}`, { ...p.spec, bias: false, profile });
  });
}

/** One stride phase of dX (or of a transposed convolution): the window launch over dY without its tile, name and bias. */
export interface GradPhase {
  /** The phase per axis: [ph, pw], or [pd, ph, pw] in 3-D. */
  readonly phase: readonly number[];
  readonly spec: Omit<WindowSpec, 'name' | 'tile' | 'coPad' | 'bias' | 'profile'>;
}

/**
 * The stride phases of the input gradient of `g` (see convGradInputKernels), each with the taps
 * that reach it (none when the stride passes the dilated kernel) and its output grid.
 */
export function gradPhases(g: ConvGeometry): GradPhase[] {
  const [sh, sw] = g.strides;
  const dp = depthOf(g);
  const phases: GradPhase[] = [];
  for (let pd = 0; pd < Math.min(dp.stride, dp.d); pd++) {
    for (let ph = 0; ph < Math.min(sh, g.h); ph++) {
      for (let pw = 0; pw < Math.min(sw, g.w); pw++) {
        const taps: Tap[] = [];
        for (let kd = 0; kd < dp.kd; kd++) {
          const dz = phaseTap(pd, dp.pad, dp.dilation, dp.stride, kd);
          for (let kh = 0; kh < g.kh; kh++) {
            for (let kw = 0; kw < g.kw; kw++) {
              const [dy, dx] = [phaseTap(ph, g.pads[0], g.dilations[0], sh, kh), phaseTap(pw, g.pads[1], g.dilations[1], sw, kw)];
              if (dz !== undefined && dy !== undefined && dx !== undefined)
                taps.push({ dy, dx, dz, index: (kd * g.kh + kh) * g.kw + kw });
            }
          }
        }
        const depth = g.depth && {
          inD: dp.od,
          outD: dp.d,
          grid: cdiv(dp.d - pd, dp.stride),
          oOff: pd,
          oStride: dp.stride,
          iOff: 0,
          iStride: 1,
        };
        const spec = {
          batch: g.n,
          groups: g.group,
          cr: coutG(g),
          co: cinG(g),
          inH: g.oh,
          inW: g.ow,
          outH: g.h,
          outW: g.w,
          grid: [cdiv(g.h - ph, sh), cdiv(g.w - pw, sw)] as const,
          oOff: [ph, pw] as const,
          oStride: [sh, sw] as const,
          iOff: [0, 0] as const,
          iStride: [1, 1] as const,
          taps,
          depth,
          ntaps: tapsOf(g),
        };
        phases.push({ phase: g.depth ? [pd, ph, pw] : [ph, pw], spec });
      }
    }
  }
  return phases;
}

/** dX of a pointwise convolution: dX = Wᵀ·dY per image and group, reading W in its ONNX layout. */
function pointwiseGradInput(profile: TileProfile, g: ConvGeometry): ConvKernel {
  const [ci, co, hw] = [cinG(g), coutG(g), volume(g)];
  const kernel = gemmKernel({
    name: `conv1x1_grad_x[${label(g)}]`,
    m: ci,
    n: hw,
    k: co,
    batch: g.n * g.group,
    a: { buffer: 'W', rowStride: 1, colStride: ci, batch: { index: g.group > 1 ? `bt % ${u(g.group)}` : '0u', stride: co * ci } },
    b: { buffer: 'G', rowStride: hw, colStride: 1, batch: { index: 'bt', stride: co * hw } },
    out: { rowStride: hw, colStride: 1, batch: { index: 'bt', stride: ci * hw } },
    tile: gemmTile(profile, ci, hw, co, g.n * g.group),
    profile,
  });
  return { kernel, pad: 0, inputs: ['wo', 'x'] };
}

/** Packs non-constant weights on the GPU into the layout of `packConvWeights`. */
export function packWeightsKernel(g: ConvGeometry, pad: number, transposed = false): KernelSpec {
  const [ci, co, taps] = [cinG(g), coutG(g), tapsOf(g)];
  const [o, c] = transposed ? ['c1', 'c3'] : ['c3', 'c1'];
  return indexMapKernel(
    `conv_pack_w[${label(g)}${transposed ? ' T' : ''}]`,
    [g.group, transposed ? co : ci, taps, pad],
    `  let inside = c3 < ${u(transposed ? ci : co)};
  let src = ((c0 * ${u(co)} + min(${o}, ${u(co - 1)})) * ${u(ci)} + min(${c}, ${u(ci - 1)})) * ${u(taps)} + c2;`,
    { guarded: true },
  );
}

/** Packs a non-constant bias on the GPU into the layout of `packConvBias`. */
export function packBiasKernel(g: ConvGeometry, pad: number): KernelSpec {
  return indexMapKernel(
    `conv_pack_b[${label(g)}]`,
    [g.group, pad],
    `  let inside = c1 < ${u(coutG(g))};
  let src = c0 * ${u(coutG(g))} + min(c1, ${u(coutG(g) - 1)});`,
    { guarded: true },
  );
}

/**
 * dW: `im2col` copies X into `cols` elements of scratch, `dyT` (with several images) copies dY
 * so each group's gradient is one [cout/group, images·pixels] matrix, and `gemm` multiplies them.
 */
export function convGradWeightKernels(
  profile: TileProfile,
  g: ConvGeometry,
): { cols: number; im2col: KernelSpec; dyT?: { kernel: KernelSpec; elements: number }; gemm: KernelSpec } {
  const [ci, co, taps, ohw] = [cinG(g), coutG(g), tapsOf(g), outVolume(g)];
  const k = g.n * ohw;
  const cols = g.group * ci * taps * k;
  const dp = depthOf(g);
  const plane = g.oh * g.ow;
  // 3-D: the tap's slice kd and the output point's slice od give the input slice id.
  const depth = g.depth
    ? `
  let kd = (c1 % ${u(taps)}) / ${u(g.kh * g.kw)};
  let id = i32((c2 % ${u(ohw)}) / ${u(plane)} * ${u(dp.stride)} + kd * ${u(dp.dilation)}) - ${dp.pad};`
    : '';
  const [inside, slice] = g.depth ? [` && id >= 0 && id < ${dp.d}`, ` * ${u(dp.d)} + u32(clamp(id, 0, ${dp.d - 1}))`] : ['', ''];
  // cols[grp][c·taps + t][n·ohw + p]: the input under tap t of output point p, zero in the padding.
  const im2col = indexMapKernel(
    `conv_im2col[${label(g)}]`,
    [g.group, ci * taps, k],
    `  let c = c1 / ${u(taps)};${depth}
  let kh = (c1 % ${u(g.kh * g.kw)}) / ${u(g.kw)};
  let kw = c1 % ${u(g.kw)};
  let b = c2 / ${u(ohw)};
  let ih = i32((c2 % ${u(plane)}) / ${u(g.ow)} * ${u(g.strides[0])} + kh * ${u(g.dilations[0])}) - ${g.pads[0]};
  let iw = i32((c2 % ${u(g.ow)}) * ${u(g.strides[1])} + kw * ${u(g.dilations[1])}) - ${g.pads[1]};
  let inside = ih >= 0 && ih < ${g.h} && iw >= 0 && iw < ${g.w}${inside};
  let src = (((b * ${u(g.cin)} + c0 * ${u(ci)} + c)${slice}) * ${u(g.h)} + u32(clamp(ih, 0, ${g.h - 1}))) * ${u(g.w)} + u32(clamp(iw, 0, ${g.w - 1}));`,
    { guarded: true },
  );
  // dY as [grp][o][n·ohw]: a view when there is one image, a copy otherwise.
  const dyT =
    g.n > 1
      ? {
          kernel: indexMapKernel(
            `conv_grad_dy_t[${label(g)}]`,
            [g.group, co, k],
            `  let src = ((c2 / ${u(ohw)}) * ${u(g.cout)} + c0 * ${u(co)} + c1) * ${u(ohw)} + c2 % ${u(ohw)};`,
          ),
          elements: g.n * g.cout * ohw,
        }
      : undefined;
  const gemm = gemmKernel({
    name: `conv_grad_w[${label(g)}]`,
    m: co,
    n: ci * taps,
    k,
    batch: g.group,
    a: { buffer: 'G', rowStride: k, colStride: 1, batch: { index: 'bt', stride: co * k } },
    b: { buffer: 'COLS', rowStride: 1, colStride: k, batch: { index: 'bt', stride: ci * taps * k } },
    out: { rowStride: ci * taps, colStride: 1, batch: { index: 'bt', stride: co * ci * taps } },
    tile: gemmTile(profile, co, ci * taps, k, g.group),
    profile,
  });
  return { cols, im2col, dyT, gemm };
}

/**
 * A stride phase of dX (or of a transposed convolution's Y, [n, g.cin, d, h, w]) that no tap
 * reaches, the stride past the dilated kernel: zeros, or the bias (ONNX layout, `BIAS`).
 */
export function phaseFillKernel(name: string, g: ConvGeometry, phase: readonly number[], bias: boolean): KernelSpec {
  const dp = depthOf(g);
  const [pd, ph, pw] = phase.length === 3 ? phase : [0, ...phase];
  const [gd, gh, gw] = [cdiv(dp.d - pd, dp.stride), cdiv(g.h - ph, g.strides[0]), cdiv(g.w - pw, g.strides[1])];
  return elementKernel({
    name,
    inputs: bias ? [{ name: 'BIAS' }] : [],
    outputs: [{ name: 'Y' }],
    total: g.n * g.cin * gd * gh * gw,
    body: `  let x = i % ${u(gw)};
  let y = (i / ${u(gw)}) % ${u(gh)};
  let z = (i / ${u(gw * gh)}) % ${u(gd)};
  let nc = i / ${u(gw * gh * gd)};
  Y[((nc * ${u(dp.d)} + ${u(pd)} + z * ${u(dp.stride)}) * ${u(g.h)} + ${u(ph)} + y * ${u(g.strides[0])}) * ${u(g.w)} + ${u(pw)} + x * ${u(g.strides[1])}] = ${bias ? `BIAS[nc % ${u(g.cin)}]` : '0.0'};`,
  });
}
