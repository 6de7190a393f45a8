/**
 * Video and volume layers: a 5-D activation [N, C, T', h, w] (R3D-18, 3-D U-Nets) is a layer
 * whose CAM has a map per frame (or slice) t'. Its LayerInfo keeps the plane in `shape`
 * ([N, C, h, w]) and the time axis in `frames`, and the CAM kernels see T'·h·w positions per
 * channel, so every channel and element method works unchanged: element terms per position,
 * channel weights reduced over T', h and w together, as pytorch-grad-cam's 3-D support does
 * (PR #466: get_cam_weights takes np.mean(grads, axis=(2, 3, 4)), get_cam_image sums
 * w_c · A_c into [T', h, w]). The maps are upsampled to the input's [T, H, W] trilinearly with
 * half-pixel centres and clamped edges (bilinear per frame, then linear in time), the 3-D form of
 * the 2-D convention; the library itself resizes volumes with scipy.ndimage.zoom (order 3,
 * corner-aligned), so its upsampled volumes differ from these by design, its raw maps do not.
 */
import { bilinearKernel } from '@camanim/shaders';
import { CamanimError, type Dispatch, type GpuTensor, type Layer, type Runtime } from '@camanim/core';
import type { LayerInfo } from './method.ts';

/** [T, H, W] of a model input [N, C, H, W] (T = 1) or [N, C, T, H, W]. */
export function inputGrid(shape: readonly number[]): [number, number, number] {
  return shape.length === 5 ? [shape[2], shape[3], shape[4]] : [1, shape[2], shape[3]];
}

/** A 5-D layer as a CAM layer, its frames in `frames`; undefined for other ranks. */
export function volumeLayer(l: Layer, index: number): LayerInfo | undefined {
  if (l.shape.length !== 5) return undefined;
  const [n, c, t, h, w] = l.shape;
  return { index, name: l.name, opType: l.opType, shape: [n, c, h, w], frames: t };
}

/** Positions per channel the CAM kernels reduce over and write: frames · h · w. */
export const positions = (l: LayerInfo) => (l.frames ?? 1) * l.shape[2] * l.shape[3];

/** The layer's terms as [N, C, positions, 1], for code that reads `shape` as a plane (eigen smoothing). */
export const flatShape = (l: LayerInfo): [number, number, number, number] => [l.shape[0], l.shape[1], positions(l), 1];

/**
 * Refusals for layers with frames: methods that compute their maps from the layer (extra
 * forwards from it, host linear algebra over its plane) read `shape` as [N, C, h, w] and would
 * lose the time axis.
 */
export function checkVolumeMethod(layer: LayerInfo, method: string): void {
  if (!layer.frames) return;
  throw new CamanimError(
    'bad-input',
    `CAM method '${method}' computes its maps from the layer itself, which video and volume layers ([N, C, T, H, W]) do not support yet`,
    { layer: layer.name },
    'Use a gradient method (gradcam, hirescam, gradcam++, xgradcam, layercam, …) for this model',
  );
}

/** Augmentation smoothing flips images; a video input is refused rather than flipped frame by frame unchecked. */
export function checkVolumeInput(inputShape: readonly number[], augSmooth: boolean | undefined): void {
  if (inputShape.length === 5 && augSmooth) {
    throw new CamanimError(
      'bad-input',
      `Augmentation smoothing is not supported for video and volume inputs [${inputShape.join(', ')}]`,
      {},
      'Drop augSmooth (--aug-smooth) for this model',
    );
  }
}

/**
 * The dispatches that resize the layer's raw maps (at `rawOffset` in `raw`) to the input's
 * [T, H, W] (at `upOffset` in `up`; both in elements, multiples of the runtime's binding
 * alignment): bilinear per frame, then, for a video, linear in time
 * (the same kernel over [T', H·W] maps, whose columns it copies exactly). `scratch` is where the
 * per-frame planes go; its tensor is pushed to `temps` for the caller to release.
 */
export function upsampleDispatches(
  rt: Runtime,
  layer: LayerInfo,
  grid: readonly [number, number, number],
  raw: GpuTensor,
  rawOffset: number,
  up: GpuTensor,
  upOffset: number,
  temps: GpuTensor[],
): Dispatch[] {
  const [n, , h, w] = layer.shape;
  const [T, H, W] = grid;
  // A layer without frames in a video model (after its time axis is pooled) holds for every frame.
  const t = layer.frames ?? 1;
  const [from, to] = [rawOffset * 4, upOffset * 4];
  if (t === 1 && T === 1)
    return [{ kernel: bilinearKernel(n, h, w, H, W), buffers: [raw.buffer, up.buffer], offsets: [from, to] }];
  const planes = rt.createTensor([n * t * H * W], 'cam:frames');
  temps.push(planes);
  return [
    { kernel: bilinearKernel(n * t, h, w, H, W), buffers: [raw.buffer, planes.buffer], offsets: [from, 0] },
    { kernel: bilinearKernel(n, t, H * W, T, H * W), buffers: [planes.buffer, up.buffer], offsets: [0, to] },
  ];
}
