/**
 * Element-wise stages fused into a kernel's store (a convolution's epilogue): each stage takes
 * the value the one before it stored, applies ReLU or adds the same element of another tensor
 * (a residual, same shape as the output), and stores the result in its own output binding. So
 * Conv → Add → Relu is one dispatch that still writes all three tensors: every activation a CAM
 * or the backward pass reads stays addressable. The stages compute what the standalone Relu
 * (`max(x, 0.0)`) and Add (`a + b`) kernels compute, so the results are the same bit for bit.
 */
import type { BindingDecl } from './kernel.ts';

export type FusedStage = { readonly op: 'relu' } | { readonly op: 'add' };

/** The operand bindings of the 'add' stages (E0, E1, …) and the stage outputs (Y1, Y2, …). */
export function fusedBindings(stages: readonly FusedStage[], type: string): { inputs: BindingDecl[]; outputs: BindingDecl[] } {
  const adds = stages.filter((s) => s.op === 'add').length;
  return {
    inputs: Array.from({ length: adds }, (_, k) => ({ name: `E${k}`, type })),
    outputs: stages.map((_, s) => ({ name: `Y${s + 1}`, type })),
  };
}

/** `Y[index] = value;` then each stage's store at the same index (`vec`: the bindings hold vec4s). */
export function fusedStore(stages: readonly FusedStage[], index: string, value: string, vec: boolean): string {
  if (!stages.length) return `Y[${index}] = ${value};`;
  const zero = vec ? 'vec4<f32>(0.0)' : '0.0';
  const lines = [`let i_ = ${index};`, `let v0 = ${value};`, 'Y[i_] = v0;'];
  let add = 0;
  stages.forEach((s, k) => {
    const prev = `v${k}`;
    lines.push(
      `let v${k + 1} = ${s.op === 'relu' ? `max(${prev}, ${zero})` : `${prev} + E${add++}[i_]`};`,
      `Y${k + 1}[i_] = v${k + 1};`,
    );
  });
  return `{ ${lines.join(' ')} }`;
}

/** The kernel name's suffix for its fused stages (`+add+relu`). */
export const fusedName = (stages: readonly FusedStage[]): string => stages.map((s) => `+${s.op}`).join('');
