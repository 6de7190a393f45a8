/**
 * The GEMM family: Y[bt] = epilogue(A[bt] · B[bt]) for a batch of M×K by K×N products, each
 * operand given by strides (so transposes, NCHW pixel planes and broadcast batches are all
 * views, never copies) or by a WGSL loader function (im2col views for convolution weight
 * gradients). Every invocation owns a TM × TN register tile; operands whose contiguous dim
 * allows it are read as vec4, the rest as scalars. Gemm, MatMul, 1×1 convolutions and the
 * VJPs of all three are this one kernel with different views.
 */
import { fusedBindings, fusedName, fusedStore, type FusedStage } from './fused.ts';
import { buildKernel, type KernelSpec } from './kernel.ts';
import { cdiv, declareAcc, fma, LANE, splitIndex, tileLaunch, u } from './matmul-tile.ts';
import type { TileProfile } from './tile-profile.ts';

/** Where the batch index `bt` of the launch puts an operand: `index` (WGSL over `bt`) × `stride` elements. */
export interface BatchView {
  readonly index: string;
  readonly stride: number;
}

export type GemmOperand =
  | {
      readonly buffer: string;
      readonly rowStride: number;
      readonly colStride: number;
      readonly batch?: BatchView;
      /** The non-reduced axis is allocated (zero-filled) up to a multiple of 4: re-laid-out weights. */
      readonly padded?: boolean;
    }
  /** `fn <load>(bt: u32, row: u32, col: u32) -> f32` defined in the spec's header, reading `buffer`. */
  | { readonly buffer: string; readonly load: string };

export interface GemmSpec {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly batch?: number;
  /** Logical [M, K]. */
  readonly a: GemmOperand;
  /** Logical [K, N]. */
  readonly b: GemmOperand;
  /** Where Y[bt][m][n] goes in the output binding `Y`. */
  readonly out: { readonly rowStride: number; readonly colStride: number; readonly batch?: BatchView };
  /**
   * A vector added to every row (`cols`: one value per column) or column (`rows`), read from the
   * binding `buffer` (after A's and B's) at `offset` (WGSL over `bt`) once per tile.
   */
  readonly bias?: { readonly buffer: string; readonly along: 'rows' | 'cols'; readonly offset?: string };
  /** Further read-only f32 bindings (such as C) after the others, for the epilogue. */
  readonly extras?: readonly string[];
  /** The stored value from the accumulated `v` at row `m`, column `n` (WGSL u32 expressions; `bt` in scope); the bias is added after it. */
  readonly epilogue?: (v: string, m: string, n: string) => string;
  readonly header?: string;
  /** Element-wise stages after the store (fused.ts): their operands follow the other inputs, their outputs follow Y. */
  readonly fused?: readonly FusedStage[];
  /** Rows × columns per invocation; columns a multiple of 4. */
  readonly tile: readonly [number, number];
  /** The adapter's tile profile (its workgroup size). */
  readonly profile: TileProfile;
}

/** How an operand's 4 values per k-step are read: vec4 along k, vec4 along the tile axis, scalars, a loader. */
type Mode = 'k' | 't' | 's' | 'f';

interface View {
  readonly prefix: string;
  readonly mode: Mode;
  readonly buffer: string;
  /** Extent and tile of the non-reduced axis (M for A, N for B). */
  readonly extent: number;
  readonly tile: number;
  readonly tileStride: number;
  readonly kStride: number;
  readonly offset: string;
  /** Last index a vec4 load along the tile axis may use. */
  readonly lastVec: number;
  readonly load?: string;
  readonly isA: boolean;
}

function view(op: GemmOperand, isA: boolean, extent: number, tile: number, k: number): View {
  const prefix = isA ? 'a' : 'b';
  if ('load' in op)
    return {
      prefix,
      mode: 'f',
      buffer: op.buffer,
      extent,
      tile,
      tileStride: 0,
      kStride: 0,
      offset: '0u',
      lastVec: 0,
      load: op.load,
      isA,
    };
  const [tileStride, kStride] = isA ? [op.rowStride, op.colStride] : [op.colStride, op.rowStride];
  const bs = op.batch?.stride ?? 0;
  const offset = op.batch ? `(${op.batch.index}) * ${u(bs)}` : '0u';
  const aligned = (s: number) => s % 4 === 0 && bs % 4 === 0;
  const mode: Mode =
    tileStride === 1 && aligned(kStride) && (extent % 4 === 0 || op.padded) && tile % 4 === 0
      ? 't'
      : kStride === 1 && aligned(tileStride) && k % 4 === 0
        ? 'k'
        : 's';
  return { prefix, mode, buffer: op.buffer, extent, tile, tileStride, kStride, offset, lastVec: cdiv(extent, 4) - 1, isA };
}

const vectorized = (v: View) => v.mode === 'k' || v.mode === 't';

