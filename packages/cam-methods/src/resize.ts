/**
 * Host bilinear resizes: align_corners=True (torch.nn.UpsamplingBilinear2d), for Score-CAM's
 * masks, and half-pixel centres with clamped edges (cv2.resize INTER_LINEAR, as the GPU
 * upsampler), for maps combined on the host (augmentation smoothing).
 */
export function resizeAlignCorners(src: Float32Array, h: number, w: number, H: number, W: number): Float32Array {
  const sy = H > 1 ? (h - 1) / (H - 1) : 0;
  const sx = W > 1 ? (w - 1) / (W - 1) : 0;
  return resize(
    src,
    h,
    w,
    H,
    W,
    (y) => y * sy,
    (x) => x * sx,
  );
}

export function resizeHalfPixel(src: Float32Array, h: number, w: number, H: number, W: number): Float32Array {
  const at = (o: number, n: number, N: number) => Math.min(Math.max((o + 0.5) * (n / N) - 0.5, 0), n - 1);
  return resize(
    src,
    h,
    w,
    H,
    W,
    (y) => at(y, h, H),
    (x) => at(x, w, W),
  );
}

/** Bilinear resize of a [h, w] map, the source coordinate of each output row/column given. */
function resize(
  src: Float32Array,
  h: number,
  w: number,
  H: number,
  W: number,
  srcY: (y: number) => number,
  srcX: (x: number) => number,
): Float32Array {
  const out = new Float32Array(H * W);
  for (let y = 0; y < H; y++) {
    const fy = srcY(y);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const ty = fy - y0;
    for (let x = 0; x < W; x++) {
      const fx = srcX(x);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const tx = fx - x0;
      const top = src[y0 * w + x0] * (1 - tx) + src[y0 * w + x1] * tx;
      const bottom = src[y1 * w + x0] * (1 - tx) + src[y1 * w + x1] * tx;
      out[y * W + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}
