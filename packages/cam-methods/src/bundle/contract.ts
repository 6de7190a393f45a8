/**
 * manifest.contract: core's ModelContract, every field read and checked (validate.ts's rule:
 * a field core adds to the contract fails to compile here until it is read).
 */
import type { DetectAxes, FrameAxis, InputContract, OutputContract, Postprocess, SequenceAxes } from '@camanim/core';
import type { Fields } from './fields.ts';
import type { BundleContract, Complete } from './manifest.ts';

const OUTPUT_TASKS = ['classify', 'segment', 'regress', 'embed', 'sequence', 'detect'] as const;

export function readContract(f: Fields, v: unknown): BundleContract {
  const c = f.object(v, 'contract');
  const out: Complete<BundleContract> = {
    input: readInput(f, c.input),
    output: readOutput(f, c.output),
    adapter:
      c.adapter === undefined ? undefined : f.oneOf(c.adapter, 'contract.adapter', ['channels-last → channels-first'] as const),
    summary: f.string(c.summary, 'contract.summary'),
  };
  return out;
}

function readInput(f: Fields, v: unknown): InputContract {
  const i = f.object(v, 'contract.input');
  const size = f.ints(i.size, 'contract.input.size', 2, 1);
  const channels = f.oneOf(i.channels, 'contract.input.channels', [1, 3] as const);
  const out: Complete<InputContract> = {
    size: [size[0], size[1]],
    frames: i.frames === undefined ? undefined : readFrames(f, i.frames),
    layout: f.oneOf(i.layout, 'contract.input.layout', ['NCHW', 'NHWC'] as const),
    channels,
    order: f.oneOf(i.order, 'contract.input.order', ['RGB', 'BGR'] as const),
    scale: f.oneOf(i.scale, 'contract.input.scale', [1, 255] as const),
    mean: f.numbers(i.mean, 'contract.input.mean', channels, { orOne: true }),
    std: f.numbers(i.std, 'contract.input.std', channels, { orOne: true, positive: true }),
    resize: f.oneOf(i.resize, 'contract.input.resize', ['crop', 'pad', 'stretch'] as const),
    cropFraction: f.finite(i.cropFraction, 'contract.input.cropFraction'),
    align: f.oneOf(i.align, 'contract.input.align', ['center', 'start'] as const),
    sources: f.strings(i.sources, 'contract.input.sources') as InputContract['sources'],
  };
  return out;
}

function readFrames(f: Fields, v: unknown): FrameAxis {
  const t = f.object(v, 'contract.input.frames');
  const out: Complete<FrameAxis> = {
    count: f.int(t.count, 'contract.input.frames.count', 1),
    from: f.string(t.from, 'contract.input.frames.from'),
  };
  return out;
}

function readOutput(f: Fields, v: unknown): OutputContract {
  const o = f.object(v, 'contract.output');
  const out: Complete<OutputContract> = {
    name: f.string(o.name, 'contract.output.name'),
    shape: f.ints(o.shape, 'contract.output.shape', undefined, 0),
    activation: f.oneOf(o.activation, 'contract.output.activation', ['softmax', 'logsoftmax', 'sigmoid', 'none'] as const),
    explained: f.string(o.explained, 'contract.output.explained'),
    classes: f.int(o.classes, 'contract.output.classes', 0),
    task: f.oneOf(o.task, 'contract.output.task', OUTPUT_TASKS),
    from: f.string(o.from, 'contract.output.from'),
    sequence: o.sequence === undefined ? undefined : readSequence(f, o.sequence),
    detect: o.detect === undefined ? undefined : readDetect(f, o.detect),
  };
  return out;
}

function readSequence(f: Fields, v: unknown): SequenceAxes {
  const s = f.object(v, 'contract.output.sequence');
  const out: Complete<SequenceAxes> = {
    layout: f.oneOf(s.layout, 'contract.output.sequence.layout', ['TNC', 'NTC'] as const),
    steps: f.int(s.steps, 'contract.output.sequence.steps', 1),
    from: f.string(s.from, 'contract.output.sequence.from'),
  };
  return out;
}

function readDetect(f: Fields, v: unknown): DetectAxes {
  const d = f.object(v, 'contract.output.detect');
  const out: Complete<DetectAxes> = {
    format: f.oneOf(d.format, 'contract.output.detect.format', ['yolov5', 'yolov8', 'boxes-scores'] as const),
    boxes: f.int(d.boxes, 'contract.output.detect.boxes', 1),
    from: f.string(d.from, 'contract.output.detect.from'),
    postprocess: d.postprocess === undefined ? undefined : readPostprocess(f, d.postprocess),
  };
  return out;
}

function readPostprocess(f: Fields, v: unknown): Postprocess {
  const p = f.object(v, 'contract.output.detect.postprocess');
  const at = (k: string) => `contract.output.detect.postprocess.${k}`;
  const out: Complete<Postprocess> = {
    boxes: f.string(p.boxes, at('boxes')),
    scores: f.string(p.scores, at('scores')),
    classes: f.ints(p.classes, at('classes'), undefined, 0),
    scoreThreshold: f.finite(p.scoreThreshold, at('scoreThreshold')),
    iou: f.finite(p.iou, at('iou')),
    topK: p.topK === undefined ? undefined : f.int(p.topK, at('topK'), 1),
    maxDetections: p.maxDetections === undefined ? undefined : f.int(p.maxDetections, at('maxDetections'), 1),
    labels: p.labels === undefined ? undefined : f.ints(p.labels, at('labels'), undefined, 0),
    minSize: p.minSize === undefined ? undefined : f.finite(p.minSize, at('minSize')),
  };
  return out;
}
