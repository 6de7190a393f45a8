/**
 * The Graph IR: ONNX nodes with parsed attributes, initializers as host tensors, and static
 * value infos. Integer tensors live on the host as Float64Array (exact below 2^53, enough for
 * shapes and indices); only float32 tensors go to the GPU.
 */
export type DType =
  | 'float32'
  | 'float64'
  | 'float16'
  | 'int64'
  | 'int32'
  | 'int16'
  | 'int8'
  | 'uint8'
  | 'bool'
  | 'string'
  | 'unknown';

export interface HostTensor {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: Float32Array | Float64Array;
}

/** Static information about a value once shapes are inferred. */
export interface ValueInfo {
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export type AttrValue = number | string | number[] | string[] | HostTensor | Graph;

export interface Node {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: ReadonlyMap<string, AttrValue>;
}

export interface GraphValue {
  readonly name: string;
  readonly dtype: DType;
  /** Declared dims; a string is a symbolic (dynamic) dim, -1 an unknown one. */
  readonly dims: readonly (number | string)[];
}

export interface Graph {
  readonly nodes: readonly Node[];
  readonly inputs: readonly GraphValue[];
  readonly outputs: readonly GraphValue[];
  readonly initializers: ReadonlyMap<string, HostTensor>;
  /** Opset of the default ONNX domain. */
  readonly opset: number;
  /** File the graph came from, for error messages. */
  readonly source: string;
  /** Nodes camanim added to adapt the graph (graph/channels-first.ts): not the model's layers. */
  readonly adapters?: ReadonlySet<string>;
  /** The ModelProto's metadata_props (key → value), where an exporter wrote them. */
  readonly metadata?: ReadonlyMap<string, string>;
  /** The ModelProto's producer_name ("pytorch", "tf2onnx", "paddle2onnx", …), for messages. */
  readonly producer?: string;
}

export function isFloat(dtype: DType): boolean {
  return dtype === 'float32' || dtype === 'float64' || dtype === 'float16';
}

export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function hostTensor(dtype: DType, shape: readonly number[], data: ArrayLike<number>): HostTensor {
  const arr = dtype === 'float32' ? Float32Array.from(data) : Float64Array.from(data);
  return { dtype, shape: [...shape], data: arr };
}

function isGraph(v: AttrValue): v is Graph {
  return typeof v === 'object' && 'nodes' in v;
}

/** The subgraphs a node holds as attributes (an If's branches). */
export function subgraphs(node: Node): Graph[] {
  return [...node.attributes.values()].filter(isGraph);
}

/** Every subgraph of the graph's nodes, nested ones included. */
export function branches(graph: Graph): Graph[] {
  return graph.nodes.flatMap(subgraphs).flatMap((g) => [g, ...branches(g)]);
}

/** Every node of the graph and of its subgraphs. */
export function allNodes(graph: Graph): Node[] {
  return [graph, ...branches(graph)].flatMap((g) => g.nodes);
}

/**
 * Names a node's subgraphs read from enclosing scopes (ONNX: a branch sees every value defined
 * before its node): dependencies of the node as much as its inputs.
 */
export function outerNames(node: Node): string[] {
  const names = new Set<string>();
  for (const g of subgraphs(node)) {
    const local = new Set([...g.inputs.map((v) => v.name), ...g.initializers.keys(), ...g.nodes.flatMap((n) => n.outputs)]);
    const read = [...g.nodes.flatMap((n) => [...n.inputs, ...outerNames(n)]), ...g.outputs.map((v) => v.name)];
    for (const name of read) if (name && !local.has(name)) names.add(name);
  }
  return [...names];
}