/** Per-tile setup outside the k loop: clamped coordinates and base offsets. */
function setup(v: View, t0: string): string {
  const p = v.prefix;
  const lines = [`  let ${p}off = ${v.offset};`];
  if (v.mode === 't') {
    for (let i = 0; i < v.tile / 4; i++)
      lines.push(`  let ${p}b${i} = ${p}off / 4u + min(${t0} / 4u + ${u(i)}, ${u(v.lastVec)});`);
    return lines.join('\n');
  }
  for (let i = 0; i < v.tile; i++) {
    const coord = `min(${t0} + ${u(i)}, ${u(v.extent - 1)})`;
    if (v.mode === 'f') lines.push(`  let ${p}i${i} = ${coord};`);
    else if (v.mode === 'k') lines.push(`  let ${p}b${i} = (${p}off + ${coord} * ${u(v.tileStride)}) / 4u;`);
    else lines.push(`  let ${p}b${i} = ${p}off + ${coord} * ${u(v.tileStride)};`);
  }
  return lines.join('\n');
}

/** Loads of one k-step of `count` values at `k`, and the expression of value (i, kk). */
function step(v: View, k: string, count: number): { loads: string[]; at: (i: number, kk: number) => string } {
  const p = v.prefix;
  const B = v.buffer;
  const loads: string[] = [];
  const kAt = (kk: number) => (kk ? `${k} + ${u(kk)}` : k);
  switch (v.mode) {
    case 'k':
      for (let i = 0; i < v.tile; i++) loads.push(`    let ${p}${i} = ${B}[${p}b${i} + ${k} / 4u];`);
      return { loads, at: (i, kk) => `${p}${i}.${LANE[kk]}` };
    case 't':
      for (let kk = 0; kk < count; kk++) {
        for (let i = 0; i < v.tile / 4; i++)
          loads.push(`    let ${p}${kk}_${i} = ${B}[${p}b${i} + (${kAt(kk)}) * ${u(v.kStride / 4)}];`);
      }
      return { loads, at: (i, kk) => `${p}${kk}_${i >> 2}.${LANE[i & 3]}` };
    case 's':
      for (let kk = 0; kk < count; kk++) {
        for (let i = 0; i < v.tile; i++) loads.push(`    let ${p}${kk}_${i} = ${B}[${p}b${i} + (${kAt(kk)}) * ${u(v.kStride)}];`);
      }
      return { loads, at: (i, kk) => `${p}${kk}_${i}` };
    case 'f':
      for (let kk = 0; kk < count; kk++) {
        for (let i = 0; i < v.tile; i++) {
          const args = v.isA ? `${p}i${i}, ${kAt(kk)}` : `${kAt(kk)}, ${p}i${i}`;
          loads.push(`    let ${p}${kk}_${i} = ${v.load}(bt, ${args});`);
        }
      }
      return { loads, at: (i, kk) => `${p}${kk}_${i}` };
  }
}

/** One k-step: loads, then for every accumulator the sum over the step's products. */
function kStep(a: View, b: View, k: string, count: number, tm: number, tn4: number): string {
  const sa = step(a, k, count);
  const sb = step(b, k, count);
  const lines = [...sa.loads, ...sb.loads];
  // B's values as vec4 over 4 columns, built once per step when they were not loaded as such.
  const bVec = (kk: number, c: number) => (b.mode === 't' ? `${b.prefix}${kk}_${c}` : `${b.prefix}v${kk}_${c}`);
  if (b.mode !== 't') {
    for (let kk = 0; kk < count; kk++) {
      for (let c = 0; c < tn4; c++)
        lines.push(`    let ${bVec(kk, c)} = vec4<f32>(${[0, 1, 2, 3].map((j) => sb.at(4 * c + j, kk)).join(', ')});`);
    }
  }
  for (let r = 0; r < tm; r++) {
    for (let c = 0; c < tn4; c++) {
      lines.push(
        fma(
          `acc${r}_${c}`,
          Array.from({ length: count }, (_, kk) => [sa.at(r, kk), bVec(kk, c)] as const),
        ),
      );
    }
  }
  return lines.join('\n');
}

/** Per-tile bias values: `bias{r}` (f32) along rows, `bias{c}` (vec4) along columns. */
function loadBias(spec: GemmSpec, tm: number, tn4: number): string {
  const b = spec.bias;
  if (!b) return '';
  const at = (i: string, extent: number) => `${b.buffer}[${b.offset ? `${b.offset} + ` : ''}min(${i}, ${u(extent - 1)})]`;
  if (b.along === 'rows')
    return Array.from({ length: tm }, (_, r) => `  let bias${r} = ${at(`m0 + ${u(r)}`, spec.m)};`).join('\n');
  return Array.from(
    { length: tn4 },
    (_, c) => `  let bias${c} = vec4<f32>(${[0, 1, 2, 3].map((j) => at(`n0 + ${u(4 * c + j)}`, spec.n)).join(', ')});`,
  ).join('\n');
}

/**
 * Stores the tile. Partial tiles are guarded per row or per column rather than per element:
 * SwiftShader compiles straight-line code with hundreds of small branches slowly.
 */
