/**
 * A detector's post-processing as exporters write it after the head: score thresholds feeding
 * NonZero, NonMaxSuppression (often inside an If), and whatever reads their results (TopK of a
 * data-dependent count, Gathers at the kept indices, the final boxes). Every shape there depends
 * on the data, so it never loads on the GPU: `postprocessCut` is the graph without it, its
 * outputs the tensors the post-processing reads from the fixed-shape part (the frontier), and
 * the post-processing's nodes, kept for reading its constants on the host (prenms-head.ts).
 */
import { allNodes, outerNames, type Graph, type Node } from './ir.ts';

/** Ops whose output's shape depends on the values of their inputs. */
export const DATA_DEPENDENT = new Set(['NonZero', 'NonMaxSuppression', 'Unique', 'Compress']);

export interface PostprocessCut {
  /** The fixed-shape part; its outputs are `frontier`. */
  readonly graph: Graph;
  /** The post-processing's nodes (top level), downstream of a data-dependent op. */
  readonly nodes: readonly Node[];
  /** Tensors of the fixed-shape part the post-processing reads. */
  readonly frontier: readonly string[];
}

/** Whether the graph (or a branch of its Ifs) holds a data-dependent op. */
export function hasPostprocess(graph: Graph): boolean {
  return allNodes(graph).some((n) => DATA_DEPENDENT.has(n.opType));
}

/** Ops whose output is known from the input's shape alone (the image's shape is fixed). */
const SHAPE_ONLY = new Set(['Shape', 'Size']);

export function postprocessCut(graph: Graph): PostprocessCut {
  const tainted = new Set<string>();
  const region = new Set<Node>();
  // Tensors computed from the image's values; a data-dependent op on anything else (a two-stage
  // detector's level mapping of proposals given as constants) folds on the host.
  const image = new Set(graph.inputs.map((i) => i.name));
  // ONNX nodes are sorted; a node is post-processing if it is data-dependent (itself or in a
  // branch) on the image's values, or reads a post-processing tensor.
  for (const n of graph.nodes) {
    const reads = [...n.inputs, ...outerNames(n)];
    const fromImage = reads.some((t) => image.has(t));
    if (fromImage && !SHAPE_ONLY.has(n.opType)) for (const o of n.outputs) if (o) image.add(o);
    const dataDependent =
      DATA_DEPENDENT.has(n.opType) || allNodes({ ...graph, nodes: [n] }).some((m) => DATA_DEPENDENT.has(m.opType));
    const own = dataDependent && fromImage;
    if (own || reads.some((t) => tainted.has(t))) {
      region.add(n);
      for (const o of n.outputs) if (o) tainted.add(o);
    }
  }
  const kept = graph.nodes.filter((n) => !region.has(n));
  const produced = new Set(kept.flatMap((n) => n.outputs));
  const frontier = [
    ...new Set(
      [...region].flatMap((n) => [...n.inputs, ...outerNames(n)]).filter((t) => t && produced.has(t) && !tainted.has(t)),
    ),
  ];
  return {
    graph: { ...graph, nodes: kept, outputs: frontier.map((name) => ({ name, dtype: 'unknown', dims: [] })) },
    nodes: [...region],
    frontier,
  };
}
