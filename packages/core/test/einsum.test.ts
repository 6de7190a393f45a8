import { describe, expect, it } from 'vitest';
import { isCamanimError } from '../src/errors.ts';
import { loadModel } from '../src/load-model.ts';
import { listCases, runCase } from '../../../test/conformance/cases.ts';
import { EXCLUDED } from '../../../test/conformance/exclusions.ts';
import { maxRelError, random, singleOpModel, testRuntime } from './gpu.ts';
import { gradCheck } from './gradcheck.ts';
import { encodeModel } from './onnx-builder.ts';
import { ortNode } from './ort-node.ts';

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const report = (what: string, e: number) => process.env.CAMANIM_REPORT && console.log(`${what}: ${e}`);

const cases: { eq: string; a: number[]; b: number[] }[] = [
  { eq: 'bhid,bhjd->bhij', a: [2, 3, 4, 5], b: [2, 3, 6, 5] },
  { eq: 'bhij,bhjd->bhid', a: [2, 3, 4, 6], b: [2, 3, 6, 5] },
  { eq: 'bij,bjk->bik', a: [3, 5, 7], b: [3, 7, 4] },
  { eq: 'bqhd,bkhd->bhqk', a: [2, 5, 3, 4], b: [2, 6, 3, 4] },
  { eq: 'bhqk,bkhd->bqhd', a: [2, 3, 5, 6], b: [2, 6, 3, 4] },
  { eq: 'ik,jk->ij', a: [5, 8], b: [6, 8] },
  { eq: 'ij,jk', a: [4, 3], b: [3, 5] },
  { eq: 'bij,bjkl->bikl', a: [2, 3, 4], b: [2, 4, 2, 5] },
  { eq: 'i,i->', a: [7], b: [7] },
];

describe('Einsum matches onnxruntime', () => {
  for (const t of cases) {
    it(t.eq, async () => {
      const a = random(size(t.a), 81);
      const b = random(size(t.b), 82);
      const ref = await ortNode(
        'Einsum',
        [
          { shape: t.a, data: a },
          { shape: t.b, data: b },
        ],
        { equation: t.eq },
        12,
      );
      for (const constant of [false, true]) {
        const { model, feeds } = await singleOpModel(
          'Einsum',
          [
            { shape: t.a, data: a, constant },
            { shape: t.b, data: b, constant },
          ],
          { equation: t.eq },
          { opset: 12 },
        );
        const run = await model.run(feeds);
        const y = await run.read('out0');
        expect(y.shape).toEqual(ref.shape);
        const e = maxRelError(y.data, ref.data);
        report(`fwd ${t.eq}${constant ? ' folded' : ''}`, e);
        // Measured worst 4.8e-7 (float32 sums of ≤ 8 products).
        expect(e).toBeLessThan(3e-6);
        run.dispose();
        model.dispose();
      }
    });
  }

  for (const [eq, why] of [
    ['ii->i', '1 operand: only two-operand contractions run'],
    ['bij,bjk->bk', 'summed away in one operand alone'],
    ['...ij,...jk->...ik', 'broadcasting with \\.\\.\\.'],
    ['bii,bij->bij', 'repeats a letter'],
    ['bijk,bkj->bi', 'not adjacent in the same order'],
  ] as const) {
    it(`refuses '${eq}' at load time, naming the equation and the node`, async () => {
      const bytes = encodeModel({
        nodes: [
          {
            op: 'Einsum',
            inputs: eq === 'ii->i' ? ['x'] : ['x', 'x'],
            outputs: ['y'],
            name: 'attention_scores',
            attrs: { equation: eq },
          },
        ],
        inputs: [{ name: 'x', dims: [2, 2, 2] }],
        outputs: ['y'],
        opset: 12,
      });
      const err = await loadModel(bytes, { runtime: await testRuntime() }).catch((e) => e);
      expect(isCamanimError(err), String(err)).toBe(true);
      expect(String(err.message)).toMatch(
        new RegExp(`Einsum.*equation '${eq.replace(/\./g, '\\.')}'.*${why}.*attention_scores`, 's'),
      );
    });
  }
});

describe('Einsum VJPs agree with finite differences', () => {
  for (const t of cases.slice(0, 8)) {
    it(t.eq, async () => {
      const worst = await gradCheck(
        'Einsum',
        [
          { shape: t.a, data: random(size(t.a), 81) },
          { shape: t.b, data: random(size(t.b), 82) },
        ],
        { equation: t.eq },
        { opset: 12, tol: 2e-5, samples: 24 },
      );
      report(`vjp ${t.eq}`, worst);
      // Measured worst 6.6e-6 (central differences at ε = 1e-2 over float32 forwards).
    });
  }
});

describe('ONNX backend cases (their float64 tensors run in float32)', () => {
  const { cases: found } = listCases(/^test_einsum_/);
  it('finds them', () => expect(found.length).toBeGreaterThan(0));
  for (const c of found) {
    it(c.name, async () => {
      if (EXCLUDED[c.name]) {
        // Excluded ones are refused at load time, naming the equation.
        const err = await runCase({ ...c, skip: undefined }, await testRuntime()).catch((e) => e);
        expect(isCamanimError(err), String(err)).toBe(true);
        expect(String(err.message)).toMatch(/Einsum.*'.*->.*'/s);
        return;
      }
      const r = await runCase({ ...c, skip: undefined }, await testRuntime());
      expect(r.detail).toBe('');
    });
  }
});
