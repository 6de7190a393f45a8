/** Label layout, middle elision and the playback rate: plain numbers, no browser. */
import { describe, expect, test } from 'vitest';
import { inside, intersects, packLabels, type Rect } from '../src/LabelPacking.ts';
import { PASS_LAYERS, playbackRate } from '../src/Playback.ts';
import { elideMiddle } from '../src/TextFit.ts';

const box = (x: number, y: number, width = 100, height = 30): Rect => ({ x, y, width, height });

describe('packLabels', () => {
  const view = box(0, 0, 400, 300);

  test('by priority: the first keeps its place, a clashing one takes its next box or is hidden', () => {
    const placed = packLabels(
      [
        { id: 'far', priority: 3, boxes: [box(60, 100)] },
        { id: 'current', priority: -1, boxes: [box(50, 100)] },
        { id: 'near', priority: 1, boxes: [box(90, 110), box(90, 40)] },
      ],
      [],
      view,
    );
    expect([...placed.keys()]).toEqual(['current', 'near']);
    expect(placed.get('near')).toEqual(box(90, 40));
  });

  test('clear of the cards and inside the view; touching edges are not an overlap', () => {
    const card = box(0, 0, 200, 60);
    const placed = packLabels(
      [
        { id: 1, priority: 0, boxes: [box(10, 20)] },
        { id: 2, priority: 1, boxes: [box(350, 200)] },
        { id: 3, priority: 2, boxes: [box(10, 60)] },
        { id: 4, priority: 3, boxes: [box(110, 60)] },
      ],
      [card],
      view,
    );
    expect([...placed.keys()]).toEqual([3, 4]);
    for (const r of placed.values()) expect(inside(r, view) && !intersects(r, card)).toBe(true);
  });

  test('random scenes: what is placed never overlaps', () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let t = 0; t < 50; t++) {
      const cands = Array.from({ length: 30 }, (_, k) => ({
        id: k,
        priority: rnd(),
        boxes: [box(rnd() * 380 - 20, rnd() * 300 - 20), box(rnd() * 380, rnd() * 300)],
      }));
      const cards = [box(rnd() * 300, rnd() * 200, 120, 40)];
      const placed = [...packLabels(cands, cards, view).values()];
      expect(placed.length).toBeGreaterThan(0);
      placed.forEach((a, i) => {
        expect(inside(a, view)).toBe(true);
        expect(cards.some((c) => intersects(a, c))).toBe(false);
        for (const b of placed.slice(i + 1)) expect(intersects(a, b)).toBe(false);
      });
    }
  });
});

test('elideMiddle keeps the start and the end within the count', () => {
  const name = '/model/backbone/stages.2/blocks.11/sublayer.3/Add_output_0';
  for (const n of [5, 12, 31, 40]) {
    const e = elideMiddle(name, n);
    expect(e.length).toBe(n);
    const [head, tail] = e.split('…');
    expect(name.startsWith(head) && name.endsWith(tail)).toBe(true);
  }
  expect(elideMiddle('short', 10)).toBe('short');
});

test('a pass takes at most PASS_LAYERS / speed seconds, shallow stacks fly at the speed chosen', () => {
  expect(playbackRate(2, 12)).toBe(2);
  for (const stations of [61, 166, 501, 5000]) expect(stations / playbackRate(2, stations)).toBeCloseTo(PASS_LAYERS / 2, 9);
});
