/** What a graph's tensors are computed from, and what is computed from them. */
import { outerNames, type Node } from './ir.ts';

/** The tensors `names` are computed from by `nodes` (sorted), `names` included. */
export function ancestorsOf(nodes: readonly Node[], names: readonly string[]): Set<string> {
  const seen = new Set(names);
  for (const n of [...nodes].reverse())
    if (n.outputs.some((o) => seen.has(o))) for (const t of [...n.inputs, ...outerNames(n)]) if (t) seen.add(t);
  return seen;
}

/** The tensors `nodes` (sorted) compute from `names`, `names` included. */
export function descendantsOf(nodes: readonly Node[], names: readonly string[]): Set<string> {
  const seen = new Set(names);
  for (const n of nodes)
    if ([...n.inputs, ...outerNames(n)].some((t) => seen.has(t))) for (const o of n.outputs) if (o) seen.add(o);
  return seen;
}
