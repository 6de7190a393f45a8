/**
 * A geometric multigrid V-cycle for the imputation systems of imputation.ts, used as the
 * conjugate-gradient preconditioner. Level l halves the grid of level l−1 (ceil); a coarse node
 * (I, J) sits on fine pixel (2I, 2J) and is removed when that pixel is (the masks are built on the
 * CPU). The operator on every level is the fine 8-neighbour stencil rediscretised with that
 * level's mask; prolongation P is bilinear (weights 1, ½, ¼) and restriction is exactly Pᵀ, the
 * smoother one damped-Jacobi sweep before and after the coarse correction, so the V-cycle is a
 * symmetric positive definite operator, as preconditioned CG needs. Jacobi is invariant to the
 * operator's scale, so a coarse level scaled by α is run unscaled and its correction divided by α
 * on the way up. All vectors are zero on kept pixels, so a neighbour's term needs no look at
 * its mask: a kept one adds 0 (on SwiftShader every load is a per-lane gather; this halves them).
 */
import { eachNeighbour, pixelPrelude, type ImputeDims } from './imputation.ts';
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';
import { quadKernel, quadNeighbours, quadRows, wsum4Fn } from './quads.ts';

/** The next coarser grid. */
export function coarsen(d: ImputeDims): ImputeDims {
  return { ...d, h: Math.ceil(d.h / 2), w: Math.ceil(d.w / 2) };
}

const tag = (d: ImputeDims) => `${d.b}x${d.c}x${d.h}x${d.w}`;

/**
 * WGSL fn wsum(y, x): the diagonal of the operator, Σ of in-image neighbour weights, in closed
 * form: each missing row or column of neighbours (at an image edge) takes 1/6 + 2/12 = 1/3,
 * less the diagonal 1/12 counted twice where a row and a column are both missing.
 */
function wsumFn(d: ImputeDims): string {
  return `fn wsum(py: u32, px: u32) -> f32 {
  let my = f32(py == 0u) + f32(py == ${d.h - 1}u);
  let mx = f32(px == 0u) + f32(px == ${d.w - 1}u);
  return 1.0 - (my + mx) / 3.0 + my * mx / 12.0;
}`;
}

/**
 * Pre-smoothing from zero and its residual: x = ω·r/D, res = r − A·x. Bindings: mask, r, then
 * x, res.
 */
export function mgPreKernel(d: ImputeDims, omega: number, quads = quadRows(d)): KernelSpec {
  const w = f32Lit(omega);
  if (quads) {
    const { load, centre, neighbours } = quadNeighbours(d, 'r');
    return quadKernel({
      name: `mg_pre[${tag(d)}]`,
      d,
      inputs: ['mask', 'r'],
      outputs: ['x', 'res'],
      header: wsum4Fn(d),
      body: `${load}
  let xi = ${w} * ${centre} / wsum4(py, px);
  var acc = ${centre} - ${w} * ${centre};
${neighbours.map((n) => `  acc += ${n.wt} * ${w} * ${n.value} / wsum4(${n.ny}, ${n.nx});`).join('\n')}
  let m = mask[mbase + q] > vec4<f32>(0.5);
  x[i] = select(vec4<f32>(0.0), xi, m);
  res[i] = select(vec4<f32>(0.0), acc, m);`,
    });
  }
  return elementKernel({
    name: `mg_pre[${tag(d)}]`,
    inputs: [{ name: 'mask' }, { name: 'r' }],
    outputs: [{ name: 'x' }, { name: 'res' }],
    total: d.b * d.c * d.h * d.w,
    header: wsumFn(d),
    body: `${pixelPrelude(d)}
  var xi = 0.0;
  var acc = 0.0;
  if (mask[mbase + pix] > 0.5) {
    xi = ${w} * r[i] / wsum(py, px);
    acc = r[i] - ${w} * r[i];
${eachNeighbour(d, `      acc += wt * ${w} * r[vbase + q] / wsum(u32(ny), u32(nx));`)}
  }
  x[i] = xi;
  res[i] = acc;`,
  });
}

