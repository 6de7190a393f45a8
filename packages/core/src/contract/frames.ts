/**
 * Video and volume inputs [N, C, T, H, W] (R3D-18, 3-D U-Nets): the channel axis is 1, the
 * frames (slices) T axis 2, the plane H, W the last two. T is the model's fixed dim, or the
 * caller's (`--frames`, `input.frames`) where the model leaves it symbolic — never guessed: a
 * symbolic T with nothing stating it is refused naming `--frames`. The frames come from a video
 * (the CLI decodes it with ffmpeg) or a list or folder of images; each is placed and tensorized
 * as an image is (placement.ts, tensorize.ts), then `stackFrames` lays them on the T axis.
 */
import { CamanimError } from '../errors.ts';
import type { GraphValue } from '../graph/ir.ts';
import type { Layout } from './input-request.ts';

/** The frame count of a video input and where it came from. */
export interface FrameAxis {
  readonly count: number;
  readonly from: string;
}

export const FRAMES_HINT = 'Pass --frames T (library: input.frames), the number of frames the model takes';

/** Whether the input is a video or volume [N, C, T, H, W]. */
export const isVideoInput = (input: GraphValue) => input.dims.length === 5;

/** The axes of H and W for the layout: [N, C, (T,) H, W] or [N, H, W, C]. */
export function planeAxes(dims: readonly (number | string)[], layout: Layout | undefined): [number, number] {
  if (dims.length === 5) return [3, 4];
  return layout === 'NHWC' ? [1, 2] : [2, 3];
}

/** T of a video input (undefined for an image input), or a refusal saying what to pass. */
export function resolveFrames(
  input: GraphValue,
  layout: Layout,
  picked: { value: number; from: string } | undefined,
  where: { file: string; tensor: string },
): FrameAxis | undefined {
  const shape = `[${input.dims.join(', ')}]`;
  if (!isVideoInput(input)) {
    if (picked)
      throw new CamanimError(
        'bad-input',
        `${picked.from} gives ${picked.value} frames, but input '${input.name}' ${shape} is an image, not a video [N, C, T, H, W]`,
        where,
        'Drop --frames for image models',
      );
    return undefined;
  }
  if (layout !== 'NCHW') {
    throw new CamanimError(
      'bad-input',
      `Input '${input.name}' ${shape} is 5-D: camanim reads video inputs channels-first [N, C, T, H, W], not ${layout}`,
      where,
      'Leave the layout to the model (no --layout), or export the model channels-first',
    );
  }
  const fixed = typeof input.dims[2] === 'number' && (input.dims[2] as number) > 0 ? (input.dims[2] as number) : undefined;
  if (picked) {
    if (!(Number.isInteger(picked.value) && picked.value > 0 && picked.value <= 4096))
      throw new CamanimError(
        'bad-input',
        `${picked.from}: ${picked.value} frames is not an integer in 1..4096`,
        where,
        FRAMES_HINT,
      );
    if (fixed !== undefined && fixed !== picked.value) {
      throw new CamanimError(
        'bad-input',
        `${picked.from} asks for ${picked.value} frames, but the model's input '${input.name}' ${shape} is fixed at ${fixed}`,
        where,
        `Leave the frames to the model, or give --frames ${fixed}`,
      );
    }
    return { count: picked.value, from: picked.from };
  }
  if (fixed !== undefined) return { count: fixed, from: 'model graph' };
  throw new CamanimError(
    'bad-input',
    `The model's input '${input.name}' ${shape} leaves its frame count '${input.dims[2]}' symbolic and nothing gives it`,
    where,
    FRAMES_HINT,
  );
}

/** Per-frame tensors [C, H, W] (tensorize's output) as one [C, T, H, W] tensor. */
export function stackFrames(frames: readonly Float32Array[], channels: number): Float32Array {
  const T = frames.length;
  const plane = frames[0].length / channels;
  const out = new Float32Array(channels * T * plane);
  frames.forEach((f, t) => {
    for (let c = 0; c < channels; c++) out.set(f.subarray(c * plane, (c + 1) * plane), (c * T + t) * plane);
  });
  return out;
}
