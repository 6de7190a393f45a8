/** Pure geometry, no browser: the atlas fits the texture limit, the stack and its camera path. */
import { describe, expect, test } from 'vitest';
import { AtlasLayout } from '../src/AtlasLayout.ts';
import { StackLayout } from '../src/StackLayout.ts';

describe('AtlasLayout', () => {
  test.each([
    [12, 96, 96, 8192],
    [119, 224, 224, 8192],
    [400, 224, 224, 8192],
    [2000, 512, 384, 4096],
    [1, 1000, 10, 2048],
  ])('%i layers at %i×%i within %i px', (layers, w, h, max) => {
    const a = new AtlasLayout(layers, w, h, max);
    expect(a.width).toBeLessThanOrEqual(max);
    expect(a.height).toBeLessThanOrEqual(max);
    expect(a.cols * a.rows).toBeGreaterThanOrEqual(layers);
    expect(a.tileW).toBeLessThanOrEqual(Math.max(w, 256));
    // Tiles keep the input's aspect (to a pixel) and never overlap.
    expect(Math.abs(a.tileW / a.tileH - w / h)).toBeLessThan(w / h / Math.min(a.tileW, a.tileH) + 0.02);
    const seen = new Set<string>();
    for (let k = 0; k < layers; k++) {
      const [x, y] = a.origin(k);
      expect(x + a.tileW).toBeLessThanOrEqual(a.width);
      expect(y + a.tileH).toBeLessThanOrEqual(a.height);
      seen.add(`${x},${y}`);
    }
    expect(seen.size).toBe(layers);
  });

  test('small inputs keep their full resolution (pixels match the CPU colormap exactly)', () => {
    const a = new AtlasLayout(30, 96, 96, 8192);
    expect([a.tileW, a.tileH]).toEqual([96, 96]);
  });
});

describe('StackLayout', () => {
  const shapes: [number, number][] = [
    [48, 48],
    [48, 48],
    [24, 24],
    [24, 24],
    [12, 12],
    [6, 6],
  ];
  const stages = [
    { index: 0, first: 0, last: 1, mapShape: [48, 48] as const },
    { index: 1, first: 2, last: 3, mapShape: [24, 24] as const },
    { index: 2, first: 4, last: 4, mapShape: [12, 12] as const },
    { index: 3, first: 5, last: 5, mapShape: [6, 6] as const },
  ];
  const layout = new StackLayout({ inputW: 96, inputH: 96, mapShapes: shapes, stages });

  test('input first, layers in network order along −z, prediction last; size follows resolution', () => {
    const zs = [layout.input, ...layout.planes, layout.prediction].map((p) => p.center[2]);
    for (let k = 1; k < zs.length; k++) expect(zs[k]).toBeLessThan(zs[k - 1]);
    for (let k = 1; k < shapes.length; k++) expect(layout.planes[k].width).toBeLessThanOrEqual(layout.planes[k - 1].width);
    expect(layout.planes[0].width).toBeLessThan(layout.input.width);
  });

  test('stages are separated by a wider gap', () => {
    const gap = (k: number) => layout.planes[k - 1].center[2] - layout.planes[k].center[2];
    expect(gap(2)).toBeGreaterThan(gap(1) * 0.5 + 1);
  });

  test("each station's camera sits in front of its plane and behind the one before", () => {
    for (let k = 0; k < shapes.length; k++) {
      const z = layout.station(k).position[2];
      expect(z).toBeGreaterThan(layout.planes[k].center[2]);
      expect(z).toBeLessThan(k === 0 ? layout.input.center[2] : layout.planes[k - 1].center[2]);
    }
  });

  test.each([
    [192, 48],
    [48, 192],
    [224, 224],
    [256, 32],
    [32, 256],
  ])('%i×%i (W×H): the input and every plane at the input aspect, the longer side in view', (W, H) => {
    const maps: [number, number][] = [
      [H / 2, W / 2],
      [H / 4, W / 4],
      [H / 16, W / 16],
    ];
    const l = new StackLayout({
      inputW: W,
      inputH: H,
      mapShapes: maps,
      stages: maps.map((m, k) => ({ index: k, first: k, last: k, mapShape: m })),
    });
    for (const p of [l.input, ...l.planes]) {
      expect(p.width / p.height).toBeCloseTo(W / H, 9);
      expect(Math.max(p.width, p.height)).toBeLessThanOrEqual(4);
    }
    // The camera stands back by the longer side: a tall plane fits the view as a wide one does.
    const tall = new StackLayout({ inputW: H, inputH: W, mapShapes: maps.map(([h, w]) => [w, h]), stages: [] });
    expect(l.station(0).position[2] - l.planes[0].center[2]).toBeCloseTo(
      tall.station(0).position[2] - tall.planes[0].center[2],
      9,
    );
  });

  // Issue #16: at the last layer the "stage 6 · 1×48" banner covered the prediction card's title.
  test.each([
    [
      'a one-layer last stage at 1×48 of a 48×192 input',
      192,
      48,
      [
        [24, 96],
        [12, 48],
        [1, 48],
      ],
    ],
    [
      'a one-layer last stage at 7×7 of 224×224',
      224,
      224,
      [
        [56, 56],
        [28, 28],
        [7, 7],
      ],
    ],
    [
      'a large last stage',
      96,
      96,
      [
        [96, 96],
        [96, 96],
      ],
    ],
    [
      'a tall input',
      48,
      192,
      [
        [96, 24],
        [48, 12],
        [48, 1],
      ],
    ],
  ] as [string, number, number, [number, number][]][])(
    'from the last layer no stage title covers the prediction title: %s',
    (_, W, H, maps) => {
      const stages = maps.map((m, k) => ({ index: k, first: k, last: k, mapShape: m }));
      const l = new StackLayout({ inputW: W, inputH: H, mapShapes: maps, stages });
      const eye = l.station(maps.length - 1).position;
      const card = l.prediction;
      const cardTop = card.center[1] + card.height / 2;
      for (const s of stages) {
        const b = l.banner(s.first);
        // The banner's bottom edge, seen from the eye, meets the card's plane at this height.
        const bottom = b.center[1] - b.height / 2;
        const t = (eye[2] - card.center[2]) / (eye[2] - b.center[2]);
        if (b.center[2] >= eye[2]) continue; // behind the camera
        expect(eye[1] + (bottom - eye[1]) * t).toBeGreaterThan(cardTop);
      }
    },
  );

  test('far planes are thinned, near ones and stage starts kept', () => {
    const many = new StackLayout({
      inputW: 224,
      inputH: 224,
      mapShapes: Array.from({ length: 300 }, () => [14, 14] as [number, number]),
      stages: [{ index: 0, first: 0, last: 299, mapShape: [14, 14] }],
    });
    const vis = many.visible(0, new Set([0]));
    expect(vis.slice(0, 25).every(Boolean)).toBe(true);
    expect(vis.filter(Boolean).length).toBeLessThan(120);
    expect(vis[299]).toBe(true);
  });
});
