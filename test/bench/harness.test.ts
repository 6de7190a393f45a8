/** The benchmark harness's own logic (no timing): statistics, subsets, tables, inputs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_DIR } from './lib/env.ts';
import { fmtMs, fmtRatio, measure, measureReported, median, randomInput } from './lib/measure.ts';
import { render, table } from './lib/table.ts';
import { namesRegex } from './eval.ts';
import { spread } from './road.ts';

describe('bench harness', () => {
  it('median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('measure: warm-up runs are not samples; the budget stops repetitions after minReps', async () => {
    let calls = 0;
    const t = await measure(async () => void calls++, { warmup: 2, reps: 5 });
    expect(calls).toBe(7);
    expect(t.reps).toBe(5);
    expect(t.warmup).toHaveLength(2);
    calls = 0;
    const slow = await measure(() => new Promise((r) => setTimeout(r, 5)).then(() => void calls++), {
      warmup: 0,
      reps: 10,
      minReps: 2,
      budgetMs: 1,
    });
    expect(slow.reps).toBe(2);
  });

  it('measureReported keeps the times the work reports, not its own', async () => {
    let k = 0;
    const t = await measureReported(async () => [5, 7, 3, 9][k++], { warmup: 1, reps: 3 });
    expect(t.warmup).toEqual([5]);
    expect(t.samples).toEqual([7, 3, 9]);
    expect(t.median).toBe(7);
  });

  it('spread picks k indices evenly, ends included, the middle for one', () => {
    expect(spread(119, 4)).toEqual([0, 39, 79, 118]);
    expect(spread(46, 1)).toEqual([22]);
    expect(spread(3, 8)).toEqual([0, 1, 2]);
  });

  it('eval names its layers with a regex that matches exactly them', () => {
    const names = ['/layer1/layer1.0/relu/Relu_output_0', '/conv1/Conv_output_0', 'a+b(c)[d]'];
    const re = new RegExp(namesRegex(names));
    for (const n of names) expect(re.test(n)).toBe(true);
    for (const n of ['/layer1/layer1.0/relu/Relu_output_00', 'x/conv1/Conv_output_0', '/conv1/ConvXoutput_0', 'a+b(c)[d]e'])
      expect(re.test(n)).toBe(false);
  });

  it('renders a markdown table with notes', () => {
    const t = table('T', ['a', 'bb']);
    t.rows.push(['1', '2']);
    t.notes.push('note');
    expect(render(t)).toBe('### T\n\n| a | bb |\n|---|----|\n| 1 | 2  |\n\n- note\n');
    expect(fmtMs(1234)).toBe('1.23 s');
    expect(fmtMs(12.34)).toBe('12.3 ms');
    expect(fmtRatio(5.432)).toBe('5.43×');
  });

  it('the page and Node share one input generator (page/random-input.js), deterministic in [-1, 1)', () => {
    const page = readFileSync(join(BENCH_DIR, 'page', 'bench.js'), 'utf8');
    expect(page).toContain("import { randomInput } from './random-input.js';");
    expect(page).not.toMatch(/function randomInput/);
    const a = randomInput(1000);
    expect(Array.from(randomInput(1000))).toEqual(Array.from(a));
    expect(Array.from(randomInput(1000, 2))).not.toEqual(Array.from(a));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(Math.abs(a.reduce((x, y) => x + y, 0) / a.length)).toBeLessThan(0.1);
  });
});