/** Post-smoothing: y = x + ω·(r − A·x)/D. Bindings: mask, r, x, then y. */
export function mgSmoothKernel(d: ImputeDims, omega: number, quads = quadRows(d)): KernelSpec {
  if (quads) {
    const { load, centre, neighbours } = quadNeighbours(d, 'x');
    return quadKernel({
      name: `mg_smooth[${tag(d)}]`,
      d,
      inputs: ['mask', 'r', 'x'],
      outputs: ['y'],
      header: wsum4Fn(d),
      body: `${load}
  let t = wsum4(py, px);
  var ax = t * ${centre};
${neighbours.map((n) => `  ax -= ${n.wt} * ${n.value};`).join('\n')}
  let yi = ${centre} + ${f32Lit(omega)} * (r[i] - ax) / t;
  y[i] = select(vec4<f32>(0.0), yi, mask[mbase + q] > vec4<f32>(0.5));`,
    });
  }
  return elementKernel({
    name: `mg_smooth[${tag(d)}]`,
    inputs: [{ name: 'mask' }, { name: 'r' }, { name: 'x' }],
    outputs: [{ name: 'y' }],
    total: d.b * d.c * d.h * d.w,
    header: wsumFn(d),
    body: `${pixelPrelude(d)}
  var yi = 0.0;
  if (mask[mbase + pix] > 0.5) {
    let t = wsum(py, px);
    var ax = t * x[i];
${eachNeighbour(d, '      ax -= wt * x[vbase + q];')}
    yi = x[i] + ${f32Lit(omega)} * (r[i] - ax) / t;
  }
  y[i] = yi;`,
  });
}

/** 1, ½, 0 for a fine–coarse offset of 0, ±1, further: one axis of bilinear interpolation. */
const HAT = 'fn hat(k: i32) -> f32 { return select(select(0.0, 0.5, abs(k) == 1), 1.0, k == 0); }';

/**
 * Restriction rc = E_c·Pᵀ·res of a fine vector (d) to the coarse grid, masked by the coarse mask.
 * Bindings: res (fine), mask (coarse), then rc.
 */
export function mgRestrictKernel(d: ImputeDims, quads = d.w % 8 === 0): KernelSpec {
  const c = coarsen(d);
  if (quads) {
    // Coarse columns 4qx..4qx+3 read fine columns 8qx−1..8qx+7: fine vec4s a (8qx..) and b (8qx+4..) and the scalar before.
    const fw4 = d.w / 4;
    const rows = [-1, 0, 1].map((dy) => {
      const h = dy === 0 ? '1.0' : '0.5';
      return `  {
    let y = 2 * py + ${dy};
    let ok = y >= 0 && y < ${d.h};
    let fq = s * ${(d.h * d.w) / 4}u + u32(clamp(y, 0, ${d.h - 1})) * ${fw4}u + 2u * qx;
    let a = select(vec4<f32>(0.0), res[fq], ok);
    let b = select(vec4<f32>(0.0), res[fq + 1u], ok);
    let before = select(0.0, res[fq - min(qx, 1u)].w, ok && qx > 0u);
    acc += ${h} * 0.5 * vec4<f32>(before, a.y, a.w, b.y);
    acc += ${h} * 1.0 * vec4<f32>(a.x, a.z, b.x, b.z);
    acc += ${h} * 0.5 * vec4<f32>(a.y, a.w, b.y, b.w);
  }`;
    });
    return quadKernel({
      name: `mg_restrict[${tag(d)}]`,
      d: c,
      inputs: ['res', 'mask'],
      outputs: ['rc'],
      body: `  var acc = vec4<f32>(0.0);
${rows.join('\n')}
  rc[i] = select(vec4<f32>(0.0), acc, mask[mbase + q] > vec4<f32>(0.5));`,
    });
  }
  return elementKernel({
    name: `mg_restrict[${tag(d)}]`,
    inputs: [{ name: 'res' }, { name: 'mask' }],
    outputs: [{ name: 'rc' }],
    total: c.b * c.c * c.h * c.w,
    header: HAT,
    body: `${pixelPrelude(c)}
  var acc = 0.0;
  if (mask[mbase + pix] > 0.5) {
    let fbase = s * ${d.h * d.w}u;
    for (var dy = -1; dy <= 1; dy++) {
      for (var dx = -1; dx <= 1; dx++) {
        let y = 2 * i32(py) + dy;
        let x = 2 * i32(px) + dx;
        if (y >= 0 && y < ${d.h} && x >= 0 && x < ${d.w}) { acc += hat(dy) * hat(dx) * res[fbase + u32(y * ${d.w} + x)]; }
      }
    }
  }
  rc[i] = acc;`,
  });
}

