/**
 * The eval folder's readers (eval-folder/): a gallery item reads back what was encoded, and a
 * truncated, padded or foreign file is refused saying so; aggregates.json and gallery.json are
 * refused field by field, cut-short JSON says so, and a gallery from another run's layers is
 * refused against the aggregates beside it. No GPU.
 */
import { describe, expect, it } from 'vitest';
import {
  BundleError,
  checkGalleryAgainst,
  encodeGalleryItem,
  parseAggregates,
  parseGalleryIndex,
  readGalleryHeader,
  readGalleryItem,
  type Aggregates,
  type GalleryIndex,
  type GalleryItemHeader,
} from '../src/index.ts';

const header: GalleryItemHeader = {
  image: 'a'.repeat(64),
  thumb: { width: 4, height: 2, byteLength: 5 },
  map: { width: 2, height: 2 },
  maps: [
    { method: 'gradcam', layer: 0, min: 0, max: 1.5 },
    { method: 'gradcam', layer: 1, min: 0.25, max: 2 },
  ],
};
const png = new Uint8Array([1, 2, 3, 4, 5]);
const maps = [new Uint8Array([0, 85, 170, 255]), new Uint8Array([255, 0, 0, 9])];

const stats = (mean: number) => ({ n: 5, mean, sd: 0.1, lo: mean - 0.1, hi: mean + 0.1 });
const aggregates: Aggregates = {
  images: 5,
  failed: 1,
  accuracy: { labelled: 5, correct: 5, value: 1 },
  methods: [
    {
      method: 'gradcam',
      metric: 'road',
      layers: [
        { layer: 0, name: 'a', stats: stats(0.3) },
        { layer: 1, name: 'b', stats: { n: 1, mean: 0.4, sd: Number.NaN, lo: Number.NaN, hi: Number.NaN } },
      ],
      bestLayer: [2, 3],
      perClass: { bag: [0.3, Number.NaN] },
      modelMean: stats(0.35),
    },
  ],
};
const gallery: GalleryIndex = {
  version: 1,
  created: '2026-01-01T00:00:00Z',
  model: 'm.onnx',
  dataset: '/data',
  run: { modelHash: 'm', settingsHash: 's' },
  classes: ['bag', 'boot'],
  input: { width: 4, height: 2 },
  thumb: { width: 4, height: 2 },
  map: { width: 2, height: 2 },
  methods: [{ method: 'gradcam', layers: ['a', 'b'] }],
  images: [
    {
      hash: 'h',
      path: 'bag/x.png',
      label: 'bag',
      labelIndex: 0,
      predicted: 1,
      status: 'ok',
      reason: null,
      file: 'gallery/r/h.bin',
      scores: { gradcam: { road: [0.1, 0.2] } },
    },
  ],
};

/** What a refusal says. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BundleError);
    expect((e as BundleError).code).toMatch(/^bad-(eval|version)$/);
    return (e as BundleError).message;
  }
  throw new Error('not refused');
}

describe('gallery item', () => {
  const bytes = encodeGalleryItem(header, png, maps);

  it('reads back what was encoded', () => {
    const item = readGalleryItem(bytes, 'x.bin');
    expect(item.header).toEqual(header);
    expect([...item.png]).toEqual([...png]);
    expect([...item.map('gradcam', 0)!]).toEqual([...maps[0]]);
    expect([...item.map('gradcam', 1)!]).toEqual([...maps[1]]);
    expect(item.map('gradcam', 2)).toBeUndefined();
  });

  it('refuses a truncated, padded or foreign file, saying why', () => {
    expect(refusal(() => readGalleryItem(bytes.subarray(0, bytes.length - 1), 'x.bin'))).toMatch(
      /^The gallery item is \d+ bytes; its header says \d+ \(a 5-byte PNG and 2 maps of 2×2\) \(x\.bin\)\. The file is damaged or truncated/,
    );
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    expect(refusal(() => readGalleryItem(padded, 'x.bin'))).toMatch(/its header says/);
    expect(refusal(() => readGalleryItem(new TextEncoder().encode('PNG, not an item'), 'x.bin'))).toMatch(
      /does not start with 'CAMGAL01'/,
    );
    expect(refusal(() => readGalleryHeader(bytes.subarray(0, 20), bytes.length, 'x.bin'))).toMatch(
      /shorter than its \d+-byte header/,
    );
  });
});

describe('aggregates.json and gallery.json', () => {
  it('read back (null as NaN), and refuse a bad field naming it', () => {
    const back = parseAggregates(JSON.stringify(aggregates), 'out');
    expect(back.methods[0].layers[1].stats.lo).toBeNaN();
    expect(back.methods[0].perClass.bag[1]).toBeNaN();
    expect(parseGalleryIndex(JSON.stringify(gallery), 'out')).toEqual(gallery);
    const bad = JSON.parse(JSON.stringify(aggregates));
    bad.methods[0].layers[0].stats.mean = 'x';
    expect(refusal(() => parseAggregates(JSON.stringify(bad), 'out'))).toMatch(
      /^aggregates\.json's methods\[0\]\.layers\[0\]\.stats\.mean must be a number, got "x" \(out\)/,
    );
    const short = JSON.parse(JSON.stringify(gallery));
    short.images[0].scores.gradcam.road = [0.1];
    expect(refusal(() => parseGalleryIndex(JSON.stringify(short), 'out'))).toMatch(
      /gallery\.json's images\[0\]\.scores\.gradcam\.road must hold 2 values \(one per layer\)/,
    );
    expect(refusal(() => parseGalleryIndex(JSON.stringify({ ...gallery, version: 9 }), 'out'))).toMatch(
      /Unknown gallery\.json version 9/,
    );
  });

  it('say a file cut short is not JSON', () => {
    const text = JSON.stringify(aggregates);
    expect(refusal(() => parseAggregates(text.slice(0, text.length / 2), 'out'))).toMatch(
      /^aggregates\.json is not valid JSON \(.+\): damaged, or cut short by an interrupted copy/,
    );
  });

  it("refuse a gallery whose layers are not the aggregates'", () => {
    checkGalleryAgainst(gallery, aggregates, 'out');
    const other = { ...gallery, methods: [{ method: 'gradcam', layers: ['a', 'c'] }] };
    expect(refusal(() => checkGalleryAgainst(other, aggregates, 'out'))).toMatch(
      /gallery\.json and aggregates\.json disagree on method 'gradcam': layers a, c against a, b/,
    );
  });
});
