/** Typed attribute access with defaults and validation errors that name the node. */
import { CamanimError } from '../errors.ts';
import type { HostTensor, Node } from '../graph/ir.ts';

function bad(node: Node, name: string, want: string, got: unknown): CamanimError {
  return new CamanimError(
    'bad-attribute',
    `Attribute '${name}' must be ${want}, got ${JSON.stringify(got)}`,
    { node: node.name, op: node.opType },
    'The model file is corrupt or was exported incorrectly',
  );
}

export function intAttr(node: Node, name: string, fallback?: number): number {
  const v = node.attributes.get(name);
  if (v === undefined) {
    if (fallback === undefined)
      throw new CamanimError('bad-attribute', `Required attribute '${name}' is missing`, { node: node.name, op: node.opType });
    return fallback;
  }
  if (typeof v !== 'number' || !Number.isInteger(v)) throw bad(node, name, 'an integer', v);
  return v;
}

export function floatAttr(node: Node, name: string, fallback: number): number {
  const v = node.attributes.get(name);
  if (v === undefined) return fallback;
  if (typeof v !== 'number') throw bad(node, name, 'a number', v);
  return v;
}

export function stringAttr(node: Node, name: string, fallback: string): string {
  const v = node.attributes.get(name);
  if (v === undefined) return fallback;
  if (typeof v !== 'string') throw bad(node, name, 'a string', v);
  return v;
}

export function intsAttr(node: Node, name: string, fallback?: readonly number[]): number[] | undefined {
  const v = node.attributes.get(name);
  if (v === undefined) return fallback ? [...fallback] : undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x)))
    throw bad(node, name, 'a list of integers', v);
  return v as number[];
}

export function floatsAttr(node: Node, name: string): number[] | undefined {
  const v = node.attributes.get(name);
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) throw bad(node, name, 'a list of numbers', v);
  return v as number[];
}

export function tensorAttr(node: Node, name: string): HostTensor | undefined {
  const v = node.attributes.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || Array.isArray(v) || !('data' in v)) throw bad(node, name, 'a tensor', v);
  return v;
}

/** Normalizes a possibly negative axis against `rank`, with an error naming the node. */
export function normAxis(node: Node, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) {
    throw new CamanimError('bad-attribute', `Axis ${axis} is out of range for a rank-${rank} tensor`, {
      node: node.name,
      op: node.opType,
    });
  }
  return a;
}
