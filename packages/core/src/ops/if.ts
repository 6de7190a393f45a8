/**
 * If (opsets 1–21): then_branch or else_branch by a one-element boolean condition. camanim plans
 * one branch per input shape: when the condition is known at plan time (exporters write Ifs on
 * shape checks, as torchvision's detection models do, and those fold with the input shape
 * fixed) the taken branch replaces the node (graph/inline.ts) and reads enclosing values by
 * name. A condition computed from the image is refused, naming the node.
 * https://onnx.ai/onnx/operators/onnx__If.html
 */
import { CamanimError, shapeError } from '../errors.ts';
import type { Graph, Node } from '../graph/ir.ts';
import { defineOp } from './op.ts';

interface Attrs {
  readonly thenBranch: Graph;
  readonly elseBranch: Graph;
}

function branch(node: Node, name: string): Graph {
  const g = node.attributes.get(name);
  if (typeof g !== 'object' || !('nodes' in g))
    throw new CamanimError(
      'bad-model',
      `If has no subgraph '${name}'`,
      { node: node.name, op: node.opType },
      'The model file is corrupt',
    );
  if (g.inputs.length)
    throw new CamanimError(
      'bad-model',
      `If's ${name} declares inputs [${g.inputs.map((v) => v.name).join(', ')}]; ONNX branches take none`,
      { node: node.name, op: node.opType },
      'The model file is corrupt',
    );
  return g;
}

export const ifOp = defineOp<Attrs>({
  type: 'If',
  attrs: (node) => ({ thenBranch: branch(node, 'then_branch'), elseBranch: branch(node, 'else_branch') }),
  inline: ({ node, consts }, a) => {
    const cond = consts[0];
    if (!cond) return undefined;
    if (cond.data.length !== 1)
      throw shapeError(
        node,
        `The condition '${node.inputs[0]}' has ${cond.data.length} elements; If takes one`,
        'The model file is corrupt',
      );
    return cond.data[0] ? a.thenBranch : a.elseBranch;
  },
  // Reached only when the condition is not known at plan time (inline returned undefined).
  shape: ({ node }) => {
    throw new CamanimError(
      'bad-model',
      `If's condition '${node.inputs[0]}' is computed from the image, so which branch runs is known only during the run`,
      { node: node.name, op: node.opType },
      'camanim plans one branch: export the model with this condition fixed (static shapes, or the branch your images take), or run it with onnxruntime',
    );
  },
});
