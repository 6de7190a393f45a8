/**
 * The map ROAD scores. pytorch-grad-cam's metrics take the CAM its BaseCAM returns: base_cam.py
 * compute_cam_per_layer (np.maximum(cam, 0), then utils/image.py scale_cam_image, which min-max
 * scales and cv2.resize's to the input size) and aggregate_multi_layers (np.maximum(·, 0) and
 * scale_cam_image again). The ReLU makes every negative pixel a tied zero, which the threshold tie
 * rule removes together, so the map matters as much as the rule.
 */
import { resizeHalfPixel } from '../resize.ts';

/**
 * scale_cam_image in float32, as numpy computes it: img − min, then img / (1e-7 + max) with the
 * divisor rounded to float32 (value-based casting of the float64 scalar against a float32 array).
 */
export function scaleCamImage(img: Float32Array): Float32Array {
  let lo = Infinity;
  for (const v of img) lo = Math.min(lo, v);
  const out = img.map((v) => v - lo);
  let hi = -Infinity;
  for (const v of out) hi = Math.max(hi, v);
  const d = Math.fround(1e-7 + hi);
  return out.map((v) => v / d);
}

/** pytorch-grad-cam's map of one layer's raw CAM [h·w]: scale(relu(resize(scale(relu(raw))))) at [H·W]. */
export function pytorchGradCamMap(raw: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const relu = (a: Float32Array) => a.map((v) => Math.max(v, 0));
  const scaled = scaleCamImage(relu(Float32Array.from(raw)));
  return scaleCamImage(relu(resizeHalfPixel(scaled, h, w, H, W)));
}
