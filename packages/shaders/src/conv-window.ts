/**
 * The window kernel: direct 2-D convolution with register tiling. An invocation computes a
 * TH × TW block of output points for TC output channels; per reduction channel it loads each
 * distinct input position of the block's windows once (a 3×3 window over a 4×8 block needs
 * 6×10 loads instead of 9×32) and each tap's TC weights as vec4, then does every product from
 * registers. Convolution forwards (stride, dilation, padding, groups, depthwise) and the
 * input gradient (one launch per stride phase, see conv.ts) are this kernel with different
 * taps, offsets and strides. A 3-D convolution adds a depth axis (`WindowSpec.depth`): each
 * invocation computes one output depth slice and, per reduction channel, runs the 2-D taps of
 * each depth offset over that input slice (skipped where the slice is padding).
 */
import { fusedBindings, fusedName, fusedStore, type FusedStage } from './fused.ts';
import { buildKernel, type KernelSpec } from './kernel.ts';
import { cdiv, declareAcc, fma, LANE, splitIndex, tileLaunch, u } from './matmul-tile.ts';
import type { TileProfile } from './tile-profile.ts';

export interface Tap {
  /** Input offset of the tap from the point's window origin, rows and columns (may be negative). */
  readonly dy: number;
  readonly dx: number;
  /** Input depth offset from the window origin (3-D only; 0 when absent). */
  readonly dz?: number;
  /** The tap's position in the packed weight layout. */
  readonly index: number;
}

export interface WindowTile {
  /** Output points per invocation, rows × columns. */
  readonly h: number;
  readonly w: number;
  /** Output channels per invocation: 1 (scalar) or a multiple of 4 (vec4 accumulators). */
  readonly c: number;
}

/**
 * The depth axis of a 3-D window launch: X is [batch, groups·cr, inD, inH, inW], Y [batch,
 * groups·co, outD, outH, outW]; depth point z is stored at oOff + oStride·z and reads input
 * depth iStride·z + iOff + tap.dz (the rows' and columns' conventions below).
 */
export interface WindowDepth {
  readonly inD: number;
  readonly outD: number;
  readonly grid: number;
  readonly oOff: number;
  readonly oStride: number;
  readonly iOff: number;
  readonly iStride: number;
}

export interface WindowSpec {
  readonly name: string;
  readonly batch: number;
  readonly groups: number;
  /** Reduction channels and output channels per group. */
  readonly cr: number;
  readonly co: number;
  /** The sliding input X is [batch, groups·cr, inH, inW]; the output Y [batch, groups·co, outH, outW]. */
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
  /**
   * Grid of points this launch computes. Point (gy, gx) is stored at row oOff[0] + oStride[0]·gy
   * (columns alike) and its window origin is input row iStride[0]·gy + iOff[0].
   */
  readonly grid: readonly [number, number];
  readonly oOff: readonly [number, number];
  readonly oStride: readonly [number, number];
  readonly iOff: readonly [number, number];
  readonly iStride: readonly [number, number];
  /** At least one (a stride phase no tap reaches is a fill kernel, conv.ts' phaseFillKernel). */
  readonly taps: readonly Tap[];
  /** 3-D launches only. */
  readonly depth?: WindowDepth;
  /**
   * Packed weights W[g][c][tap][coPad] with `ntaps` taps per channel and output channels padded
   * with zeros to `coPad`, a multiple of tile.c; the bias, when present, is B[g][coPad].
   */
  readonly ntaps: number;
  readonly coPad: number;
  readonly bias: boolean;
  /** Element-wise stages after the store (fused.ts): their operands follow B, their outputs follow Y. */
  readonly fused?: readonly FusedStage[];
  readonly tile: WindowTile;
  /** The adapter's tile profile (its workgroup size). */
  readonly profile: TileProfile;
}

