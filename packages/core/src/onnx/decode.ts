/**
 * ModelProto bytes → Graph. Decoding is bounded (file size, node count, name lengths) and
 * every structural problem becomes a CamanimError naming the file and node.
 */
import onnxProto from 'onnx-proto';
import { CamanimError } from '../errors.ts';
import type { AttrValue, Graph, GraphValue, HostTensor, Node } from '../graph/ir.ts';
import { dtypeOf, tensorFromProto, toNumber, type ExternalReader } from './tensor.ts';

const { onnx } = onnxProto;

export const LIMITS = {
  fileBytes: 2 ** 31 - 1,
  nodes: 200_000,
  nameLength: 4096,
  metadataValueLength: 1 << 20,
  subgraphDepth: 16,
};
/** Newest default-domain opset whose operator semantics camanim implements. */
export const MAX_OPSET = 21;
export const MIN_OPSET = 7;

export function decodeModel(bytes: Uint8Array, source: string, readExternal?: ExternalReader): Graph {
  if (bytes.length > LIMITS.fileBytes) {
    throw new CamanimError(
      'resource-limit',
      `Model file is ${bytes.length} bytes, over the 2 GiB protobuf limit`,
      { file: source },
      'Save large weights as external data',
    );
  }
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (cause) {
    throw new CamanimError(
      'bad-model',
      `Not a valid ONNX file: ${(cause as Error).message}`,
      { file: source },
      'Check that the file is a complete .onnx model (it may be truncated or another format)',
      { cause },
    );
  }
  const g = model.graph;
  if (!g?.node || g.node.length === 0) {
    throw new CamanimError(
      'bad-model',
      'The file decodes but holds no graph nodes',
      { file: source },
      'Check that the file is an ONNX model exported from a framework',
    );
  }
  if (g.node.length > LIMITS.nodes) {
    throw new CamanimError('resource-limit', `Graph has ${g.node.length} nodes, over the limit of ${LIMITS.nodes}`, {
      file: source,
    });
  }
  const opset = defaultOpset(model, source);
  return {
    ...decodeGraph(g, { source, opset, readExternal, depth: 0 }),
    metadata: metadataOf(model, source),
    producer: model.producerName || undefined,
  };
}

interface Scope {
  readonly source: string;
  readonly opset: number;
  readonly readExternal?: ExternalReader;
  /** How many subgraphs (If branches) enclose this graph. */
  readonly depth: number;
}

/** A GraphProto (the model's, or an If branch: a subgraph attribute) → Graph. */
function decodeGraph(g: onnxProto.onnx.IGraphProto, scope: Scope): Graph {
  const { source, opset, readExternal } = scope;
  const initializers = new Map<string, HostTensor>();
  for (const t of g.initializer ?? []) {
    const name = checkName(t.name, source, 'initializer');
    initializers.set(name, tensorFromProto(t, source, readExternal));
  }
  const nodes = (g.node ?? []).map((n, k) => decodeNode(n, k, scope));
  const inputs = (g.input ?? []).map((v) => graphValue(v, source)).filter((v) => !initializers.has(v.name));
  const outputs = (g.output ?? []).map((v) => graphValue(v, source));
  return { nodes, inputs, outputs, initializers, opset, source };
}

/** metadata_props as a map; entries without a key, or over the name limit, are skipped. */
function metadataOf(model: InstanceType<typeof onnx.ModelProto>, source: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of model.metadataProps ?? []) {
    if (!p.key || p.key.length > LIMITS.nameLength) continue;
    const value = p.value ?? '';
    if (value.length > LIMITS.metadataValueLength) {
      throw new CamanimError(
        'resource-limit',
        `metadata_props '${p.key}' is ${value.length} characters long`,
        { file: source },
        'The model file is corrupt, or its metadata holds data that belongs elsewhere',
      );
    }
    map.set(p.key, value);
  }
  return map;
}

