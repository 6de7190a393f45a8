/** The op registry: an explicit list of op modules keyed by ONNX op type. */
import { CamanimError } from '../errors.ts';
import { allNodes, branches, type Graph } from '../graph/ir.ts';
import type { OpDef } from './op.ts';

export interface OpRegistry {
  get(type: string): OpDef | undefined;
  types(): string[];
}

export function createOpRegistry(ops: readonly OpDef[]): OpRegistry {
  const map = new Map<string, OpDef>();
  for (const op of ops) {
    if (map.has(op.type)) throw new Error(`Op '${op.type}' is registered twice`);
    map.set(op.type, op as OpDef);
  }
  return { get: (t) => map.get(t), types: () => [...map.keys()].sort() };
}

/**
 * Fails at load time, naming every unsupported node, never at run time: ops camanim lacks, then
 * variants a registered op refuses (its `unsupported` check, e.g. Conv over 3-D volumes). The
 * nodes of If branches are checked as well.
 */
export function checkSupported(graph: Graph, registry: OpRegistry): void {
  const nodes = allNodes(graph);
  const missing = nodes.filter((n) => (n.domain && n.domain !== 'ai.onnx') || !registry.get(n.opType));
  if (missing.length === 0) {
    // A branch's nodes read the enclosing graphs' initializers (names are unique across scopes).
    const scope = { ...graph, initializers: new Map([graph, ...branches(graph)].flatMap((g) => [...g.initializers])) };
    for (const n of nodes) {
      const refusal = registry.get(n.opType)!.unsupported?.(n, scope);
      if (refusal)
        throw new CamanimError(
          'unsupported-op',
          `${n.opType}: ${refusal.what}`,
          { file: graph.source, node: n.name, op: n.opType },
          refusal.hint,
        );
    }
    return;
  }
  const first = missing[0];
  const others =
    missing.length > 1
      ? ` and ${missing.length - 1} more node(s) of type(s) ${[...new Set(missing.slice(1).map((n) => n.opType))].join(', ')}`
      : '';
  throw new CamanimError(
    'unsupported-op',
    `Unsupported op '${first.domain ? `${first.domain}.` : ''}${first.opType}'${others}`,
    { file: graph.source, node: first.name, op: first.opType },
    `Supported ops: ${registry.types().join(', ')}`,
  );
}
