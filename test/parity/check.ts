/** One model's parity checks: every retained activation against onnxruntime, gradients against PyTorch. */
import { loadModel, segmentationTarget, type Runtime, type Target } from '@camanim/core';
import { elements, scaledError, slice, type Fixture } from './fixtures.ts';
import { referenceActivations } from './reference.ts';

export interface ParityResult {
  readonly check: string;
  readonly error: number;
  readonly tol: number;
}

export const FORWARD_TOL = 1e-3;
export const GRAD_TOL = 2e-3;

/**
 * A gradient's tolerance: GRAD_TOL, or twice how far PyTorch's own float32 gradient is from
 * float64's where that is more (tools/fixtures/grads.py: a ReLU input within float32 rounding of
 * its kink, which no float32 runtime can be held to).
 */
const gradTol = (f32Error: number | undefined) => Math.max(GRAD_TOL, 2 * (f32Error ?? 0));

export async function checkModel(f: Fixture, runtime: Runtime): Promise<ParityResult[]> {
  const results: ParityResult[] = [];
  const model = await loadModel(f.file, { runtime });
  try {
    const x = slice(f, f.grads.inputOffset, elements(f.grads.inputShape));
    const run = await model.run({ data: x, shape: f.grads.inputShape });
    const names = model.layers.map((l) => l.name);
    const ref = await referenceActivations(f.file, f.input.name, x, f.grads.inputShape, names);
    let worst = { name: '', error: 0 };
    for (const name of names) {
      const want = ref.get(name);
      if (!want) continue;
      const got = (await run.read(name)).data;
      const e = scaledError(got, want);
      if (!(e <= worst.error)) worst = { name, error: e };
    }
    results.push({
      check: `forward: all ${names.length} activations vs onnxruntime (worst ${worst.name})`,
      error: worst.error,
      tol: FORWARD_TOL,
    });
    const logits = (await run.read(model.graph.outputs[0].name)).data;
    results.push({
      check: 'logits vs PyTorch',
      error: scaledError(logits, slice(f, f.grads.logitsOffset, elements(f.grads.logitsShape))),
      tol: FORWARD_TOL,
    });
    const inputName = model.inputs[0].name;
    // The fixture's target (tools/fixtures/grads.py): the class's logit, or a segmenter's SemanticSegmentationTarget
    const target: Target =
      f.task === 'segment' ? segmentationTarget(f.grads.class, f.grads.logitsShape[1]) : { class: f.grads.class };
    const grads = await run.backward(target);
    const of = `${f.grads.target ?? 'logits[0, class]'} (class ${f.grads.class})`;
    for (const t of f.grads.tensors) {
      const got = (await grads.read(t.onnx)).data;
      results.push({
        check: `d ${of} / d ${t.module} (${t.onnx})`,
        error: scaledError(got, slice(f, t.offset, t.length)),
        tol: gradTol(t.f32Error),
      });
    }
    const dx = (await grads.read(inputName)).data;
    results.push({
      check: `d ${of} / d input`,
      error: scaledError(dx, slice(f, f.grads.inputGradOffset, f.grads.inputGradLength)),
      tol: gradTol(f.grads.inputGradF32Error),
    });
    grads.dispose();
    run.dispose();
  } finally {
    model.dispose();
  }
  return results;
}
