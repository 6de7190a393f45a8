/**
 * How fast playback flies: the chosen speed in layers per second for stacks of up to
 * PASS_LAYERS stations; deeper stacks fly faster in proportion, so a whole pass never takes
 * longer than PASS_LAYERS / speed seconds (30 s at the default 2/s, for 10 layers or 500).
 * The 2D frame and the chart's cursor follow the layer the camera is at, so they scrub along.
 */
export const PASS_LAYERS = 60;

/** Stations per second along a path of `stations` stations (input → layers → prediction). */
export function playbackRate(speed: number, stations: number): number {
  return speed * Math.max(1, stations / PASS_LAYERS);
}

/** A video's input frames a second per layer a second of the chosen speed: its clip plays at 8 frames a second at the default 2/s. */
const FRAMES_PER_LAYER = 4;

/** Input frames per second while a video's clip plays at `speed` (the speed menu's layers per second). */
export function clipFps(speed: number): number {
  return FRAMES_PER_LAYER * speed;
}

/**
 * Stations per second of the flythrough that plays each layer's clip of `frames` input frames
 * (the CLI's animation: layer after layer, each through time): one station per clip played at
 * clipFps, deep stacks faster in proportion as playbackRate.
 */
export function clipFlythroughRate(speed: number, stations: number, frames: number): number {
  return (playbackRate(speed, stations) * FRAMES_PER_LAYER) / frames;
}

/** The input frame shown at path position u of that flythrough: each station's clip from its first frame to its last as the camera passes it. */
export function clipFrameAt(u: number, frames: number): number {
  const f = u - Math.round(u) + 0.5;
  return Math.min(frames - 1, Math.max(0, Math.floor(f * frames)));
}
