/**
 * CAM kernels shared by every method: per-channel spatial reductions of an expression over the
 * layer's activation `a` and gradient `g`, the weighted channel sum Σ_c w_c·A_c, the
 * per-element sum Σ_c f(a, g), and bilinear upsampling with half-pixel centres (cv2.resize's
 * INTER_LINEAR, which pytorch-grad-cam uses). Layers are seen as [N, C, HW].
 */
import { elementKernel, f32Lit, type KernelSpec } from './kernel.ts';
import { LANE } from './matmul-tile.ts';

export interface LayerDims {
  readonly n: number;
  readonly c: number;
  readonly hw: number;
}

/**
 * out[n·C + c] = reduce over hw of `expr`, where expr reads `a`, `g` and per-channel scalars
 * `s0`, `s1`... (earlier reductions, bound in order after A and G). `mean` divides by HW.
 * Bindings: A, G, then each per-channel input, then out. No kernel here bakes a buffer offset:
 * a layer's slice of a shared buffer is bound at its offset (core's Dispatch.offsets), so
 * layers of one shape share one pipeline.
 */
export function channelReduceKernel(
  d: LayerDims,
  expr: string,
  reduce: 'sum' | 'mean',
  perChannel = 0,
  quads = d.hw % 4 === 0,
): KernelSpec {
  const extra = Array.from({ length: perChannel }, (_, k) => ({ name: `S${k}` }));
  const loads = extra.map((_, k) => `  let s${k} = S${k}[i];`).join('\n');
  // Quads: vec4 loads, the elements added one by one in the scalar loop's order.
  const [n, type] = quads ? [4, 'vec4<f32>'] : [1, 'f32'];
  const step = quads
    ? `    let a4 = A[base + p];
    let g4 = G[base + p];
${LANE.map((l) => `    {\n      let a = a4.${l};\n      let g = g4.${l};\n      acc += ${expr};\n    }`).join('\n')}`
    : `    let a = A[base + p];
    let g = G[base + p];
    acc += ${expr};`;
  return elementKernel({
    name: `cam_channel_${reduce}[${d.n}x${d.c}x${d.hw}]${quads ? ' quads' : ''}`,
    inputs: [{ name: 'A', type }, { name: 'G', type }, ...extra],
    outputs: [{ name: 'out' }],
    total: d.n * d.c,
    body: `${loads}
  let base = i * ${d.hw / n}u;
  var acc = 0.0;
  for (var p = 0u; p < ${d.hw / n}u; p++) {
${step}
  }
  out[i] = acc${reduce === 'mean' ? ` / ${d.hw}.0` : ''};`,
  });
}

/** cam[n, hw] = Σ_c w[n, c] · A[n, c, hw]. Bindings: A, W, out. */
export function weightedSumKernel(d: LayerDims, quads?: boolean): KernelSpec {
  return channelSumKernel('cam_weighted_sum', d, 'W', weightedTerm(d), quads);
}

/** cam[n, hw] = Σ_c expr(a, g) per element (HiResCAM, LayerCAM...). Bindings: A, G, out. */
export function elementSumKernel(d: LayerDims, expr: string, quads?: boolean): KernelSpec {
  return channelSumKernel('cam_element_sum', d, 'G', expr, quads);
}

/**
 * The terms those two sums add up, unsummed, [n, c, hw]: for eigen smoothing, which projects
 * them on their first principal component instead. Bindings: A, W, out.
 */
export function weightedTermsKernel(d: LayerDims): KernelSpec {
  return termsKernel(d, 'W', weightedTerm(d));
}

/** The element-wise terms expr(a, g), unsummed, [n, c, hw]. Bindings: A, G, out. */
export function elementTermsKernel(d: LayerDims, expr: string): KernelSpec {
  return termsKernel(d, 'G', expr);
}

function termsKernel(d: LayerDims, second: 'W' | 'G', term: string): KernelSpec {
  return elementKernel({
    name: `cam_terms[${d.n}x${d.c}x${d.hw}]`,
    inputs: [{ name: 'A' }, { name: second }],
    outputs: [{ name: 'out' }],
    total: d.n * d.c * d.hw,
    body: `  let n = i / ${d.c * d.hw}u;
  let c = (i / ${d.hw}u) % ${d.c}u;
  let a = A[i];${second === 'G' ? '\n  let g = G[i];' : ''}
  out[i] = ${term};`,
  });
}

function weightedTerm(d: LayerDims): string {
  return `W[n * ${d.c}u + c] * a`;
}

/**
 * The channel sum both share: one invocation per (n, hw), `term` summed over c with `a` (and,
 * when the second binding is the gradient G, `g`) loaded at the element.
 */
