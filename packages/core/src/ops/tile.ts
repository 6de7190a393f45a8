/**
 * Tile: the input repeated `repeats[k]` times along each axis k (repeats: a constant input,
 * opset 6 on). Output coordinate o of axis k reads input coordinate o mod x[k], one separable
 * gather (axis-gather.ts); constants fold on the host through the same taps.
 * https://onnx.ai/onnx/operators/onnx__Tile.html
 * VJP: the transposed gather — each input element sums the gradient of its repeats.
 */
import { affineAxis, tapsAxis, type AxisSpec } from '@camanim/shaders';
import { shapeError } from '../errors.ts';
import { gatherStep, gatherVjpStep, hostGather } from './axis-gather.ts';
import { constInts } from './const-inputs.ts';
import { defineOp, gradInput, gradOutput, input, output, type OpIO } from './op.ts';

/** Longest axis a Tile may make (its gather taps are built on the host, one per output coordinate). */
const MAX_TILED_AXIS = 2 ** 26;

function tiling(io: OpIO): { shape: number[]; axes: AxisSpec[] } {
  const x = io.inputs[0]!.shape;
  const repeats = constInts(io, 1);
  if (!repeats || repeats.length !== x.length || repeats.some((r) => r < 0)) {
    throw shapeError(
      io.node,
      `Tile repeats [${repeats?.join(', ') ?? ''}] must hold ${x.length} non-negative values, one per axis of the input [${x.join(', ')}]`,
      'The model file is corrupt or was exported incorrectly',
    );
  }
  const shape = x.map((d, k) => d * repeats[k]);
  const too = shape.findIndex((d) => !(Number.isSafeInteger(d) && d <= MAX_TILED_AXIS));
  if (too >= 0) {
    throw shapeError(
      io.node,
      `Tile repeats [${repeats.join(', ')}] make axis ${too} of the input [${x.join(', ')}] ${shape[too]} long, more than camanim allows (${MAX_TILED_AXIS})`,
      'The model file is corrupt or was exported incorrectly',
    );
  }
  const axes = x.map((d, k) =>
    repeats[k] === 1 ? affineAxis(0) : tapsAxis(Array.from({ length: shape[k] }, (_, o) => [{ src: o % d, w: 1 }])),
  );
  return { shape, axes };
}

export const tile = defineOp<null>({
  type: 'Tile',
  constInputs: [1],
  nonDifferentiable: [1],
  attrs: () => null,
  shape: (io) => [{ dtype: io.inputs[0]!.dtype, shape: tiling(io).shape }],
  fold: (io, _a, outs) => (io.consts[0] ? [hostGather(io.consts[0], outs[0].shape, tiling(io).axes)] : undefined),
  forward: (io) => gatherStep('tile', io.outputs[0].shape, io.inputs[0]!.shape, tiling(io).axes, input(0), output(0)),
  vjp: (io) => gatherVjpStep('tile', io.outputs[0].shape, io.inputs[0]!.shape, tiling(io).axes, gradOutput(0), gradInput(0)),
});
