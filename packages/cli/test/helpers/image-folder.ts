/**
 * An ImageFolder of the bundled model's classes for `camanim eval` tests: the bundled samples in
 * class folders, each in `variants` versions (rotated by a quarter turn per version, mirrored from
 * the fifth, dimmed from the ninth), and optionally a corrupt file in bag/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import sharp from 'sharp';
import { bundledSamples } from '../../src/assets.ts';

/** Writes the folder under `dir`; returns the images written (the corrupt one not included). */
export async function imageFolder(dir: string, variants: number, opts: { corrupt?: boolean } = {}): Promise<string[]> {
  const written: string[] = [];
  for (const sample of bundledSamples()) {
    const cls = basename(sample, extname(sample)).replace(/-\d+$/, '');
    mkdirSync(join(dir, cls), { recursive: true });
    for (let v = 0; v < variants; v++) {
      const file = join(dir, cls, `${cls}-${v}.png`);
      let img = sharp(sample).rotate(90 * (v % 4));
      if (v & 4) img = img.flop();
      if (v >= 8) img = img.modulate({ brightness: 0.8 });
      await img.png().toFile(file);
      written.push(file);
    }
  }
  if (opts.corrupt) writeFileSync(join(dir, 'bag', 'corrupt.png'), 'not a png');
  return written;
}