function channelSumKernel(name: string, d: LayerDims, second: 'W' | 'G', term: string, quads = d.hw % 4 === 0): KernelSpec {
  if (quads) {
    // Four neighbouring pixels an invocation: A (and G) as vec4s, each pixel's sum over c as alone.
    const v = 'vec4<f32>';
    return elementKernel({
      name: `${name}[${d.n}x${d.c}x${d.hw}] quads`,
      inputs: [
        { name: 'A', type: v },
        { name: second, type: second === 'G' ? v : 'f32' },
      ],
      outputs: [{ name: 'out', type: v }],
      total: (d.n * d.hw) / 4,
      body: `  let n = i / ${d.hw / 4}u;
  let p = i % ${d.hw / 4}u;
  var acc = vec4<f32>(0.0);
  for (var c = 0u; c < ${d.c}u; c++) {
    let k = (n * ${d.c}u + c) * ${d.hw / 4}u + p;
    let a4 = A[k];${second === 'G' ? '\n    let g4 = G[k];' : ''}
${LANE.map((l) => `    {\n      let a = a4.${l};${second === 'G' ? ` let g = g4.${l};` : ''}\n      acc.${l} += ${term};\n    }`).join('\n')}
  }
  out[i] = acc;`,
    });
  }
  return elementKernel({
    name: `${name}[${d.n}x${d.c}x${d.hw}]`,
    inputs: [{ name: 'A' }, { name: second }],
    outputs: [{ name: 'out' }],
    total: d.n * d.hw,
    body: `  let n = i / ${d.hw}u;
  let p = i % ${d.hw}u;
  var acc = 0.0;
  for (var c = 0u; c < ${d.c}u; c++) {
    let k = (n * ${d.c}u + c) * ${d.hw}u + p;
    let a = A[k];${second === 'G' ? '\n    let g = G[k];' : ''}
    acc += ${term};
  }
  out[i] = acc;`,
  });
}

/**
 * WGSL statements that bilinearly sample the [h, w] map at `base` in `buffer` for output pixel
 * (oy, ox) of an [H, W] image, half-pixel centres and clamped edges, into `let <result>`.
 */
export function bilinearSample(buffer: string, base: string, h: number, w: number, H: number, W: number, result: string): string {
  return `  let fy = clamp((f32(oy) + 0.5) * ${f32Lit(h / H)} - 0.5, 0.0, ${f32Lit(h - 1)});
  let fx = clamp((f32(ox) + 0.5) * ${f32Lit(w / W)} - 0.5, 0.0, ${f32Lit(w - 1)});
  let y0 = u32(floor(fy));
  let x0 = u32(floor(fx));
  let y1 = min(y0 + 1u, ${h - 1}u);
  let x1 = min(x0 + 1u, ${w - 1}u);
  let sbase = ${base};
  let top = mix(${buffer}[sbase + y0 * ${w}u + x0], ${buffer}[sbase + y0 * ${w}u + x1], fx - f32(x0));
  let bottom = mix(${buffer}[sbase + y1 * ${w}u + x0], ${buffer}[sbase + y1 * ${w}u + x1], fx - f32(x0));
  let ${result} = mix(top, bottom, fy - f32(y0));`;
}

/**
 * bilinearSample for the four output pixels (oy, ox.x…ox.w) of a row (`ox` a vec4<u32> in
 * scope), each lane computed as bilinearSample computes its pixel, into `let <result>: vec4<f32>`.
 */
export function bilinearSampleQuad(
  buffer: string,
  base: string,
  h: number,
  w: number,
  H: number,
  W: number,
  result: string,
): string {
  const taps = (row: string, x: string) => LANE.map((l) => `${buffer}[${row} + ${x}.${l}]`).join(', ');
  return `  let fy = clamp((f32(oy) + 0.5) * ${f32Lit(h / H)} - 0.5, 0.0, ${f32Lit(h - 1)});
  let fx = clamp((vec4<f32>(ox) + 0.5) * ${f32Lit(w / W)} - 0.5, vec4<f32>(0.0), vec4<f32>(${f32Lit(w - 1)}));
  let y0 = u32(floor(fy));
  let x0 = vec4<u32>(floor(fx));
  let y1 = min(y0 + 1u, ${h - 1}u);
  let x1 = min(x0 + 1u, vec4<u32>(${w - 1}u));
  let r0 = ${base} + y0 * ${w}u;
  let r1 = ${base} + y1 * ${w}u;
  let t = fx - vec4<f32>(x0);
  let top = mix(vec4<f32>(${taps('r0', 'x0')}), vec4<f32>(${taps('r0', 'x1')}), t);
  let bottom = mix(vec4<f32>(${taps('r1', 'x0')}), vec4<f32>(${taps('r1', 'x1')}), t);
  let ${result} = mix(top, bottom, fy - f32(y0));`;
}

/**
 * Bilinear resize of [n, h, w] maps to [n, H, W], half-pixel centres, edges clamped
 * (cv2.INTER_LINEAR). Bindings: src, out.
 */
export function bilinearKernel(n: number, h: number, w: number, H: number, W: number, quads = W % 4 === 0): KernelSpec {
  if (quads) {
    // Four neighbouring output pixels of a row an invocation, each sampled as alone.
    return elementKernel({
      name: `cam_bilinear[${n}x${h}x${w}→${H}x${W}] quads`,
      inputs: [{ name: 'src' }],
      outputs: [{ name: 'out', type: 'vec4<f32>' }],
      total: (n * H * W) / 4,
      body: `  let b = i / ${(H * W) / 4}u;
  let oy = (i / ${W / 4}u) % ${H}u;
  let ox = vec4<u32>((i % ${W / 4}u) * 4u) + vec4<u32>(0u, 1u, 2u, 3u);
${bilinearSampleQuad('src', `b * ${h * w}u`, h, w, H, W, 'v')}
  out[i] = v;`,
    });
  }
  return elementKernel({
    name: `cam_bilinear[${n}x${h}x${w}→${H}x${W}]`,
    inputs: [{ name: 'src' }],
    outputs: [{ name: 'out' }],
    total: n * H * W,
    body: `  let b = i / ${H * W}u;
  let oy = (i / ${W}u) % ${H}u;
  let ox = i % ${W}u;
${bilinearSample('src', `b * ${h * w}u`, h, w, H, W, 'v')}
  out[i] = v;`,
  });
}