/** Distinct input offsets along one axis, and whether any can fall outside the input. */
function axisOffsets(spec: WindowSpec, axis: 0 | 1, count: number, taps: readonly number[]): { offs: number[]; masked: boolean } {
  const offs = [...new Set(Array.from({ length: count }, (_, p) => taps.map((d) => p * spec.iStride[axis] + d)).flat())].sort(
    (a, b) => a - b,
  );
  const size = axis === 0 ? spec.inH : spec.inW;
  const lo = spec.iOff[axis] + Math.min(...taps);
  const hi = (spec.grid[axis] - 1) * spec.iStride[axis] + spec.iOff[axis] + Math.max(...taps);
  return { offs, masked: lo < 0 || hi > size - 1 };
}

/**
 * Per-invocation offsets of each distinct input row (`ro{i}`, times inW) and column (`cl{i}`),
 * clamped into the input, with validity flags (`rv{i}`, `cv{i}`) where padding can be read.
 */
function offsetSetup(spec: WindowSpec, axis: 0 | 1, offs: readonly number[], masked: boolean, g0: string): string {
  const [p, v, size, scale] = axis === 0 ? ['ro', 'rv', spec.inH, spec.inW] : ['cl', 'cv', spec.inW, 1];
  const mul = scale === 1 ? '' : ` * ${u(scale)}`;
  return offs
    .map((o, i) => {
      const at = `i32(${g0} * ${u(spec.iStride[axis])}) + ${spec.iOff[axis] + o}`;
      if (!masked) return `  let ${p}${i} = min(u32(${at}), ${u(size - 1)})${mul};`;
      return `  let ${p}a${i} = ${at};\n  let ${v}${i} = ${p}a${i} >= 0 && ${p}a${i} < ${size};\n  let ${p}${i} = u32(clamp(${p}a${i}, 0, ${size - 1}))${mul};`;
    })
    .join('\n');
}

/** The reduction over one channel `c`: lazy input loads, per tap row the weights and the updates. */
function channelBody(
  spec: WindowSpec,
  taps: readonly Tap[],
  rows: ReturnType<typeof axisOffsets>,
  cols: ReturnType<typeof axisOffsets>,
  xb: string,
): string {
  const { h: TH, w: TW, c: TC } = spec.tile;
  const vec = TC % 4 === 0;
  const groups = vec ? TC / 4 : 1;
  const wStep = vec ? spec.coPad / 4 : spec.coPad;
  const lines: string[] = [];
  const loaded = new Set<string>();
  const input = (oy: number, ox: number) => {
    const [ri, ci] = [rows.offs.indexOf(oy), cols.offs.indexOf(ox)];
    const name = `x${ri}_${ci}`;
    if (!loaded.has(name)) {
      loaded.add(name);
      const load = `X[${xb} + ro${ri} + cl${ci}]`;
      const valid = [rows.masked ? `rv${ri}` : '', cols.masked ? `cv${ci}` : ''].filter(Boolean).join(' && ');
      lines.push(`    let ${name} = ${valid ? `select(0.0, ${load}, ${valid})` : load};`);
    }
    return name;
  };
  const byRow = new Map<number, Tap[]>();
  for (const t of taps) byRow.set(t.dy, [...(byRow.get(t.dy) ?? []), t]);
  for (const row of byRow.values()) {
    for (const t of row) {
      for (let j = 0; j < groups; j++) lines.push(`    let w${t.index}_${j} = W[wb + ${u(t.index * wStep + j)}];`);
    }
    for (let y = 0; y < TH; y++) {
      for (let x = 0; x < TW; x++) {
        const xs = row.map((t) => input(y * spec.iStride[0] + t.dy, x * spec.iStride[1] + t.dx));
        for (let j = 0; j < groups; j++)
          lines.push(
            fma(
              `acc${y * TW + x}_${j}`,
              row.map((t, k) => [xs[k], `w${t.index}_${j}`] as const),
            ),
          );
      }
    }
  }
  return lines.join('\n');
}

/**
 * Stores the tile, guarding partial tiles per point or per channel rather than per element
 * (SwiftShader compiles code with hundreds of small branches slowly).
 */
