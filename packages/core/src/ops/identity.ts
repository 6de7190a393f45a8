/**
 * Identity and Dropout (inference: the identity; the optional mask output is all true).
 * Both share the input buffer. https://onnx.ai/onnx/operators/onnx__Dropout.html
 * A Dropout in training mode (opset 12's training_mode input, true) that drops anything
 * (ratio > 0, default 0.5) is random: its maps would change from run to run, so it is refused.
 * torch exports torchvision Swin's attention dropout in training mode with ratio 0: the identity.
 */
import { CamanimError } from '../errors.ts';
import { hostTensor } from '../graph/ir.ts';
import { defineOp, type OpIO } from './op.ts';

function checkInference({ node, consts }: OpIO): void {
  const training = node.inputs[2] ? consts[2] : undefined;
  if (node.inputs[2] && !training) {
    throw new CamanimError(
      'bad-model',
      `Dropout's training_mode ('${node.inputs[2]}') is computed in the graph, so camanim cannot tell whether it drops`,
      { node: node.name, op: node.opType },
      'Export the model in eval mode (model.eval() before torch.onnx.export)',
    );
  }
  if (!training || !Number(training.data[0])) return;
  const ratio = node.inputs[1] ? consts[1] : undefined;
  const p = node.inputs[1] ? (ratio ? Number(ratio.data[0]) : Number.NaN) : 0.5;
  if (!(p === 0)) {
    throw new CamanimError(
      'bad-model',
      `Dropout runs in training mode with ratio ${Number.isNaN(p) ? 'computed in the graph' : p}: it drops random elements, so every run would explain a different model`,
      { node: node.name, op: node.opType },
      'Export the model in eval mode (model.eval() before torch.onnx.export)',
    );
  }
}

export const identity = defineOp<null>({
  type: 'Identity',
  alias: true,
  attrs: () => null,
  shape: ({ inputs }) => [{ dtype: inputs[0]!.dtype, shape: inputs[0]!.shape }],
  fold: ({ consts }) => (consts[0] ? [consts[0]] : undefined),
});

export const dropout = defineOp<null>({
  type: 'Dropout',
  alias: true,
  attrs: () => null,
  shape: (io) => {
    checkInference(io);
    const { node, inputs } = io;
    const x = inputs[0]!;
    return node.outputs.length > 1 && node.outputs[1]
      ? [
          { dtype: x.dtype, shape: x.shape },
          { dtype: 'bool', shape: x.shape },
        ]
      : [{ dtype: x.dtype, shape: x.shape }];
  },
  fold: ({ node, consts }, _a, outs) => {
    if (!consts[0]) return undefined;
    return node.outputs.length > 1 && node.outputs[1]
      ? [consts[0], hostTensor('bool', outs[1].shape, new Float64Array(consts[0].data.length).fill(1))]
      : [consts[0]];
  },
});
