/**
 * Float64 host references of pooling, written from the ONNX definitions independently of the
 * kernels: explicit loops over every window tap, padding tested tap by tap.
 */
export interface PoolRef {
  kernel: number[];
  strides: number[];
  dilations: number[];
  padsBegin: number[];
  padsEnd: number[];
  output: number[];
}

/** Visits every output element and the in-input taps of its window (flat input indices), plus the count of taps in the padded input. */
export function forEachWindow(input: number[], g: PoolRef, visit: (out: number, taps: number[], padded: number) => void): void {
  const sp = input.slice(2);
  const osp = g.output.slice(2);
  const planes = input[0] * input[1];
  const inPlane = sp.reduce((a, b) => a * b, 1);
  const outPlane = osp.reduce((a, b) => a * b, 1);
  for (let pl = 0; pl < planes; pl++) {
    for (let j = 0; j < outPlane; j++) {
      const o = unflat(j, osp);
      const taps: number[] = [];
      let padded = 0;
      const kTotal = g.kernel.reduce((a, b) => a * b, 1);
      for (let t = 0; t < kTotal; t++) {
        const k = unflat(t, g.kernel);
        const pos = o.map((od, d) => od * g.strides[d] - g.padsBegin[d] + k[d] * g.dilations[d]);
        if (pos.every((p, d) => p < sp[d] + g.padsEnd[d])) padded++;
        if (pos.every((p, d) => p >= 0 && p < sp[d])) taps.push(pl * inPlane + flat(pos, sp));
      }
      visit(pl * outPlane + j, taps, padded);
    }
  }
}

function unflat(i: number, shape: number[]): number[] {
  const c = new Array(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return c;
}

function flat(c: number[], shape: number[]): number {
  return c.reduce((a, x, d) => a * shape[d] + x, 0);
}
