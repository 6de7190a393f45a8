/**
 * A linear map shared by every channel, as host-computed weighted taps (RoiAlign's bilinear
 * samples, and their transpose for its VJP): the output is [O, C, P]; row o·P + p lists its
 * taps CSR-style (OFF: offsets per row, BASE: the flat input index the tap reads at channel 0,
 * W: its weight), and channel c reads BASE + c · stride. No two invocations write one element,
 * so the transposed map (the VJP) is the same kernel over the transposed lists, with no atomics.
 * Index tables are f32 (exact below 2^24).
 *
 * Bindings: X, OFF, BASE, W, then Y.
 */
import { elementKernel, type KernelSpec } from './kernel.ts';

export interface ChannelTaps {
  readonly outer: number;
  readonly channels: number;
  readonly inner: number;
  /** Input elements between one channel's taps and the next's. */
  readonly stride: number;
}

/** Y[(o·C + c)·P + p] = Σ W[k] · X[BASE[k] + c · stride] over k in [OFF[o·P + p], OFF[o·P + p + 1]). */
export function channelTapsKernel(name: string, t: ChannelTaps): KernelSpec {
  const cp = t.channels * t.inner;
  return elementKernel({
    name,
    inputs: [{ name: 'X' }, { name: 'OFF' }, { name: 'BASE' }, { name: 'W' }],
    outputs: [{ name: 'Y' }],
    total: t.outer * cp,
    body: `  let o = i / ${cp}u;
  let c = (i / ${t.inner}u) % ${t.channels}u;
  let row = o * ${t.inner}u + i % ${t.inner}u;
  var acc = 0.0;
  for (var k = u32(OFF[row]); k < u32(OFF[row + 1u]); k++) { acc += W[k] * X[u32(BASE[k]) + c * ${t.stride}u]; }
  Y[i] = acc;`,
  });
}
