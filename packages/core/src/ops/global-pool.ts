/**
 * GlobalAveragePool and GlobalMaxPool: one value per [N, C] plane of a [N, C, ...spatial]
 * input (1-D, 2-D, 3-D). The average is a reduction over the spatial axes, its gradient g / count
 * broadcast back; the max is the same reduction, and its VJP is MaxPool's with one window
 * covering the plane: the gradient goes to the first maximum, as PyTorch's adaptive max pool
 * does (a dead ReLU plane of zeros sends it all to its first element).
 * https://onnx.ai/onnx/operators/onnx__GlobalAveragePool.html , onnx__GlobalMaxPool.html
 */
import { expandKernel, f32Lit, FOLDS, foldKernel, reducedCount } from '@camanim/shaders';
import { maxPoolGradSteps } from './max-pool.ts';
import { defineOp, gradInput, gradOutput, input, output } from './op.ts';
import { globalGeometry } from './pool-attrs.ts';

const spatialAxes = (shape: readonly number[]) => shape.map((_, k) => k).slice(2);

export const globalAveragePool = defineOp<null>({
  type: 'GlobalAveragePool',
  attrs: () => null,
  shape: ({ node, inputs }) => [{ dtype: inputs[0]!.dtype, shape: globalGeometry(node, inputs[0]!.shape).output }],
  forward: ({ inputs }) => {
    const shape = inputs[0]!.shape;
    return [
      {
        kernel: foldKernel(`global_average_pool[${shape.join('x')}]`, shape, spatialAxes(shape), FOLDS.mean),
        args: [input(0), output(0)],
      },
    ];
  },
  vjp: ({ inputs }) => {
    const shape = inputs[0]!.shape;
    const axes = spatialAxes(shape);
    const grad = `g * ${f32Lit(1 / reducedCount(shape, axes))}`;
    return [
      {
        kernel: expandKernel(`global_average_pool_grad[${shape.join('x')}]`, shape, axes, [{ name: 'G', full: false }], grad),
        args: [gradOutput(0), gradInput(0)],
      },
    ];
  },
});

export const globalMaxPool = defineOp<null>({
  type: 'GlobalMaxPool',
  attrs: () => null,
  shape: ({ node, inputs }) => [{ dtype: inputs[0]!.dtype, shape: globalGeometry(node, inputs[0]!.shape).output }],
  forward: ({ inputs }) => {
    const shape = inputs[0]!.shape;
    return [
      {
        kernel: foldKernel(`global_max_pool[${shape.join('x')}]`, shape, spatialAxes(shape), FOLDS.max),
        args: [input(0), output(0)],
      },
    ];
  },
  vjp: ({ node, inputs }) => maxPoolGradSteps(globalGeometry(node, inputs[0]!.shape)),
});
