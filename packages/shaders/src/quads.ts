/**
 * Four pixels an invocation for the imputation's element and stencil kernels (imputation.ts,
 * multigrid.ts) where a row is whole vec4s (w % 4 = 0). On SwiftShader an invocation's own
 * overhead (its index arithmetic, one integer division per lane) costs more than the work of
 * one pixel, and every load is a per-lane gather: four pixels share the division and read their
 * 3×3 neighbourhood as 9 vec4 loads instead of 36 scalar ones. Each lane computes what the
 * one-pixel kernel computes for its pixel, in the same order, so the results are the same bit
 * for bit (a neighbour outside the image adds 0 instead of nothing).
 */
import { elementKernel, f32Lit, type BindingDecl, type KernelSpec } from './kernel.ts';

/** A batch of planes: images × channels of h × w (imputation.ts' ImputeDims). */
interface Planes {
  readonly b: number;
  readonly c: number;
  readonly h: number;
  readonly w: number;
}

/** The plane's rows are whole vec4s. */
export const quadRows = (d: Planes): boolean => d.w % 4 === 0;

/** WGSL locals of quad i: s (system), q (quad in the plane), img, py, qx, px (vec4<i32> columns), mbase and vbase (quad offsets). */
export function quadPrelude(d: Planes): string {
  const [p4, w4] = [(d.h * d.w) / 4, d.w / 4];
  return `  let s = i / ${p4}u;
  let q = i % ${p4}u;
  let img = s / ${d.c}u;
  let py = i32(q / ${w4}u);
  let qx = q % ${w4}u;
  let px = vec4<i32>(i32(qx * 4u)) + vec4<i32>(0, 1, 2, 3);
  let mbase = img * ${p4}u;
  let vbase = s * ${p4}u;`;
}

/**
 * An element kernel with one invocation per quad of `d`'s planes, quadPrelude's locals in scope
 * before `body`, named `<name> quads`. Bindings are vec4s unless one gives its own type.
 */
export function quadKernel(k: {
  readonly name: string;
  readonly d: Planes;
  readonly inputs: readonly (string | BindingDecl)[];
  readonly outputs: readonly string[];
  readonly header?: string;
  readonly body: string;
}): KernelSpec {
  const decl = (b: string | BindingDecl): BindingDecl => (typeof b === 'string' ? { name: b, type: 'vec4<f32>' } : b);
  return elementKernel({
    name: `${k.name} quads`,
    inputs: k.inputs.map(decl),
    outputs: k.outputs.map(decl),
    total: (k.d.b * k.d.c * k.d.h * k.d.w) / 4,
    header: k.header,
    body: `${quadPrelude(k.d)}\n${k.body}`,
  });
}

export interface QuadNeighbour {
  /** vec4 of the neighbour's values (0 outside the image). */
  readonly value: string;
  /** Its weight, a literal. */
  readonly wt: string;
  /** vec4<bool>: the neighbour is inside the image. */
  readonly inside: string;
  /** Its row (i32) and columns (vec4<i32>). */
  readonly ny: string;
  readonly nx: string;
}

/** The 8-neighbour stencil of the imputation: row and column offsets and weight (direct 1/6, diagonal 1/12). */
export const NEIGHBOURS: readonly [number, number, number][] = [
  [-1, -1, 1 / 12],
  [-1, 0, 1 / 6],
  [-1, 1, 1 / 12],
  [0, -1, 1 / 6],
  [0, 1, 1 / 6],
  [1, -1, 1 / 12],
  [1, 0, 1 / 6],
  [1, 1, 1 / 12],
];

/**
 * WGSL loading the three rows around the quad from binding `b` (vec4s, plane at vbase), and the
 * 8 neighbours in imputation.ts' eachNeighbour order. `c1` is the quad's own values.
 */
export function quadNeighbours(d: Planes, b: string): { load: string; centre: string; neighbours: QuadNeighbour[] } {
  const w4 = d.w / 4;
  const rows = [0, 1, 2].map((k) => {
    const dy = k - 1;
    return `  let okY${k} = py + ${dy} >= 0 && py + ${dy} < ${d.h};
  let rq${k} = vbase + u32(clamp(py + ${dy}, 0, ${d.h - 1})) * ${w4}u + qx;
  let c${k} = select(vec4<f32>(0.0), ${b}[rq${k}], okY${k});
  let pw${k} = select(0.0, ${b}[rq${k} - min(qx, 1u)].w, okY${k} && qx > 0u);
  let nx${k} = select(0.0, ${b}[rq${k} + min(${w4 - 1}u - qx, 1u)].x, okY${k} && qx + 1u < ${w4}u);
  let l${k} = vec4<f32>(pw${k}, c${k}.x, c${k}.y, c${k}.z);
  let r${k} = vec4<f32>(c${k}.y, c${k}.z, c${k}.w, nx${k});`;
  });
  const neighbours = NEIGHBOURS.map(([dy, dx, wt]) => {
    const k = dy + 1;
    const col =
      dx === 0
        ? 'vec4<bool>(true)'
        : dx < 0
          ? 'vec4<bool>(qx > 0u, true, true, true)'
          : `vec4<bool>(true, true, true, qx + 1u < ${w4}u)`;
    return {
      value: dx < 0 ? `l${k}` : dx > 0 ? `r${k}` : `c${k}`,
      wt: f32Lit(wt),
      inside: `(${col} & vec4<bool>(okY${k}))`,
      ny: `py + ${dy}`,
      nx: `px + ${dx}`,
    };
  });
  return { load: rows.join('\n'), centre: 'c1', neighbours };
}

/** WGSL fn wsum4(py, px): imputation's wsum (Σ of in-image neighbour weights) for four columns. */
export function wsum4Fn(d: Planes): string {
  return `fn wsum4(py: i32, px: vec4<i32>) -> vec4<f32> {
  let my = f32(py == 0) + f32(py == ${d.h - 1});
  let mx = vec4<f32>(px == vec4<i32>(0)) + vec4<f32>(px == vec4<i32>(${d.w - 1}));
  return 1.0 - (my + mx) / 3.0 + my * mx / 12.0;
}`;
}
