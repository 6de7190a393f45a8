/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * WGSL expression for the linear index into a tensor of `inShape` broadcast (numpy rules) to
 * `outShape`, given the linear output index `idx`. Dims are baked in as constants.
 */
export function broadcastIndex(idx: string, outShape: readonly number[], inShape: readonly number[]): string {
  const outStrides = stridesOf(outShape);
  const inStrides = stridesOf(inShape);
  const offset = outShape.length - inShape.length;
  const terms: string[] = [];
  if (sizeOf(inShape) === 1) return '0u';
  if (inShape.length === outShape.length && inShape.every((d, k) => d === outShape[k])) return idx;
  for (let d = 0; d < outShape.length; d++) {
    const id = d - offset;
    if (id < 0 || inShape[id] === 1) continue;
    const coord = d === 0 ? `(${idx} / ${outStrides[d]}u)` : `((${idx} / ${outStrides[d]}u) % ${outShape[d]}u)`;
    terms.push(inStrides[id] === 1 ? coord : `${coord} * ${inStrides[id]}u`);
  }
  return terms.length ? terms.join(' + ') : '0u';
}
