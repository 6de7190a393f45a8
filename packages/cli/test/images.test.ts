/**
 * Image decoding against PIL: every layout in test/fixtures/images (tools/image_fixtures.py)
 * decodes to PIL's pixels (<name>.expected.png: EXIF orientation applied, alpha on white,
 * first frame), and hostile files (a decompression bomb, truncated PNG and JPEG, an image
 * over --max-pixels) are refused with a message naming the file and what to do.
 */
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { readImage } from '../src/image.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { writeTinyModel } from './helpers/tiny-model.ts';

const DIR = resolve(import.meta.dirname, 'fixtures/images');
const fixture = (name: string) => join(DIR, name);

async function expected(name: string): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(fixture(name.replace(/\.\w+$/, '.expected.png')))
    .raw()
    .toBuffer({ resolveWithObject: true });
  expect(info.channels).toBe(3);
  return { data, width: info.width, height: info.height };
}

function differences(a: Buffer, b: Buffer): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

/** Decodes `name` and compares it with PIL's decode; returns the pixel differences. */
async function compare(name: string): Promise<{ max: number; mean: number }> {
  const img = await readImage(fixture(name));
  const ref = await expected(name);
  expect([img.width, img.height]).toEqual([ref.width, ref.height]);
  return differences(img.rgb, ref.data);
}

describe('decoding matches PIL', () => {
  // Alpha compositing rounds differently in libvips and PIL: at most 1 apart.
  it.each(['rgb.png', 'rgba.png', 'gray.png', 'gray-alpha.png', 'palette.png', 'palette-trns.png', 'rgb16.png', 'gray16.png'])(
    '%s',
    async (name) => {
      expect((await compare(name)).max).toBeLessThanOrEqual(1);
    },
  );

  it('palette + tRNS: the transparent entry becomes white, the others keep their colour', async () => {
    const img = await readImage(fixture('palette-trns.png'));
    expect([...img.rgb.subarray(0, 3)]).toEqual([255, 255, 255]);
    const green = img.rgb.subarray(8 * 3, 8 * 3 + 3); // pixel (8, 0): the green block
    expect([...green]).toEqual([30, 200, 40]);
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('EXIF orientation %i is applied', async (orientation) => {
    const name = `orient-${orientation}.jpg`;
    const img = await readImage(fixture(name));
    // 24×16 stored; orientations 5..8 transpose it.
    expect([img.width, img.height]).toEqual(orientation >= 5 ? [16, 24] : [24, 16]);
    expect((await compare(name)).max).toBeLessThanOrEqual(2);
  });

  it('a CMYK JPEG decodes to RGB, colour-managed (PIL converts naively: 255 - C - K)', async () => {
    const { max, mean } = await compare('cmyk.jpg');
    // An inverted (Adobe) CMYK or swapped channels would be ~200 off.
    expect(max).toBeLessThan(100);
    expect(mean).toBeLessThan(30);
    const img = await readImage(fixture('cmyk.jpg'));
    const [r, g, b] = img.rgb.subarray(0, 3);
    expect(r).toBeGreaterThan(g + 100); // the top-left block is red
    expect(r).toBeGreaterThan(b + 100);
  });

  it.each(['animated.gif', 'animated.webp'])('%s: the first frame, with a notice', async (name) => {
    const notices: string[] = [];
    const img = await readImage(fixture(name), { onNotice: (m) => notices.push(m) });
    expect(img.frames).toBe(3);
    expect(notices).toEqual([`${fixture(name)}: an animation of 3 frames; explaining its first frame`]);
    expect((await compare(name)).max).toBe(0);
  });
});

describe('hostile images are refused before decoding', () => {
  it('a decompression bomb: 20000×20000 declared in a 138-byte PNG', async () => {
    const err = await readImage(fixture('bomb.png')).catch((e) => e);
    expect(err.code).toBe('resource-limit');
    expect(err.message).toBe(
      `The image declares 20000×20000 = 400,000,000 pixels, more than the limit of 100,000,000 (file '${fixture('bomb.png')}'). Use a smaller image, or raise the limit with --max-pixels if you trust this file`,
    );
    // Past the limit, the decoder still refuses its one-row pixel data (failOn), streaming.
    const raised = await readImage(fixture('bomb.png'), { maxPixels: 4e9 }).catch((e) => e);
    expect(raised.code).toBe('bad-input');
  });

  it('the limit is configurable and inclusive', async () => {
    expect((await readImage(fixture('rgb.png'), { maxPixels: 24 * 16 })).width).toBe(24);
    await expect(readImage(fixture('rgb.png'), { maxPixels: 24 * 16 - 1 })).rejects.toThrow(
      /declares 24×16 = 384 pixels, more than the limit of 383 /,
    );
  });

  it.each(['truncated.png', 'truncated.jpg'])('%s fails instead of decoding to grey', async (name) => {
    const err = await readImage(fixture(name)).catch((e) => e);
    expect(err.code).toBe('bad-input');
    // libvips' own detail ('premature end of JPEG image', sometimes 'Unknown error') varies
    expect(err.message).toMatch(/^Cannot decode the image, it is corrupt, truncated or not an image \(/);
    expect(err.message).toContain(`file '${fixture(name)}'`);
    expect(err.message).toMatch(/copy or download it again$/);
  });
});

describe('camanim explain with an animated GIF', () => {
  it('explains its first frame and says so', async () => {
    const tmp = scratch();
    const model = writeTinyModel(join(tmp, 'tiny.onnx'));
    const r = await camanim([
      'explain',
      '--model',
      model,
      '--image',
      fixture('animated.gif'),
      '--format',
      'bundle',
      '--out',
      join(tmp, 'out'),
    ]);
    expect(r.code).toBe(0);
    expect(r.err).toContain('animated.gif: an animation of 3 frames; explaining its first frame');
    expect(r.out).toMatch(/animated\/bundle\/manifest\.json/);
  }, 120_000);
});