function defaultOpset(model: InstanceType<typeof onnx.ModelProto>, source: string): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const opset = entry ? toNumber(entry.version) : MIN_OPSET;
  if (opset > MAX_OPSET) {
    throw new CamanimError(
      'bad-model',
      `Model uses ONNX opset ${opset}; camanim supports opsets ${MIN_OPSET} to ${MAX_OPSET}`,
      { file: source },
      `Re-export with opset_version=${Math.min(17, MAX_OPSET)}`,
    );
  }
  return Math.max(opset, 1);
}

function checkName(name: string | null | undefined, source: string, what: string): string {
  if (!name) throw new CamanimError('bad-model', `An ${what} has no name`, { file: source }, 'The model file is corrupt');
  if (name.length > LIMITS.nameLength)
    throw new CamanimError('resource-limit', `An ${what} name is ${name.length} characters long`, { file: source });
  return name;
}

function graphValue(v: InstanceType<typeof onnx.ValueInfoProto> | onnxProto.onnx.IValueInfoProto, source: string): GraphValue {
  const name = checkName(v.name, source, 'graph input or output');
  const tt = v.type?.tensorType;
  const dims = (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNumber(d.dimValue) : -1));
  return { name, dtype: dtypeOf(tt?.elemType), dims };
}

function decodeNode(n: onnxProto.onnx.INodeProto, index: number, scope: Scope): Node {
  const { source, readExternal } = scope;
  const opType = n.opType ?? '';
  // Inside a branch, the index alone would repeat the enclosing graph's fallback names.
  const name = n.name || `${opType}_${scope.depth ? `d${scope.depth}_` : ''}${index}`;
  if (!opType) throw new CamanimError('bad-model', 'Node has no op type', { file: source, node: name });
  const attributes = new Map<string, AttrValue>();
  for (const a of n.attribute ?? []) {
    if (!a.name) continue;
    attributes.set(a.name, a.type === 5 ? subgraph(a, opType, name, scope) : attrValue(a, source, readExternal));
  }
  return {
    name,
    opType,
    domain: n.domain ?? '',
    inputs: [...(n.input ?? [])],
    outputs: [...(n.output ?? [])],
    attributes,
  };
}

const utf8 = new TextDecoder();

/**
 * An If branch (then_branch, else_branch): decoded, and inlined at plan time when the condition
 * is known (ops/if.ts). Loop and Scan run a body a data-dependent number of times: refused.
 */
function subgraph(a: onnxProto.onnx.IAttributeProto, opType: string, node: string, scope: Scope): Graph {
  const where = { file: scope.source, node, op: opType };
  if (opType !== 'If' || !a.g) {
    throw new CamanimError(
      'unsupported-op',
      `Attribute '${a.name}' of ${opType} holds a subgraph (a loop body), which camanim does not run`,
      where,
      'Export the model without Loop/Scan (unroll the loop, or trace it with fixed sizes)',
    );
  }
  if (scope.depth >= LIMITS.subgraphDepth) {
    throw new CamanimError(
      'resource-limit',
      `If branches are nested more than ${LIMITS.subgraphDepth} deep`,
      where,
      'The model file is corrupt or malicious',
    );
  }
  return decodeGraph(a.g, { ...scope, depth: scope.depth + 1 });
}

function attrValue(a: onnxProto.onnx.IAttributeProto, source: string, readExternal?: ExternalReader): AttrValue {
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return toNumber(a.i);
    case 3:
      return utf8.decode(a.s ?? new Uint8Array());
    case 4:
      return tensorFromProto(a.t ?? {}, source, readExternal);
    case 6:
      return [...(a.floats ?? [])];
    case 7:
      return (a.ints ?? []).map(toNumber);
    case 8:
      return (a.strings ?? []).map((s) => utf8.decode(s));
    default:
      // Older exporters leave `type` unset: infer it from the field that is filled.
      if (a.ints?.length) return a.ints.map(toNumber);
      if (a.floats?.length) return [...a.floats];
      if (a.t) return tensorFromProto(a.t, source, readExternal);
      if (a.s?.length) return utf8.decode(a.s);
      if (a.i != null && toNumber(a.i) !== 0) return toNumber(a.i);
      return a.f ?? 0;
  }
}
