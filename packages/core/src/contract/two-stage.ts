/**
 * A two-stage detector (torchvision's Faster R-CNN exported with torch.onnx) under its contract,
 * in two models of the one graph: the first (backbone, FPN, RPN head) up to the RPN's objectness
 * and proposals (rpn-head.ts), whose run the host turns into proposals as torchvision's RPN does
 * (autodiff/rpn-proposals.ts); and, per image, the second: the whole network with those
 * proposals as a constant (second-stage.ts), explained at what the box head's post-processing
 * reads (prenms-head.ts: a box, score and constant label per proposal and class), so the
 * box-score target's gradient flows through the box head and RoiAlign into every layer.
 */
import type { Detection } from '../autodiff/detections.ts';
import { rpnProposals } from '../autodiff/rpn-proposals.ts';
import type { Graph } from '../graph/ir.ts';
import { modelFromGraph, type GraphModelOptions, type Model, type RunInput } from '../model.ts';
import { defaultRegistry } from '../ops/index.ts';
import { adaptInput, postprocessRefusal } from './apply.ts';
import type { InputContract } from './input-contract.ts';
import type { OutputRequest } from './output-contract.ts';
import { preNmsHead } from './prenms-head.ts';
import { rpnHead, type RpnHead } from './rpn-head.ts';
import { keptProposals, secondStage } from './second-stage.ts';

export interface TwoStageDetector {
  readonly rpn: RpnHead;
  /** The first stage, cut at the RPN's objectness and proposals. */
  readonly first: Model;
  /** The proposals of one image (a [1, C, H, W] input under the contract), best first. */
  proposals(input: RunInput): Promise<Detection[]>;
  /** The second stage on these proposals (constants), explained at the box post-processing's inputs. */
  second(proposals: readonly Detection[]): Promise<Model>;
  dispose(): void;
  [Symbol.dispose](): void;
}

export async function twoStageDetector(
  source: Graph,
  input: InputContract,
  request: OutputRequest = { task: 'detect' },
  opts: Omit<GraphModelOptions, 'contract' | 'inputShape'> = {},
): Promise<TwoStageDetector> {
  const { graph, shape } = adaptInput(source, input);
  // --detect-format names a bare head; another task is no detection (contractModel's refusals).
  if (request.task !== 'detect' || request.detectFormat !== undefined) throw postprocessRefusal(graph, request);
  const registry = opts.registry ?? defaultRegistry;
  const rpn = rpnHead(graph, shape, registry);
  const kept = keptProposals(graph, rpn);
  const first = await modelFromGraph(rpn.graph, { ...opts, inputShape: shape });
  return {
    rpn,
    first,
    async proposals(x) {
      using run = await first.run(x);
      const [o, p] = await Promise.all([run.read(rpn.objectness), run.read(rpn.proposals)]);
      return rpnProposals(o.data, p.data, rpn.settings);
    },
    async second(proposals) {
      const boxes = proposals.flatMap((d) => d.box);
      const staged = secondStage(graph, kept, { boxes, count: proposals.length }, shape, registry);
      const head = preNmsHead(staged, shape, registry, request);
      return modelFromGraph(head.graph, { ...opts, inputShape: shape, contract: { input, output: head.output } });
    },
    dispose: () => first.dispose(),
    [Symbol.dispose]: () => first.dispose(),
  };
}
