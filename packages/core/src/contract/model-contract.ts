/** A model's whole contract, and the one line that tells a user what camanim assumed. */
import type { InputContract } from './input-contract.ts';
import type { OutputContract } from './output-contract.ts';

export interface ModelContract {
  readonly input: InputContract;
  readonly output: OutputContract;
  /** camanim's own change to the graph in front of the model, if any. */
  readonly adapter?: 'channels-last → channels-first';
}

const fmt = (xs: readonly number[]) => xs.map((x) => String(Number(x.toPrecision(6)))).join(',');

export function describeInput(c: InputContract): string {
  const [H, W] = c.size;
  const pixels = c.scale === 255 ? '0..255' : 'x/255';
  const resize =
    c.resize === 'crop'
      ? `centre crop${c.cropFraction < 1 ? ` ${Number(c.cropFraction.toFixed(4))}` : ''}`
      : c.resize === 'pad'
        ? `pad${c.align === 'start' ? ' (at the start)' : ''}`
        : 'stretch';
  const frames = c.frames ? `${c.frames.count} frames of ` : '';
  return `${frames}${H}×${W} ${c.frames ? 'NCTHW' : c.layout} ${c.channels === 1 ? 'gray' : c.order}, ${pixels}, mean ${fmt(c.mean)} std ${fmt(c.std)}, ${resize}`;
}

export function describeOutput(o: OutputContract): string {
  const act = o.activation === 'sigmoid' && o.task === 'classify' ? 'sigmoid, multi-label' : o.activation;
  const end = o.activation === 'none' ? 'scores' : `${act} (explaining '${o.explained}', the scores before it)`;
  return `'${o.name}' [${o.shape.join(', ')}], ${describeTask(o)}, ${end}`;
}

/** "10 classes", "10 classes per pixel (segmentation)", "24 steps × 37 classes (sequence NTC: …)", … */
function describeTask(o: OutputContract): string {
  if (o.sequence) return `${o.sequence.steps} steps × ${o.classes} classes (sequence ${o.sequence.layout}: ${o.sequence.from})`;
  const p = o.detect?.postprocess;
  if (p?.labels)
    return `${o.detect!.boxes} rows, a box and score per proposal and class of ${o.classes} (detection, second stage: the boxes, scores and labels the graph's post-processing reads, from ${o.detect!.from}; run on the host: classes ${[...new Set(p.labels)].join(',')}, score > ${fmt([p.scoreThreshold])}, sides ≥ ${fmt([p.minSize ?? 0])}, NMS IoU ${fmt([p.iou])}, ${p.maxDetections ?? 'all'} kept)`;
  if (p)
    return `${o.detect!.boxes} boxes × ${o.classes} classes (detection: the boxes and scores the graph's post-processing reads, from ${o.detect!.from}; run on the host: classes ${p.classes.join(',')}, score > ${fmt([p.scoreThreshold])}, top ${p.topK ?? 'all'} per class, NMS IoU ${fmt([p.iou])}, ${p.maxDetections ?? 'all'} kept)`;
  if (o.detect)
    return `${o.detect.boxes} boxes × ${o.classes} classes (detection, ${o.detect.format} head before NMS: ${o.detect.from})`;
  if (o.task === 'regress') return `${o.classes} score${o.classes > 1 ? 's' : ''} (regression)`;
  if (o.task === 'embed') return `a ${o.classes}-value embedding`;
  return `${o.classes} classes${o.task === 'segment' ? ' per pixel (segmentation)' : ''}`;
}

/** "input 48×192 NCHW RGB, …; output 'probs' [1, 10], …; adapter …". */
export function describeContract(c: ModelContract): string {
  return `input ${describeInput(c.input)}; output ${describeOutput(c.output)}${c.adapter ? `; adapter ${c.adapter}` : ''}`;
}

/** Where each input field came from, one "field: source" line each. */
export function describeSources(c: InputContract): string[] {
  return [...Object.entries(c.sources).map(([k, v]) => `${k}: ${v}`), ...(c.frames ? [`frames: ${c.frames.from}`] : [])];
}