/**
 * Coarse correction x += E·P·ec/α on the fine grid d, α being the coarse operator's scale.
 * Bindings: mask (fine), ec (coarse), then x.
 */
export function mgProlongKernel(d: ImputeDims, alpha: number, quads = quadRows(d)): KernelSpec {
  const c = coarsen(d);
  if (quads) {
    // Fine columns 4qx..4qx+3 sit on coarse 2qx, between 2qx and 2qx+1, on 2qx+1, between 2qx+1 and 2qx+2.
    const row = (name: string, base: string) => `    let ${name}a = ec[${base}];
    let ${name}b = ec[${base} + 1u];
    let ${name}c = select(0.0, ec[${base} + select(1u, 2u, x1.w)], x1.w);
    var ${name} = wx * vec4<f32>(${name}a, ${name}a, ${name}b, ${name}b);
    ${name} += select(vec4<f32>(0.0), 0.5 * vec4<f32>(0.0, ${name}b, 0.0, ${name}c), x1);`;
    return quadKernel({
      name: `mg_prolong[${tag(d)}]`,
      d,
      inputs: ['mask', { name: 'ec' }],
      outputs: ['x'],
      body: `  let cy = u32(py) / 2u;
  let oddY = (u32(py) & 1u) == 1u;
  let wy = select(1.0, 0.5, oddY);
  let y1 = oddY && cy + 1u < ${c.h}u;
  let wx = vec4<f32>(1.0, 0.5, 1.0, 0.5);
  let x1 = vec4<bool>(false, true, false, 2u * qx + 2u < ${c.w}u);
  let row0 = s * ${c.h * c.w}u + cy * ${c.w}u + 2u * qx;
  {
${row('acc', 'row0')}
    acc *= wy;
    if (y1) {
${row('low', `row0 + ${c.w}u`)}
      acc += 0.5 * low;
    }
    x[i] = select(x[i], x[i] + ${f32Lit(1 / alpha)} * acc, mask[mbase + q] > vec4<f32>(0.5));
  }`,
    });
  }
  return elementKernel({
    name: `mg_prolong[${tag(d)}]`,
    inputs: [{ name: 'mask' }, { name: 'ec' }],
    outputs: [{ name: 'x' }],
    total: d.b * d.c * d.h * d.w,
    body: `${pixelPrelude(d)}
  if (mask[mbase + pix] > 0.5) {
    // An even fine row sits on coarse row py/2 (weight 1), an odd one between py/2 and py/2 + 1
    // (½ each, the second dropped past the coarse grid's edge); columns likewise.
    let cy = py / 2u;
    let cx = px / 2u;
    let oddY = (py & 1u) == 1u;
    let oddX = (px & 1u) == 1u;
    let wy = select(1.0, 0.5, oddY);
    let wx = select(1.0, 0.5, oddX);
    let y1 = oddY && cy + 1u < ${c.h}u;
    let x1 = oddX && cx + 1u < ${c.w}u;
    let row0 = s * ${c.h * c.w}u + cy * ${c.w}u + cx;
    let row1 = row0 + ${c.w}u;
    var acc = wx * ec[row0];
    if (x1) { acc += 0.5 * ec[row0 + 1u]; }
    acc *= wy;
    if (y1) {
      var low = wx * ec[row1];
      if (x1) { low += 0.5 * ec[row1 + 1u]; }
      acc += 0.5 * low;
    }
    x[i] += ${f32Lit(1 / alpha)} * acc;
  }`,
  });
}
