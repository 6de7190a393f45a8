/**
 * The task targets beyond classify/segment end to end (`camanim explain --task …`): multi-label
 * sigmoid classes, regression, embedding similarity, CTC and per-step sequence targets in both
 * layouts, and a YOLO-style detection's box score, each held to float64 torch.autograd Grad-CAM
 * references (tools/task_references.py) at several layers; and the refusals with their messages.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readBundle, type BundleCam } from '../src/bundle.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { FIXTURES, mapError, readReference, type ReferenceMap } from './helpers/references.ts';

const TASKS = join(FIXTURES, '..', 'tasks');
const IMAGE = join(FIXTURES, 'image-48x192.png');
const NORM = ['--mean', '0.5', '--std', '0.5'];

interface Layers {
  layers: ReferenceMap[];
}
interface Reference {
  multilabel: (Layers & { class: number; logit: number; sigmoid: number })[];
  regress: Layers & { index: number; value: number };
  embed: Layers & { reference: string; cosine: number };
  sequence: {
    decoded: number[];
    greedy: Layers & { logp: number };
    text: Layers & { text: string; logp: number };
    step: Layers & { step: number; class: number; score: number };
  };
  detect: {
    detections: number;
    boxes: (Layers & { box: number; class: number; score: number; value: number; matched: number })[];
  };
}

let ref: Reference;
let tmp: string;
let runs = 0;
const explain = async (model: string, args: string[]) => {
  const out = join(tmp, `out-${runs++}`);
  const r = await camanim(['explain', '--model', model, '--image', IMAGE, '--out', out, '--format', 'bundle', ...NORM, ...args]);
  return { ...r, bundle: () => readBundle(join(out, 'image-48x192', 'bundle')) };
};

/** Every reference layer's map in `cam` against the reference: the worst error over the map's largest |value|. */
async function worstError(b: Awaited<ReturnType<typeof readBundle>>, cam: BundleCam, want: Layers): Promise<number> {
  let worst = 0;
  for (const w of want.layers) {
    const layer = cam.layers.find((l) => l.name === w.name);
    expect(layer, w.name).toBeDefined();
    expect(layer!.mapShape).toEqual(w.shape);
    const e = mapError(await b.maps(cam, layer!, 'layer'), w);
    worst = Math.max(worst, e.worst / e.scale);
  }
  return worst;
}

const relative = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);
// float32 forward and backward against float64, measured: the targets' values ≤ 3.0e-7 relative;
// the maps ≤ 1.02e-6 of their largest value (sequence CTC), 9.9e-7 (multi-label, regress),
// 8.4e-7 (embed), 4.4e-7 (detect).
const VALUE_TOL = 1e-6;
const MAP_TOL = 2e-6;

beforeAll(() => {
  ref = readReference<Reference>(join('..', 'tasks', 'tasks-gradcam.json'), 'task-target', 'task_references.py');
  tmp = scratch('camanim-tasks-');
});

