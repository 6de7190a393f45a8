/**
 * Parameter randomisation of an ONNX graph, layer by layer, as Quantus's PyTorch model interface
 * does it (helpers/model/pytorch_model.py get_random_layer_generator: every module with
 * `reset_parameters`, top-down, `reset_parameters()` after `torch.manual_seed(seed + 1)`). The
 * parameterised nodes are those torch's modules export to, and each is reset to its module's
 * default initial distribution, drawn from camanim's seeded generator (torch's stream cannot be
 * repeated here):
 *
 * - Conv, ConvTranspose, Gemm, MatMul (nn.Conv*d / nn.Linear): weight and bias ~ U(−1/√fan_in, 1/√fan_in)
 *   (kaiming_uniform_(a=√5) and the bias rule), fan_in = the weight's elements over its output dim;
 * - BatchNormalization, InstanceNormalization, LayerNormalization, GroupNormalization: scale 1,
 *   bias 0, running mean 0, running variance 1 (reset_parameters / reset_running_stats).
 *
 * Only inputs that are float initializers are replaced (a MatMul of two activations has none).
 */
import type { HostTensor, Model, Node } from '@camanim/core';
import { uniform } from '../random.ts';

const LINEAR = new Set(['Conv', 'ConvTranspose', 'Gemm', 'MatMul']);
/** Reset values of a normalisation's inputs 1.. (scale, bias, mean, var). */
const NORMS: Record<string, readonly number[]> = {
  BatchNormalization: [1, 0, 0, 1],
  InstanceNormalization: [1, 0],
  LayerNormalization: [1, 0],
  GroupNormalization: [1, 0],
};

export interface ParameterNode {
  readonly node: string;
  readonly opType: string;
  /** The initializers this node's randomisation replaces. */
  readonly initializers: readonly string[];
}

function floatInitializer(model: Model, name: string | undefined): HostTensor | undefined {
  const t = name ? model.graph.initializers.get(name) : undefined;
  return t && (t.dtype === 'float32' || t.dtype === 'float64') && t.data.length > 0 ? t : undefined;
}

function weightInputs(node: Node): readonly number[] {
  if (LINEAR.has(node.opType)) return node.opType === 'MatMul' ? [1] : [1, 2];
  return NORMS[node.opType]?.map((_, k) => k + 1) ?? [];
}

/** The model's parameterised nodes in topological order (adapters left out). */
export function parameterNodes(model: Model): ParameterNode[] {
  return model.order
    .filter((n) => !model.graph.adapters?.has(n.name))
    .flatMap((n) => {
      const initializers = weightInputs(n)
        .map((k) => n.inputs[k])
        .filter((name) => floatInitializer(model, name) !== undefined);
      return initializers.length && (!LINEAR.has(n.opType) || initializers[0] === n.inputs[1])
        ? [{ node: n.name, opType: n.opType, initializers }]
        : [];
    });
}

function fanIn(node: Node, w: HostTensor): number {
  const s = w.shape;
  if (node.opType === 'MatMul') return s[s.length - 2] ?? s[0];
  if (node.opType === 'Gemm' && node.attributes.get('transB') !== 1) return s[0];
  return w.data.length / s[0];
}

/** Fresh values for one parameterised node's initializers. */
export function randomised(model: Model, p: ParameterNode, seed: number): Map<string, HostTensor> {
  const node = model.order.find((n) => n.name === p.node)!;
  const reset = NORMS[node.opType];
  const bound = reset ? 0 : 1 / Math.sqrt(fanIn(node, floatInitializer(model, node.inputs[1])!));
  return new Map(
    p.initializers.map((name, k) => {
      const t = floatInitializer(model, name)!;
      const data = reset
        ? new Float32Array(t.data.length).fill(reset[node.inputs.indexOf(name) - 1])
        : uniform(t.data.length, seed * 7919 + k, -bound, bound);
      return [name, { dtype: 'float32', shape: t.shape, data }];
    }),
  );
}