function store(spec: GemmSpec, tm: number, tn4: number): string {
  const { m: M, n: N, out } = spec;
  const epi = spec.epilogue ?? ((v: string) => v);
  const bs = out.batch?.stride ?? 0;
  const vec = out.colStride === 1 && out.rowStride % 4 === 0 && bs % 4 === 0 && N % 4 === 0;
  const scaled = (s: number) => (s === 1 ? '' : ` * ${u(s)}`);
  const mAt = (r: number) => `m0 + ${u(r)}`;
  const nAt = (n: number) => `n0 + ${u(n)}`;
  const value = (r: number, n: number) => {
    const bias = !spec.bias ? '' : spec.bias.along === 'rows' ? ` + bias${r}` : ` + bias${n >> 2}.${LANE[n & 3]}`;
    return `${epi(`acc${r}_${n >> 2}.${LANE[n & 3]}`, `(${mAt(r)})`, `(${nAt(n)})`)}${bias}`;
  };
  // One statement per row and column (group of 4 columns when stores are vec4).
  const cols = vec ? Array.from({ length: tn4 }, (_, c) => 4 * c) : Array.from({ length: 4 * tn4 }, (_, n) => n);
  const stages = spec.fused ?? [];
  const st = (r: number, n: number) =>
    vec
      ? fusedStore(
          stages,
          `(yoff + (${mAt(r)})${scaled(out.rowStride)}) / 4u + (${nAt(n)}) / 4u`,
          `vec4<f32>(${[0, 1, 2, 3].map((j) => value(r, n + j)).join(', ')})`,
          true,
        )
      : fusedStore(
          stages,
          `yoff + (${mAt(r)})${scaled(out.rowStride)} + (${nAt(n)})${scaled(out.colStride)}`,
          value(r, n),
          false,
        );
  const guardM = M % tm !== 0;
  const guardN = N % (4 * tn4) !== 0;
  const lines = [`  let yoff = ${out.batch ? `(${out.batch.index}) * ${u(bs)}` : '0u'};`, loadBias(spec, tm, tn4)];
  const rows = Array.from({ length: tm }, (_, r) => r);
  if (guardM && !guardN) {
    for (const r of rows)
      lines.push(`  if (${mAt(r)} < ${u(M)}) {
${cols.map((n) => `    ${st(r, n)}`).join('\n')}
  }`);
  } else {
    for (const n of cols) {
      const body = rows.map((r) => `    ${guardM ? `if (${mAt(r)} < ${u(M)}) { ${st(r, n)} }` : st(r, n)}`).join('\n');
      lines.push(
        guardN
          ? `  if (${nAt(n)} < ${u(N)}) {
${body}
  }`
          : body,
      );
    }
  }
  return lines.filter(Boolean).join('\n');
}

export function gemmKernel(spec: GemmSpec): KernelSpec {
  const { m: M, n: N, k: K } = spec;
  const [tm, tn] = spec.tile;
  if (tn % 4 !== 0) throw new Error(`gemm tile columns must be a multiple of 4, got ${tn}`);
  const tn4 = tn / 4;
  const a = view(spec.a, true, M, tm, K);
  const b = view(spec.b, false, N, tn, K);
  const mt = cdiv(M, tm);
  const nt = cdiv(N, tn);
  const launch = tileLaunch(spec.profile, (spec.batch ?? 1) * mt * nt);
  const kMain = K - (K % 4);
  const outVec =
    spec.out.colStride === 1 && spec.out.rowStride % 4 === 0 && (spec.out.batch?.stride ?? 0) % 4 === 0 && N % 4 === 0;
  const decl = (v: View) => ({ name: v.buffer, type: vectorized(v) ? 'vec4<f32>' : 'f32' });
  const fused = fusedBindings(spec.fused ?? [], outVec ? 'vec4<f32>' : 'f32');
  const body = [
    launch.prelude,
    splitIndex('t', [
      ['nt', nt],
      ['mt', mt],
      ['bt', spec.batch ?? 1],
    ]),
    `  let m0 = mt * ${u(tm)};`,
    `  let n0 = nt * ${u(tn)};`,
    setup(a, 'm0'),
    setup(b, 'n0'),
    declareAcc(tm, tn4),
    kMain > 0 ? `  for (var k = 0u; k < ${u(kMain)}; k += 4u) {\n${kStep(a, b, 'k', 4, tm, tn4)}\n  }` : '',
    K % 4 ? `  {\n    let k = ${u(kMain)};\n${kStep(a, b, 'k', K % 4, tm, tn4)}\n  }` : '',
    store(spec, tm, tn4),
  ];
  return buildKernel({
    name: `${spec.name} tile ${tm}x${tn}${fusedName(spec.fused ?? [])}`,
    inputs: [
      decl(a),
      decl(b),
      ...[spec.bias?.buffer ?? '', ...(spec.extras ?? [])].filter(Boolean).map((name) => ({ name })),
      ...fused.inputs,
    ],
    outputs: [{ name: 'Y', type: outVec ? 'vec4<f32>' : 'f32' }, ...fused.outputs],
    workgroupSize: launch.workgroupSize,
    dispatch: launch.dispatch,
    header: spec.header,
    body: body.filter(Boolean).join('\n'),
  });
}
export { gemmTile } from './matmul-tile.ts';
