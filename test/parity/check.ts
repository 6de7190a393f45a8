/** One model's parity checks: every retained activation against onnxruntime, gradients against PyTorch. */
import { loadModel, type Runtime } from '@camanim/core';
import { elements, scaledError, slice, type Fixture } from './fixtures.ts';
import { referenceActivations } from './reference.ts';

export interface ParityResult {
  readonly check: string;
  readonly error: number;
  readonly tol: number;
}

export const FORWARD_TOL = 1e-3;
export const GRAD_TOL = 2e-3;

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
    results.push({ check: `forward: all ${names.length} activations vs onnxruntime (worst ${worst.name})`, error: worst.error, tol: FORWARD_TOL });
    const logits = (await run.read(model.graph.outputs[0].name)).data;
    results.push({ check: 'logits vs PyTorch', error: scaledError(logits, slice(f, f.grads.logitsOffset, elements(f.grads.logitsShape))), tol: FORWARD_TOL });
    const inputName = model.inputs[0].name;
    const grads = await run.backward({ class: f.grads.class });
    for (const t of f.grads.tensors) {
      const got = (await grads.read(t.onnx)).data;
      results.push({ check: `d logit[${f.grads.class}] / d ${t.module} (${t.onnx})`, error: scaledError(got, slice(f, t.offset, t.length)), tol: GRAD_TOL });
    }
    const dx = (await grads.read(inputName)).data;
    results.push({ check: `d logit[${f.grads.class}] / d input`, error: scaledError(dx, slice(f, f.grads.inputGradOffset, f.grads.inputGradLength)), tol: GRAD_TOL });
    grads.dispose();
    run.dispose();
  } finally {
    model.dispose();
  }
  return results;
}
