/**
 * ArgMax and ArgMin against onnxruntime: every axis, keepdims and select_last_index, with ties,
 * on the GPU (a fed input) and folded (a constant). NaN against numpy's definition (NaN is the
 * extreme): onnxruntime 1.30 is no reference there, its answer depends on the code path (ArgMax
 * of [1, NaN, 3, 3, NaN, -1] is 1 as a vector, 2 as a row of a matrix). Indices computed on the GPU
 * are compared, cast and returned; ops that need them before the run refuse them at plan time.
 */
import { describe, expect, it } from 'vitest';
import type { Graph } from '../src/graph/ir.ts';
import { graphModel, irNode, random, singleOpModel } from './gpu.ts';
import { ortNode } from './ort-node.ts';

const shape = [3, 4, 5];
const size = shape.reduce((a, b) => a * b, 1);
// Three levels: many ties along every axis.
const tied = Array.from(random(size, 31), (v) => Math.round(v));

async function camanim(
  op: string,
  data: ArrayLike<number>,
  dims: number[],
  attrs: Record<string, number>,
  constant: boolean,
  opset = 13,
) {
  const { model, feeds } = await singleOpModel(op, [{ shape: dims, data, constant }], attrs, { opset });
  const run = await model.run(feeds);
  const y = await run.read('out0');
  run.dispose();
  model.dispose();
  return { data: Array.from(y.data), shape: y.shape };
}

/** The first (or last) position of the extreme of each row, NaN the extreme: numpy's argmax/argmin. */
function reference(data: readonly number[], dims: number[], axis: number, largest: boolean, last: boolean): number[] {
  const a = axis < 0 ? axis + dims.length : axis;
  const n = dims[a];
  const inner = dims.slice(a + 1).reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let r = 0; r < data.length / n; r++) {
    const base = Math.floor(r / inner) * n * inner + (r % inner);
    const row = Array.from({ length: n }, (_, b) => data[base + b * inner]);
    const nan = row.map((v, b) => (Number.isNaN(v) ? b : -1)).filter((b) => b >= 0);
    const best = largest ? Math.max(...row) : Math.min(...row);
    const at = nan.length ? nan : row.map((v, b) => (v === best ? b : -1)).filter((b) => b >= 0);
    out.push(last ? at[at.length - 1] : at[0]);
  }
  return out;
}

describe('ArgMax and ArgMin match onnxruntime (ties included)', () => {
  for (const op of ['ArgMax', 'ArgMin']) {
    for (const axis of [0, 1, -1]) {
      for (const keepdims of [1, 0]) {
        for (const last of [0, 1]) {
          it(`${op} axis ${axis} keepdims ${keepdims} select_last_index ${last}`, async () => {
            const attrs = { axis, keepdims, select_last_index: last };
            const ref = await ortNode(op, [{ shape, data: tied }], attrs, 13, 'int64');
            for (const constant of [false, true]) {
              const y = await camanim(op, tied, shape, attrs, constant);
              expect(y.shape).toEqual(ref.shape);
              // Indices: exact.
              expect(y.data).toEqual(Array.from(ref.data));
            }
          });
        }
      }
    }
  }

  it('defaults to axis 0, keepdims 1 (opset 11, before select_last_index)', async () => {
    const ref = await ortNode('ArgMax', [{ shape, data: tied }], {}, 11, 'int64');
    const y = await camanim('ArgMax', tied, shape, {}, false, 11);
    expect(y.shape).toEqual([1, 4, 5]);
    expect(y.data).toEqual(Array.from(ref.data));
  });
});

describe('NaN is the extreme of ArgMax and ArgMin', () => {
  const dims = [4, 6];
  const data = [1, NaN, 3, 3, NaN, -1, 2, 2, -5, 7, 7, 0, NaN, NaN, NaN, NaN, NaN, NaN, 0, -1, 4, 4, -1, 0];
  for (const op of ['ArgMax', 'ArgMin']) {
    for (const last of [0, 1]) {
      it(`${op} select_last_index ${last}`, async () => {
        const attrs = { axis: 1, keepdims: 0, select_last_index: last };
        const want = reference(data, dims, 1, op === 'ArgMax', last === 1);
        for (const constant of [false, true]) expect((await camanim(op, data, dims, attrs, constant)).data).toEqual(want);
      });
    }
  }
});

describe('indices computed on the GPU', () => {
  const graph = (nodes: Graph['nodes'], out: string): Graph => ({
    nodes,
    inputs: [{ name: 'x', dtype: 'float32', dims: [2, 5] }],
    outputs: [{ name: out, dtype: 'float32', dims: [] }],
    initializers: new Map([
      ['table', { dtype: 'float32', shape: [5], data: Float32Array.from([10, 20, 30, 40, 50]) }],
      ['two', { dtype: 'int64', shape: [], data: Float64Array.from([2]) }],
    ]),
    opset: 13,
    source: 'arg.test',
  });
  const x = { data: Float32Array.from([0, 4, 1, 3, 2, 9, 8, 7, 6, 5]), shape: [2, 5] };

  it('are compared and cast to int32 and float', async () => {
    const model = await graphModel(
      graph(
        [
          irNode('ArgMax', ['x'], ['i'], { axis: 1, keepdims: 0 }),
          irNode('Equal', ['i', 'two'], ['eq']),
          irNode('Cast', ['eq'], ['y'], { to: 1 }),
          irNode('Cast', ['i'], ['i32'], { to: 6 }),
          irNode('Cast', ['i32'], ['f'], { to: 1 }),
        ],
        'y',
      ),
    );
    const run = await model.run(x);
    expect(Array.from((await run.read('y')).data)).toEqual([0, 0]);
    expect(Array.from((await run.read('f')).data)).toEqual([1, 0]);
    run.dispose();
    model.dispose();
  });

  it('are refused at plan time by an op that needs them before the run, naming the node and op', async () => {
    const model = await graphModel(
      graph([irNode('ArgMax', ['x'], ['i'], { axis: 1, keepdims: 0 }), irNode('Gather', ['table', 'i'], ['y'])], 'y'),
    );
    await expect(model.run(x)).rejects.toThrow(
      /Input 1 \('i'\) must be known before the run.*node 'Gather:y', op 'Gather'.*holds indices computed from the image \(ArgMax, ArgMin, TopK\); Gather needs them before the run/s,
    );
    model.dispose();
  });

  it('are refused by integer arithmetic, naming the node and op', async () => {
    const model = await graphModel(graph([irNode('ArgMin', ['x'], ['i'], { axis: 1 }), irNode('Add', ['i', 'two'], ['y'])], 'y'));
    await expect(model.run(x)).rejects.toThrow(
      /Output 'y' is int64 and not known before the run.*node 'Add:y', op 'Add'.*Its input 'i' holds indices computed on the GPU/s,
    );
    model.dispose();
  });
});
