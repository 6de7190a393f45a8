/** Test helpers: run `camanim` in-process with captured output, scratch folders, a test image. */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import { main } from '../../src/main.ts';

export interface CliResult {
  code: number;
  out: string;
  err: string;
}

export async function camanim(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  let out = '';
  let err = '';
  const code = await main(args, {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    errStream: new PassThrough(),
    tty: false,
    env,
  });
  return { code, out, err };
}

export function scratch(prefix = 'camanim-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Entries of `dir` that a run left behind (staging folders included). */
export function leftovers(dir: string): string[] {
  return readdirSync(dir);
}

/** A 160×120 PNG with a bright disc on a gradient (non-square, so resize + crop are exercised). */
export async function writeTestImage(file: string): Promise<string> {
  const w = 160;
  const h = 120;
  const rgb = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      const disc = (x - 96) ** 2 + (y - 54) ** 2 < 28 ** 2;
      rgb[i] = disc ? 250 : Math.round((x * 200) / w);
      rgb[i + 1] = disc ? 230 : Math.round((y * 200) / h);
      rgb[i + 2] = disc ? 40 : 90;
    }
  }
  await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(file);
  return file;
}
