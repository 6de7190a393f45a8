/** The output contract's task layouts: a sequence's time axis and a detection head's format are read or refused, never guessed. */
import { describe, expect, it } from 'vitest';
import { resolveOutputContract } from '../src/contract/output-contract.ts';
import type { Graph } from '../src/graph/ir.ts';

/** x → Relu → y, with `dims` declared on y and `shape` its inferred shape at a batch of 1. */
const graph = (inDims: (number | string)[], outDims: (number | string)[]): Graph => ({
  nodes: [{ name: 'relu', opType: 'Relu', domain: '', inputs: ['x'], outputs: ['y'], attributes: new Map() }],
  inputs: [{ name: 'x', dtype: 'float32', dims: inDims }],
  outputs: [{ name: 'y', dtype: 'float32', dims: outDims }],
  initializers: new Map(),
  opset: 17,
  source: 'task.onnx',
});
const resolve = (g: Graph, shape: number[], request: Parameters<typeof resolveOutputContract>[2]) =>
  resolveOutputContract(g, () => shape, request);

describe('--task sequence', () => {
  it("reads the time axis from the declared dim carrying the input's batch, else from the batch of 1", () => {
    const tnc = resolve(graph(['b', 3, 32, 100], [25, 'b', 37]), [25, 1, 37], { task: 'sequence' });
    expect([tnc.sequence?.layout, tnc.sequence?.steps, tnc.classes]).toEqual(['TNC', 25, 37]);
    expect(tnc.sequence?.from).toBe("the output's dim 'b', the input's batch");
    const fixed = resolve(graph([1, 3, 32, 100], [1, 25, 37]), [1, 25, 37], { task: 'sequence' });
    expect([fixed.sequence?.layout, fixed.sequence?.from]).toEqual(['NTC', 'the axis of the batch of 1']);
  });

  it('refuses a layout nothing tells, naming --sequence-layout, and honours the flag', () => {
    const g = graph([1, 3, 32, 8], [1, 1, 37]);
    expect(() => resolve(g, [1, 1, 37], { task: 'sequence' })).toThrow(
      /Output 'y' is \[1, 1, 37\]: which of its first two axes is time cannot be read[\s\S]*--sequence-layout tnc/,
    );
    expect(resolve(g, [1, 1, 37], { task: 'sequence', sequenceLayout: 'TNC' }).sequence).toEqual({
      layout: 'TNC',
      steps: 1,
      from: '--sequence-layout',
    });
    expect(() => resolve(g, [1, 37], { task: 'sequence' })).toThrow(/--task sequence needs a \[T, N, C\] or \[N, T, C\] output/);
  });
});

describe('--task detect', () => {
  it('never reads the head layout from the shape: refused without --detect-format, checked against it', () => {
    const g = graph(['b', 3, 64, 64], ['b', 8400, 84]);
    expect(() => resolve(g, [1, 8400, 84], { task: 'detect' })).toThrow(
      /--task detect needs the layout of output 'y' \[1, 8400, 84\][\s\S]*--detect-format yolov5/,
    );
    const v5 = resolve(g, [1, 8400, 85], { task: 'detect', detectFormat: 'yolov5' });
    expect([v5.detect?.boxes, v5.classes]).toEqual([8400, 80]);
    const v8 = resolve(g, [1, 84, 8400], { task: 'detect', detectFormat: 'yolov8' });
    expect([v8.detect?.boxes, v8.classes]).toEqual([8400, 80]);
    expect(() => resolve(g, [1, 8400, 5], { task: 'detect', detectFormat: 'yolov5' })).toThrow(
      /--detect-format yolov5 needs \[N, boxes, 4\+1\+K\] with K ≥ 1/,
    );
  });

  it("reads an Ultralytics export's metadata_props (author, task detect) as its YOLOv8-family head; a flag still wins", () => {
    const g: Graph = {
      ...graph(['b', 3, 64, 64], ['b', 84, 8400]),
      metadata: new Map([
        ['author', 'Ultralytics'],
        ['task', 'detect'],
      ]),
    };
    const read = resolve(g, [1, 84, 8400], { task: 'detect' });
    expect([read.detect?.format, read.detect?.boxes, read.classes, read.detect?.from]).toEqual([
      'yolov8',
      8400,
      80,
      "the model's metadata (author Ultralytics, task detect)",
    ]);
    expect(resolve(g, [1, 84, 8400], { task: 'detect', detectFormat: 'yolov5' }).detect?.from).toBe('--detect-format');
    const segmenter: Graph = {
      ...g,
      metadata: new Map([
        ['author', 'Ultralytics'],
        ['task', 'segment'],
      ]),
    };
    expect(() => resolve(segmenter, [1, 84, 8400], { task: 'detect' })).toThrow(/--detect-format/);
  });
});