function store(spec: WindowSpec): string {
  const { h: TH, w: TW, c: TC } = spec.tile;
  const vec = TC % 4 === 0;
  const plane = spec.outH * spec.outW;
  const d = spec.depth;
  const vol = plane * (d?.outD ?? 1);
  const slice = d ? ` + (${u(d.oOff)} + z * ${u(d.oStride)}) * ${u(plane)}` : '';
  const lines = [`  let yb = (n * ${u(spec.groups * spec.co)} + g * ${u(spec.co)} + o0) * ${u(vol)}${slice};`];
  if (spec.bias)
    for (let j = 0; j < (vec ? TC / 4 : 1); j++)
      lines.push(`  let bias${j} = B[g * ${u(vec ? spec.coPad / 4 : spec.coPad)} + o0${vec ? ' / 4u' : ''} + ${u(j)}];`);
  const points: [number, number][] = [];
  for (let y = 0; y < TH; y++) {
    for (let x = 0; x < TW; x++) {
      points.push([y, x]);
      const oy = `${u(spec.oOff[0])} + (gy0 + ${u(y)}) * ${u(spec.oStride[0])}`;
      const ox = `${u(spec.oOff[1])} + (gx0 + ${u(x)}) * ${u(spec.oStride[1])}`;
      lines.push(`  let p${y}_${x} = (${oy}) * ${u(spec.outW)} + ${ox};`);
    }
  }
  const st = ([y, x]: [number, number], o: number) => {
    const acc = `acc${y * TW + x}_${vec ? o >> 2 : 0}`;
    const v = spec.bias ? `(${acc} + bias${vec ? o >> 2 : 0})` : acc;
    return fusedStore(spec.fused ?? [], `yb + ${u(o * vol)} + p${y}_${x}`, `${v}${vec ? `.${LANE[o & 3]}` : ''}`, false);
  };
  const inGrid = ([y, x]: [number, number]) =>
    [spec.grid[0] % TH ? `gy0 + ${u(y)} < ${u(spec.grid[0])}` : '', spec.grid[1] % TW ? `gx0 + ${u(x)} < ${u(spec.grid[1])}` : '']
      .filter(Boolean)
      .join(' && ');
  const channels = Array.from({ length: TC }, (_, o) => o);
  if (spec.co % TC) {
    // Channels past co (padding of the last channel tile) are skipped as a block each.
    for (const o of channels) {
      const body = points.map((p) => `    ${inGrid(p) ? `if (${inGrid(p)}) { ${st(p, o)} }` : st(p, o)}`).join('\n');
      lines.push(`  if (o0 + ${u(o)} < ${u(spec.co)}) {\n${body}\n  }`);
    }
  } else {
    for (const p of points) {
      const body = channels.map((o) => `    ${st(p, o)}`).join('\n');
      lines.push(inGrid(p) ? `  if (${inGrid(p)}) {\n${body}\n  }` : body);
    }
  }
  return lines.join('\n');
}

/**
 * The taps by depth offset, each with the input-slice offset it reads (`zo{k}`, times inH·inW)
 * and, where the slice can be padding, its validity `zv{k}`. A 2-D launch is one group at 0.
 */
function depthGroups(spec: WindowSpec): { setup: string; groups: { taps: Tap[]; base: string; guard?: string }[] } {
  const d = spec.depth;
  if (!d) return { setup: '', groups: [{ taps: [...spec.taps], base: 'xb' }] };
  const byDepth = new Map<number, Tap[]>();
  for (const t of spec.taps) byDepth.set(t.dz ?? 0, [...(byDepth.get(t.dz ?? 0) ?? []), t]);
  const dzs = [...byDepth.keys()];
  const masked = d.iOff + Math.min(...dzs) < 0 || (d.grid - 1) * d.iStride + d.iOff + Math.max(...dzs) > d.inD - 1;
  const plane = u(spec.inH * spec.inW);
  const setup = dzs.map((dz, k) => {
    const at = `i32(z * ${u(d.iStride)}) + ${d.iOff + dz}`;
    if (!masked) return `  let zo${k} = u32(${at}) * ${plane};`;
    return `  let za${k} = ${at};\n  let zv${k} = za${k} >= 0 && za${k} < ${d.inD};\n  let zo${k} = u32(clamp(za${k}, 0, ${d.inD - 1})) * ${plane};`;
  });
  return {
    setup: setup.join('\n'),
    groups: dzs.map((dz, k) => ({ taps: byDepth.get(dz)!, base: `xb + zo${k}`, guard: masked ? `zv${k}` : undefined })),
  };
}

