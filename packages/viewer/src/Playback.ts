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
