/**
 * Whole-model parity fixtures: reduced-width torchvision models exported by
 * tools/export_models.py, with PyTorch's input, logits, activations and gradients.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'models');

export interface GradTensor {
  readonly module: string;
  readonly onnx: string;
  readonly shape: number[];
  readonly offset: number;
  readonly length: number;
  readonly activationOffset: number;
  /** PyTorch's float32 gradient against its float64 one (scaled error; tools/fixtures/grads.py). */
  readonly f32Error?: number;
}

export interface Fixture {
  readonly name: string;
  readonly file: string;
  readonly input: { name: string; shape: number[] };
  /** What the gradients are of (tools/fixtures/grads.py): a class's logit, or a segmenter's SemanticSegmentationTarget. */
  readonly task?: 'classify' | 'segment';
  readonly grads: {
    readonly class: number;
    /** The target as the fixture describes it, "logits[0, class]" or "segment(class)" (older fixtures: the first). */
    readonly target?: string;
    readonly inputOffset: number;
    readonly inputShape: number[];
    readonly logitsOffset: number;
    readonly logitsShape: number[];
    readonly inputGradOffset: number;
    readonly inputGradLength: number;
    readonly inputGradF32Error?: number;
    readonly tensors: GradTensor[];
  };
  /** The whole .grads.bin as float32. */
  readonly bin: Float32Array;
}

export function listFixtures(dir = FIXTURES): Fixture[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const meta = JSON.parse(readFileSync(join(dir, f), 'utf8'));
      const buf = readFileSync(join(dir, meta.grads.file));
      const bin = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      return { ...meta, file: join(dir, meta.file), bin };
    });
}

export function slice(f: Fixture, offset: number, length: number): Float32Array {
  return f.bin.subarray(offset, offset + length);
}

export const elements = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** max |a − b| / max |b|: error relative to the tensor's own scale. */
export function scaledError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= num)) num = Number.isNaN(d) ? Infinity : d;
    den = Math.max(den, Math.abs(b[i]));
  }
  return a.length === b.length ? num / Math.max(den, 1e-12) : Infinity;
}