export function windowKernel(spec: WindowSpec): KernelSpec {
  const { h: TH, w: TW, c: TC } = spec.tile;
  if (TC !== 1 && TC % 4) throw new Error(`window tile channels must be 1 or a multiple of 4, got ${TC}`);
  const vec = TC % 4 === 0;
  const [ct, yt, xt] = [cdiv(spec.co, TC), cdiv(spec.grid[0], TH), cdiv(spec.grid[1], TW)];
  const zt = spec.depth?.grid ?? 1;
  const launch = tileLaunch(spec.profile, ct * xt * yt * zt * spec.groups * spec.batch);
  const plane = spec.inH * spec.inW * (spec.depth?.inD ?? 1);
  const rows = axisOffsets(
    spec,
    0,
    TH,
    spec.taps.map((t) => t.dy),
  );
  const cols = axisOffsets(
    spec,
    1,
    TW,
    spec.taps.map((t) => t.dx),
  );
  const wPerChannel = (spec.ntaps * spec.coPad) / (vec ? 4 : 1);
  const body = [
    launch.prelude,
    splitIndex('t', [
      ['ot', ct],
      ['xt', xt],
      ['yt', yt],
      ...(spec.depth ? [['z', zt] as const] : []),
      ['g', spec.groups],
      ['n', spec.batch],
    ]),
    `  let o0 = ot * ${u(TC)};`,
    `  let gy0 = yt * ${u(TH)};`,
    `  let gx0 = xt * ${u(TW)};`,
    declareAcc(TH * TW, vec ? TC / 4 : 1, vec ? 4 : 1),
  ];
  const depth = depthGroups(spec);
  // One group (2-D) reads in place; depth groups are blocks, so their lazy loads do not clash.
  const channel = depth.groups.map(({ taps, base, guard }) => {
    const code = channelBody(spec, taps, rows, cols, base);
    return spec.depth ? `    ${guard ? `if (${guard}) ` : ''}{\n${code}\n    }` : code;
  });
  body.push(
    offsetSetup(spec, 0, rows.offs, rows.masked, 'gy0'),
    offsetSetup(spec, 1, cols.offs, cols.masked, 'gx0'),
    ...(depth.setup ? [depth.setup] : []),
    `  let xbase = (n * ${u(spec.groups * spec.cr)} + g * ${u(spec.cr)}) * ${u(plane)};`,
    `  let wbase = g * ${u(spec.cr * wPerChannel)} + o0${vec ? ' / 4u' : ''};`,
    `  for (var c = 0u; c < ${u(spec.cr)}; c++) {`,
    `    let xb = xbase + c * ${u(plane)};`,
    `    let wb = wbase + c * ${u(wPerChannel)};`,
    ...channel,
    '  }',
    store(spec),
  );
  const type = vec ? 'vec4<f32>' : 'f32';
  const fused = fusedBindings(spec.fused ?? [], 'f32');
  return buildKernel({
    name: `${spec.name}${fusedName(spec.fused ?? [])}`,
    inputs: [{ name: 'X' }, { name: 'W', type }, ...(spec.bias ? [{ name: 'B', type }] : []), ...fused.inputs],
    outputs: [{ name: 'Y' }, ...fused.outputs],
    workgroupSize: launch.workgroupSize,
    dispatch: launch.dispatch,
    body: body.join('\n'),
  });
}
