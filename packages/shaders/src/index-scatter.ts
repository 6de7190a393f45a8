/**
 * Scatters through a precomputed target per update element (ScatterND, ScatterElements with
 * indices known at plan time), written as gathers: each data element reads the updates aimed
 * at it, listed CSR-style (OFF: offsets per data element, LIST: update indices in order), so no
 * two invocations write one element and no atomics are needed. Index tables are f32 (exact
 * below 2^24). The VJPs follow the same lists; TGT is each update's target data element.
 *
 * Bindings: X data, U updates, Y output, G dY, OFF, LIST, TGT. Each builder returns the names
 * it reads in binding order (`reads`), so the op binds only what the reduction uses.
 */
import { elementKernel, type KernelSpec } from './kernel.ts';

export type ScatterReduction = 'none' | 'add' | 'mul' | 'max' | 'min';

export interface ScatterKernel {
  readonly kernel: KernelSpec;
  /** Binding names read, in binding order (the one output comes after them). */
  readonly reads: readonly string[];
}

const STEP: Record<ScatterReduction, string> = {
  none: 'u',
  add: 'acc + u',
  mul: 'acc * u',
  max: 'max(acc, u)',
  min: 'min(acc, u)',
};

/** The updates aimed at data element `j`, as a loop with `u` (the update's value) and `k` in scope. */
const updatesOf = (j: string, stmts: string) =>
  `for (var k = u32(OFF[${j}]); k < u32(OFF[${j} + 1u]); k++) { let u = U[u32(LIST[k])]; ${stmts} }`;

/** How many of data element j and its updates equal Y[j] (max/min ties share the gradient). */
const ties = (j: string) =>
  `var cnt = select(0.0, 1.0, X[${j}] == Y[${j}]);\n  ${updatesOf(j, `cnt += select(0.0, 1.0, u == Y[${j}]);`)}`;

function kernel(name: string, total: number, reads: readonly string[], body: string): ScatterKernel {
  return {
    kernel: elementKernel({ name, inputs: reads.map((n) => ({ name: n })), outputs: [{ name: 'OUT' }], total, body }),
    reads,
  };
}

/** Y[j] = reduce(X[j], U[LIST[OFF[j]]], …) over the `total` data elements ('none': the last update wins). */
export function scatterKernel(name: string, total: number, r: ScatterReduction): ScatterKernel {
  return kernel(
    name,
    total,
    ['X', 'U', 'OFF', 'LIST'],
    `  var acc = X[i];\n  ${updatesOf('i', `acc = ${STEP[r]};`)}\n  OUT[i] = acc;`,
  );
}

/** dX[j] for the `total` data elements. */
export function scatterDataGradKernel(name: string, total: number, r: ScatterReduction): ScatterKernel {
  switch (r) {
    case 'none':
      return kernel(name, total, ['G', 'OFF'], '  OUT[i] = select(G[i], 0.0, OFF[i + 1u] > OFF[i]);');
    case 'add':
      return kernel(name, total, ['G'], '  OUT[i] = G[i];');
    case 'mul':
      return kernel(name, total, ['U', 'G', 'OFF', 'LIST'], `  var p = G[i];\n  ${updatesOf('i', 'p *= u;')}\n  OUT[i] = p;`);
    default:
      return kernel(
        name,
        total,
        ['X', 'U', 'Y', 'G', 'OFF', 'LIST'],
        `  ${ties('i')}\n  OUT[i] = select(0.0, G[i] / cnt, X[i] == Y[i]);`,
      );
  }
}

/** dU[i] for the `total` update elements; j = TGT[i] is the data element update i is aimed at. */
export function scatterUpdatesGradKernel(name: string, total: number, r: ScatterReduction): ScatterKernel {
  const j = '  let j = u32(TGT[i]);\n';
  switch (r) {
    case 'none':
      return kernel(
        name,
        total,
        ['G', 'OFF', 'LIST', 'TGT'],
        `${j}  OUT[i] = select(0.0, G[j], u32(LIST[u32(OFF[j + 1u]) - 1u]) == i);`,
      );
    case 'add':
      return kernel(name, total, ['G', 'TGT'], `${j}  OUT[i] = G[j];`);
    case 'mul': {
      // The product of the other updates, by position in the list (an update of 0 is not divided by).
      const body = `${j}  var p = G[j] * X[j];\n  for (var k = u32(OFF[j]); k < u32(OFF[j + 1u]); k++) { let q = u32(LIST[k]); if (q != i) { p *= U[q]; } }\n  OUT[i] = p;`;
      return kernel(name, total, ['X', 'U', 'G', 'OFF', 'LIST', 'TGT'], body);
    }
    default:
      return kernel(
        name,
        total,
        ['X', 'U', 'Y', 'G', 'OFF', 'LIST', 'TGT'],
        `${j}  ${ties('j')}\n  OUT[i] = select(0.0, G[j] / cnt, U[i] == Y[j]);`,
      );
  }
}