describe('--task classify on a Sigmoid model (multi-label)', () => {
  it('explains several --class each at its logit, shows sigmoid probabilities', async () => {
    const r = await explain(join(FIXTURES, 'sigmoid.onnx'), ['--class', '3,5']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain('10 classes, sigmoid, multi-label (explaining');
    const b = await r.bundle();
    expect(b.manifest.cams.map((c) => c.target.class)).toEqual([3, 5]);
    for (const [k, want] of ref.multilabel.entries()) {
      const cam = b.manifest.cams[k];
      expect(relative(cam.score, want.logit)).toBeLessThan(VALUE_TOL);
      expect(relative(cam.probability, want.sigmoid)).toBeLessThan(VALUE_TOL);
      expect(await worstError(b, cam, want)).toBeLessThan(MAP_TOL);
    }
  });
});

describe('camanim road on a Sigmoid model', () => {
  it("scores ROAD's confidence as the class's sigmoid, the model's own probability (was a softmax over independent labels)", async () => {
    const out = join(tmp, 'road');
    const r = await camanim([
      'road',
      '--model',
      join(FIXTURES, 'sigmoid.onnx'),
      '--image',
      IMAGE,
      ...NORM,
      '--percentiles',
      '50',
      '--quiet',
      '--out',
      out,
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out + r.err).toContain('ROAD target: sigmoid');
    // The target cam-methods' ybroad scored with (its settings), not only the label.
    const json = JSON.parse(readFileSync(join(out, 'ybroad.json'), 'utf8'));
    expect([json.target.kind, json.ybroad.settings.target]).toEqual(['sigmoid', { class: json.target.class, kind: 'sigmoid' }]);
  });
});

describe('--task regress', () => {
  it('explains the negated score of --output-index, and refuses a multi-score output without it', async () => {
    const model = join(FIXTURES, 'base-fixed.onnx');
    const r = await explain(model, ['--task', 'regress', '--output-index', '3', '--direction', 'down']);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("output 'logits' [1, 10], 10 scores (regression), scores");
    const b = await r.bundle();
    expect(relative(b.manifest.score, ref.regress.value)).toBeLessThan(VALUE_TOL);
    expect(await worstError(b, b.manifest.cams[0], ref.regress)).toBeLessThan(MAP_TOL);
    const missing = await explain(model, ['--task', 'regress']);
    expect(missing.code).not.toBe(0);
    expect(missing.err).toContain("Output 'logits' [1, 10] has 10 scores: which one --task regress explains is not stated");
    expect(missing.err).toContain('--output-index 0..9');
  });
});

describe('--task embed', () => {
  it("explains SimilarityToConceptTarget's cosine to the --reference image's embedding", async () => {
    const model = join(FIXTURES, 'two-outputs.onnx');
    const r = await explain(model, ['--task', 'embed', '--output', 'features', '--reference', join(TASKS, ref.embed.reference)]);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain(`image-48x192: cosine to ${ref.embed.reference} ${ref.embed.cosine.toFixed(3)}`);
    const b = await r.bundle();
    expect(relative(b.manifest.score, ref.embed.cosine)).toBeLessThan(VALUE_TOL);
    expect(await worstError(b, b.manifest.cams[0], ref.embed)).toBeLessThan(MAP_TOL);
    const missing = await explain(model, ['--task', 'embed', '--output', 'features']);
    expect(missing.err).toContain('--task embed needs --reference <image>');
  });
});

describe('--task sequence', () => {
  const ntc = join(FIXTURES, 'sequence.onnx');
  it('explains the CTC log-probability of the greedy decoding, in [N, T, C] and [T, N, C] (read from the declared batch dim)', async () => {
    for (const [model, layout] of [
      [ntc, "NTC: the output's dim 'batch'"],
      [join(TASKS, 'sequence-tnc.onnx'), "TNC: the output's dim 'batch'"],
    ]) {
      const r = await explain(model, ['--task', 'sequence']);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain(`24 steps × 37 classes (sequence ${layout}`);
      expect(r.err).toContain(`CTC classes ${ref.sequence.decoded.join(' ')} · log p`);
      const b = await r.bundle();
      expect(relative(b.manifest.score, ref.sequence.greedy.logp)).toBeLessThan(VALUE_TOL);
      expect(await worstError(b, b.manifest.cams[0], ref.sequence.greedy)).toBeLessThan(MAP_TOL);
    }
  });

  it("explains a given --text through --charset, and a --step's class score", async () => {
    const text = await explain(ntc, [
      '--task',
      'sequence',
      '--text',
      ref.sequence.text.text,
      '--charset',
      join(TASKS, 'charset.txt'),
    ]);
    expect(text.code, text.err).toBe(0);
    const tb = await text.bundle();
    expect(relative(tb.manifest.score, ref.sequence.text.logp)).toBeLessThan(VALUE_TOL);
    expect(await worstError(tb, tb.manifest.cams[0], ref.sequence.text)).toBeLessThan(MAP_TOL);
    const { step, class: c } = ref.sequence.step;
    const st = await explain(ntc, ['--task', 'sequence', '--step', String(step), '--class', String(c)]);
    expect(st.code, st.err).toBe(0);
    const sb = await st.bundle();
    expect(relative(sb.manifest.score, ref.sequence.step.score)).toBeLessThan(VALUE_TOL);
    expect(await worstError(sb, sb.manifest.cams[0], ref.sequence.step)).toBeLessThan(MAP_TOL);
  });

  it('refuses what it cannot read or does not take, naming the flag', async () => {
    const cases: [string[], string][] = [
      [['--task', 'sequence', '--text', 'ab'], '--text needs --charset <file>'],
      [['--task', 'sequence', '--class', '3'], '--class applies to --task sequence with --step'],
      [
        ['--task', 'sequence', '--text', 'a#', '--charset', join(TASKS, 'charset.txt')],
        "--text 'a#' has '#', which is not in the charset",
      ],
      [['--task', 'sequence', '--ybroad'], '--ybroad does not apply to --task sequence yet'],
      [['--step', '3'], '--step applies to --task sequence, not --task classify'],
      [[], 'Explain a text recogniser with --task sequence'],
    ];
    for (const [args, message] of cases) {
      const r = await explain(ntc, args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.err, args.join(' ')).toContain(message);
    }
  });
});

describe('--task detect', () => {
  const model = join(TASKS, 'detect.onnx');
  it("lists the detections after the host's NMS and explains --box's score: the matching candidates' summed scores", async () => {
    for (const want of ref.detect.boxes) {
      const r = await explain(model, ['--task', 'detect', '--detect-format', 'yolov5', '--box', String(want.box)]);
      expect(r.code, r.err).toBe(0);
      expect(r.err).toContain('576 boxes × 3 classes (detection, yolov5 head before NMS: --detect-format)');
      // The best 10 are listed, then how many more there are.
      expect(r.err.match(/ · #\d+ class \d/g)?.length).toBe(9);
      expect(r.err).toContain(` · … ${ref.detect.detections - 10} more (--box 0..${ref.detect.detections - 1})`);
      const b = await r.bundle();
      expect(b.manifest.cams[0].target.class).toBe(want.class);
      expect(relative(b.manifest.cams[0].probability, want.score)).toBeLessThan(VALUE_TOL);
      expect(relative(b.manifest.score, want.value)).toBeLessThan(VALUE_TOL);
      expect(await worstError(b, b.manifest.cams[0], want)).toBeLessThan(MAP_TOL);
    }
  });

  it('refuses a head whose layout nothing states, and a box that is not detected', async () => {
    const none = await explain(model, ['--task', 'detect']);
    expect(none.err).toContain("--task detect needs the layout of output 'head' [1, 576, 8], which its shape does not tell");
    expect(none.err).toContain('--detect-format yolov5');
    const far = await explain(model, ['--task', 'detect', '--detect-format', 'yolov5', '--box', String(ref.detect.detections)]);
    expect(far.err).toContain(`--box ${ref.detect.detections} is out of range: ${ref.detect.detections} boxes are detected`);
  });
});
