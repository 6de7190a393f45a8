/**
 * Where(condition, X, Y): X where the condition holds, else Y; all three broadcast (numpy
 * rules). Swin's shifted-window masks are Where over constants, which fold here on the host.
 * https://onnx.ai/onnx/operators/onnx__Where.html
 * VJP: dX = dY where the condition holds, dY = dY elsewhere, at the output's shape (the
 * engine sums broadcast dims back); none to the bool condition.
 */
import { zipOp } from './zip-op.ts';

export const where = zipOp({
  type: 'Where',
  vars: ['c', 'a', 'b'],
  dtype: (t) => t[1],
  wgsl: () => 'select(b, a, c != 0.0)',
  host: ([c, a, b]) => (c !== 0 ? a : b),
  grad: (i) => (i === 1 ? 'select(0.0, g, c != 0.0)' : 'select(g, 0.0, c != 0.0)'),
  nonDifferentiable: [0],
});
