/**
 * Noisy linear imputation (Rong et al., ICML 2022, "A Consistent and Efficient Evaluation
 * Strategy for Attribution Methods"): every removed pixel equals the weighted mean of its valid
 * 8-neighbours (direct 1/6, diagonal 1/12), solved for all removed pixels at once as one sparse
 * SPD system per (image, channel) by conjugate gradients. These kernels work on S systems of P
 * pixels laid out [S, P] (S = images × channels), with a mask [B, P] (1 = removed) shared by
 * the C channels of each image. Vectors are zero on kept pixels. Where rows are whole vec4s the
 * kernels of the CG loop run four pixels an invocation (quads.ts), with the same results.
 */
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';
import { NEIGHBOURS, quadKernel, quadNeighbours, quadRows } from './quads.ts';

export interface ImputeDims {
  /** Images in the batch. */
  readonly b: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** WGSL that visits each in-image neighbour (ny, nx, q = its pixel index, wt = its weight). */
export function eachNeighbour(d: ImputeDims, body: string): string {
  return NEIGHBOURS.map(
    ([dy, dx, wt]) => `  {
    let ny = i32(py) + ${dy};
    let nx = i32(px) + ${dx};
    if (ny >= 0 && ny < ${d.h} && nx >= 0 && nx < ${d.w}) {
      let q = u32(ny) * ${d.w}u + u32(nx);
      let wt = ${f32Lit(wt)};
${body}
    }
  }`,
  ).join('\n');
}

/** WGSL locals of element i: s (system), pix, img, py, px, mbase (mask offset), vbase. */
export function pixelPrelude(d: ImputeDims): string {
  const p = d.h * d.w;
  return `  let s = i / ${p}u;
  let pix = i % ${p}u;
  let img = s / ${d.c}u;
  let py = pix / ${d.w}u;
  let px = pix % ${d.w}u;
  let mbase = img * ${p}u;
  let vbase = s * ${p}u;`;
}

/**
 * Right-hand side and initial residual: b_i = Σ_{kept nb} w·img_n on removed pixels; x0 = 0,
 * so r = b; p = 0, so the first CG direction p = z + β·p is the preconditioned residual z.
 * Bindings: image [S·P], mask [B·P], then r, p, x.
 */
export function imputeInitKernel(d: ImputeDims): KernelSpec {
  return elementKernel({
    name: `impute_init[${d.b}x${d.c}x${d.h}x${d.w}]`,
    inputs: [{ name: 'image' }, { name: 'mask' }],
    outputs: [{ name: 'r' }, { name: 'p' }, { name: 'x' }],
    total: d.b * d.c * d.h * d.w,
    body: `${pixelPrelude(d)}
  var acc = 0.0;
  if (mask[mbase + pix] > 0.5) {
${eachNeighbour(d, '      if (mask[mbase + q] <= 0.5) { acc += wt * image[vbase + q]; }')}
  }
  r[i] = acc;
  p[i] = 0.0;
  x[i] = 0.0;`,
  });
}

/**
 * Ap = A·p on removed pixels: (Σ valid w)·p_i − Σ_{removed nb} w·p_n, p being zero on kept
 * pixels (so every neighbour is summed, unmasked). Bindings: mask, p, Ap.
 */
export function imputeMatvecKernel(d: ImputeDims, quads = quadRows(d)): KernelSpec {
  if (quads) {
    const { load, centre, neighbours } = quadNeighbours(d, 'p');
    return quadKernel({
      name: `impute_matvec[${d.b}x${d.c}x${d.h}x${d.w}]`,
      d,
      inputs: ['mask', 'p'],
      outputs: ['ap'],
      body: `${load}
  var acc = vec4<f32>(0.0);
  var total = vec4<f32>(0.0);
${neighbours.map((n) => `  total += select(vec4<f32>(0.0), vec4<f32>(${n.wt}), ${n.inside});\n  acc -= ${n.wt} * ${n.value};`).join('\n')}
  acc += total * ${centre};
  ap[i] = select(vec4<f32>(0.0), acc, mask[mbase + q] > vec4<f32>(0.5));`,
    });
  }
  return elementKernel({
    name: `impute_matvec[${d.b}x${d.c}x${d.h}x${d.w}]`,
    inputs: [{ name: 'mask' }, { name: 'p' }],
    outputs: [{ name: 'ap' }],
    total: d.b * d.c * d.h * d.w,
    body: `${pixelPrelude(d)}
  var acc = 0.0;
  if (mask[mbase + pix] > 0.5) {
    var total = 0.0;
${eachNeighbour(d, '      total += wt;\n      acc -= wt * p[vbase + q];')}
    acc += total * p[i];
  }
  ap[i] = acc;`,
  });
}

/** Pixels summed by one invocation of a dot-product's first stage. */
export const DOT_CHUNK = 2048;

/** Stage 1 of per-system dots: partial[s·K + k] = Σ over chunk k of u·v. Bindings: u, v, partial. */
export function chunkDotKernel(d: ImputeDims, quads = quadRows(d)): KernelSpec {
  const p = d.h * d.w;
  const chunks = Math.ceil(p / DOT_CHUNK);
  // Quads: vec4 loads, summed lane by lane in the same order as the scalar loop.
  const [n, v] = quads ? [4, 'vec4<f32>'] : [1, 'f32'];
  const sum = quads
    ? `let a = u[j]; let b = v[j]; acc += a.x * b.x; acc += a.y * b.y; acc += a.z * b.z; acc += a.w * b.w;`
    : 'acc += u[j] * v[j];';
  return elementKernel({
    name: `impute_dot_chunks[${d.b * d.c}x${p}]${quads ? ' quads' : ''}`,
    inputs: [
      { name: 'u', type: v },
      { name: 'v', type: v },
    ],
    outputs: [{ name: 'partial' }],
    total: d.b * d.c * chunks,
    body: `  let s = i / ${chunks}u;
  let k = i % ${chunks}u;
  let start = s * ${p / n}u + k * ${DOT_CHUNK / n}u;
  let end = s * ${p / n}u + min((k + 1u) * ${DOT_CHUNK / n}u, ${p / n}u);
  var acc = 0.0;
  for (var j = start; j < end; j++) { ${sum} }
  partial[i] = acc;`,
  });
}

/** Stage 2: out[s] = Σ_k partial[s·K + k]. Bindings: partial, out. */
export function sumChunksKernel(d: ImputeDims): KernelSpec {
  const chunks = Math.ceil((d.h * d.w) / DOT_CHUNK);
  return elementKernel({
    name: `impute_dot_sum[${d.b * d.c}x${chunks}]`,
    inputs: [{ name: 'partial' }],
    outputs: [{ name: 'out' }],
    total: d.b * d.c,
    body: `  var acc = 0.0;
  for (var k = 0u; k < ${chunks}u; k++) { acc += partial[i * ${chunks}u + k]; }
  out[i] = acc;`,
  });
}

/**
 * x += α·p, r −= α·Ap with α = rr/pAp per system (0 once a system has converged to rr = 0, and
 * 0 for a system whose `live` is 0: one that reached its tolerance stays as it was, so its
 * solution does not depend on the other systems of the batch). Bindings: p, ap, rr, pap, live,
 * then x, r.
 */
export function cgStepKernel(d: ImputeDims, quads = quadRows(d)): KernelSpec {
  const p = d.h * d.w;
  const [n, v] = quads ? [4, 'vec4<f32>'] : [1, 'f32'];
  return elementKernel({
    name: `impute_cg_step[${d.b * d.c}x${p}]${quads ? ' quads' : ''}`,
    inputs: [{ name: 'p', type: v }, { name: 'ap', type: v }, { name: 'rr' }, { name: 'pap' }, { name: 'live' }],
    outputs: [
      { name: 'x', type: v },
      { name: 'r', type: v },
    ],
    total: (d.b * d.c * p) / n,
    body: `  let s = i / ${p / n}u;
  let denom = pap[s];
  let alpha = select(0.0, rr[s] / denom, denom > 0.0 && live[s] > 0.5);
  x[i] += alpha * p[i];
  r[i] -= alpha * ap[i];`,
  });
}

/** p = r + β·p with β = rrNew/rr per system. Bindings: r, rrNew, rr, then p. */
export function cgDirectionKernel(d: ImputeDims, quads = quadRows(d)): KernelSpec {
  const p = d.h * d.w;
  const [n, v] = quads ? [4, 'vec4<f32>'] : [1, 'f32'];
  return elementKernel({
    name: `impute_cg_direction[${d.b * d.c}x${p}]${quads ? ' quads' : ''}`,
    inputs: [{ name: 'r', type: v }, { name: 'rr_new' }, { name: 'rr' }],
    outputs: [{ name: 'p', type: v }],
    total: (d.b * d.c * p) / n,
    body: `  let s = i / ${p / n}u;
  let old = rr[s];
  let beta = select(0.0, rr_new[s] / old, old > 0.0);
  p[i] = r[i] + beta * p[i];`,
  });
}

/**
 * The imputed image: kept pixels unchanged, removed pixels the solution plus Gaussian noise of
 * standard deviation `noise` (Box–Muller over a PCG hash of the image's seed and the element's
 * index in its image, so a seed repeats wherever the image sits in the batch). `seeds` [B] holds
 * each image's seed, an integer below 2^24 (exact in f32); without noise there is no `seeds`.
 * Bindings: image, mask, x, seeds (with noise), then out.
 */
export function imputeComposeKernel(d: ImputeDims, noise: number): KernelSpec {
  return elementKernel({
    name: `impute_compose[${d.b}x${d.c}x${d.h}x${d.w}]`,
    inputs: [{ name: 'image' }, { name: 'mask' }, { name: 'x' }, ...(noise ? [{ name: 'seeds' }] : [])],
    outputs: [{ name: 'out' }],
    total: d.b * d.c * d.h * d.w,
    header: `fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn gauss(e: u32, seed: u32) -> f32 {
  let u1 = (f32(pcg(e * 2u + seed) >> 8u) + 1.0) / 16777217.0;
  let u2 = f32(pcg(e * 2u + 1u + seed * 2654435761u) >> 8u) / 16777216.0;
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}`,
    body: `${pixelPrelude(d)}
  if (mask[mbase + pix] > 0.5) {
    out[i] = x[i]${noise ? ` + ${f32Lit(noise)} * gauss(i - img * ${d.c * d.h * d.w}u, pcg(u32(seeds[img])))` : ''};
  } else {
    out[i] = image[i];
  }`,
  });
}
