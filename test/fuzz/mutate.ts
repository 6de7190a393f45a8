/**
 * Mutations of an ONNX file, all drawn from one seeded Rng: byte level (truncation, bit
 * flips, overwritten runs, splices of two files, duplicated chunks) and field level through
 * onnx-proto decode → mutate → encode (dims, data types, raw data lengths, tensor values,
 * attributes, names, graph structure, opsets, external data, graph inputs and outputs).
 */
import onnxProto from 'onnx-proto';
import { defaultRegistry } from '@camanim/core';
import type { Rng } from './rng.ts';

const { onnx } = onnxProto;
type ModelProto = onnxProto.onnx.IModelProto;
type GraphProto = onnxProto.onnx.IGraphProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

/** Extra files written next to the mutated model ('dir' makes a folder). */
export type Files = Map<string, Uint8Array | 'dir'>;

export interface Mutant {
  readonly bytes: Uint8Array;
  readonly files: Files;
  /** What was done, one line per mutation. */
  readonly log: readonly string[];
}

const EVIL_INTS = [
  0,
  -1,
  -2,
  1,
  2,
  3,
  7,
  64,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32 + 1,
  1e9,
  1e12,
  2 ** 53,
  2 ** 53 + 2,
  -1e12,
  -(2 ** 31),
];
const EVIL_FLOATS = [0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, 0.5, -1, 1e9, 1e-30];
const DTYPE_CODES = [0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 23, 99, -1];
const ATTR_NAMES = [
  'axis',
  'axes',
  'keepdims',
  'kernel_shape',
  'pads',
  'strides',
  'dilations',
  'auto_pad',
  'ceil_mode',
  'count_include_pad',
  'group',
  'perm',
  'split',
  'num_outputs',
  'starts',
  'ends',
  'to',
  'mode',
  'epsilon',
  'alpha',
  'beta',
  'min',
  'max',
  'value',
  'value_ints',
  'value_floats',
  'scales',
  'coordinate_transformation_mode',
  'nearest_mode',
  'cubic_coeff_a',
  'exclude_outside',
  'allowzero',
  'noop_with_empty_axes',
  'training_mode',
  'start',
  'end',
  'antialias',
  'keep_aspect_ratio_policy',
  'transA',
  'transB',
  'spatial',
  'storage_order',
  'extrapolation_value',
  'momentum',
];
const STRINGS = [
  '',
  'NOTSET',
  'SAME_UPPER',
  'SAME_LOWER',
  'VALID',
  'constant',
  'reflect',
  'edge',
  'wrap',
  'nearest',
  'linear',
  'cubic',
  'half_pixel',
  'align_corners',
  'asymmetric',
  'tf_crop_and_resize',
  'floor',
  'ceil',
  'round_prefer_floor',
  'not_larger',
  'bogus',
  '\u0000',
  'x'.repeat(300),
];
const OTHER_OPS = ['Conv', 'Gemm', 'MatMul', 'ConvTranspose', 'NotAnOp', 'If', 'Loop', ''];

// ---------------------------------------------------------------- byte level

function byteMutation(bytes: Uint8Array, other: () => Uint8Array, rng: Rng, log: string[]): Uint8Array {
  const n = bytes.length;
  switch (rng.int(5)) {
    case 0: {
      const at = rng.int(Math.max(1, n));
      log.push(`truncate at ${at}/${n}`);
      return bytes.slice(0, at);
    }
    case 1: {
      const out = bytes.slice();
      const flips = rng.range(1, 16);
      for (let k = 0; k < flips && n; k++) out[rng.int(n)] ^= 1 << rng.int(8);
      log.push(`flip ${flips} bits`);
      return out;
    }
    case 2: {
      const out = bytes.slice();
      const at = rng.int(Math.max(1, n));
      const len = Math.min(n - at, rng.range(1, 64));
      const fill = rng.pick(['random', 0x00, 0xff, 0x7f, 0x80] as const);
      for (let k = 0; k < len; k++) out[at + k] = fill === 'random' ? rng.int(256) : fill;
      log.push(`overwrite ${len} bytes at ${at} with ${fill}`);
      return out;
    }
    case 3: {
      const b = other();
      const p = rng.int(n + 1);
      const q = rng.int(b.length + 1);
      const out = new Uint8Array(p + b.length - q);
      out.set(bytes.subarray(0, p));
      out.set(b.subarray(q), p);
      log.push(`splice [0,${p}) + other[${q},${b.length})`);
      return out;
    }
    default: {
      const at = rng.int(Math.max(1, n));
      const len = Math.min(n - at, rng.range(1, 512));
      const to = rng.int(n + 1);
      const times = rng.range(1, 4);
      const chunk = bytes.subarray(at, at + len);
      const out = new Uint8Array(n + len * times);
      out.set(bytes.subarray(0, to));
      for (let k = 0; k < times; k++) out.set(chunk, to + k * len);
      out.set(bytes.subarray(to), to + len * times);
      log.push(`duplicate ${len} bytes from ${at} x${times} at ${to}`);
      return out;
    }
  }
}

// ---------------------------------------------------------------- tensors

const WIDTH: Record<number, number> = { 1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8 };

/** Every tensor in the graph: initializers and tensor attributes (Constant values). */
function allTensors(g: GraphProto): TensorProto[] {
  const out: TensorProto[] = [...(g.initializer ?? [])];
  for (const n of g.node ?? []) for (const a of n.attribute ?? []) if (a.t) out.push(a.t);
  return out;
}

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

/** Values of a float/int tensor, whichever field holds them. */
function tensorValues(t: TensorProto): number[] {
  const code = t.dataType ?? 0;
  const raw = t.rawData;
  if (raw?.length) {
    const w = WIDTH[code] ?? 4;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out: number[] = [];
    for (let k = 0; k + w <= raw.length; k += w) {
      if (code === 1) out.push(view.getFloat32(k, true));
      else if (code === 7) out.push(Number(view.getBigInt64(k, true)));
      else if (code === 6) out.push(view.getInt32(k, true));
      else if (code === 11) out.push(view.getFloat64(k, true));
      else out.push(view.getUint8(k));
    }
    return out;
  }
  const typed = t.floatData?.length
    ? t.floatData
    : t.int64Data?.length
      ? t.int64Data
      : t.int32Data?.length
        ? t.int32Data
        : (t.doubleData ?? []);
  return Array.from(typed as ArrayLike<unknown>, num);
}

function encodeValues(code: number, values: readonly number[]): Uint8Array {
  const w = WIDTH[code] ?? 4;
  const raw = new Uint8Array(values.length * w);
  const view = new DataView(raw.buffer);
  values.forEach((v, k) => {
    if (code === 1) view.setFloat32(k * w, v, true);
    else if (code === 7) view.setBigInt64(k * w, BigInt.asIntN(64, BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)), true);
    else if (code === 6) view.setInt32(k * w, v, true);
    else if (code === 11) view.setFloat64(k * w, v, true);
    else if (w === 2) view.setUint16(k * w, v, true);
    else view.setUint8(k * w, v);
  });
  return raw;
}

function setValues(t: TensorProto, values: readonly number[]): void {
  t.rawData = encodeValues(t.dataType ?? 1, values);
  t.floatData = [];
  t.int64Data = [];
  t.int32Data = [];
  t.doubleData = [];
}

function evilDims(dims: readonly number[], rng: Rng): number[] {
  const d = [...dims];
  switch (rng.int(6)) {
    case 0:
      if (d.length) d[rng.int(d.length)] = rng.pick(EVIL_INTS);
      else d.push(rng.pick(EVIL_INTS));
      return d;
    case 1:
      d.splice(rng.int(d.length + 1), 0, rng.pick([0, 1, 2, 1e12]));
      return d;
    case 2:
      d.splice(rng.int(Math.max(1, d.length)), 1);
      return d;
    case 3:
      return [2 ** 27, 2 ** 27, 3];
    case 4:
      return [];
    default:
      return d.map(() => rng.pick([-1, 0, 2 ** 20, 3]));
  }
}

function mutateTensor(t: TensorProto, rng: Rng, log: string[], files: Files): void {
  const name = t.name || '(attribute tensor)';
  switch (rng.int(6)) {
    case 0: {
      const dims = evilDims((t.dims ?? []).map(num), rng);
      log.push(`tensor ${name}: dims [${(t.dims ?? []).map(num)}] -> [${dims}]`);
      t.dims = dims;
      return;
    }
    case 1: {
      const code = rng.pick(DTYPE_CODES);
      log.push(`tensor ${name}: data_type ${t.dataType} -> ${code}`);
      t.dataType = code;
      return;
    }
    case 2: {
      const raw = t.rawData?.length ? t.rawData : encodeValues(t.dataType ?? 1, tensorValues(t));
      const how = rng.int(4);
      if (how === 0) t.rawData = raw.slice(0, rng.int(raw.length + 1));
      else if (how === 1) t.rawData = new Uint8Array([...raw, ...rng.bytes(rng.range(1, 16))]);
      else if (how === 2) t.rawData = new Uint8Array(0);
      else {
        // Both raw_data and a typed field, disagreeing.
        t.rawData = raw;
        t.floatData = [1, 2, 3];
      }
      if (how !== 3) {
        t.floatData = [];
        t.int64Data = [];
        t.int32Data = [];
        t.doubleData = [];
      }
      log.push(
        `tensor ${name}: raw_data ${raw.length} -> ${t.rawData.length} bytes (${['shorter', 'longer', 'empty', 'raw+typed'][how]})`,
      );
      return;
    }
    case 3:
    case 4: {
      const values = tensorValues(t);
      const float = t.dataType === 1 || t.dataType === 11;
      const pool = float ? [...EVIL_FLOATS, ...EVIL_INTS] : EVIL_INTS;
      if (values.length === 0) values.push(rng.pick(pool));
      const all = rng.chance(0.3);
      for (let k = 0; k < values.length; k++)
        if (all || k === 0 || rng.chance(1 / values.length)) values[all ? k : rng.int(values.length)] = rng.pick(pool);
      log.push(`tensor ${name}: values -> [${values.slice(0, 8).join(', ')}${values.length > 8 ? ', ...' : ''}]`);
      setValues(t, values);
      return;
    }
    default:
      mutateExternal(t, rng, log, files);
  }
}

// ---------------------------------------------------------------- external data

const LOCATIONS = [
  'w.bin',
  'w.bin',
  './w.bin',
  'sub/../w.bin',
  'sub/w.bin',
  '../w.bin',
  '../../../../etc/passwd',
  '/etc/passwd',
  '/tmp/w.bin',
  'missing.bin',
  '',
  'w.bin\u0000.txt',
  'C:\\w.bin',
  '..\\w.bin',
  'sub',
  '.',
  'sub/',
  'w.bin/',
  'x'.repeat(5000),
  '%2e%2e/w.bin',
  'file:///etc/passwd',
  'model.onnx',
  '~/w.bin',
  '\\\\server\\share\\w.bin',
];

function mutateExternal(t: TensorProto, rng: Rng, log: string[], files: Files): void {
  const name = t.name || '(attribute tensor)';
  const data = t.rawData?.length ? t.rawData : encodeValues(t.dataType ?? 1, tensorValues(t));
  const pad = rng.pick([0, 0, 4, 3, 1024]);
  const location = rng.pick(LOCATIONS);
  let content = new Uint8Array(pad + data.length);
  content.set(data, pad);
  const shape = rng.int(5);
  if (shape === 1) content = content.slice(0, rng.int(content.length + 1));
  else if (shape === 2) content = new Uint8Array([...content, ...rng.bytes(16)]);
  else if (shape === 3) content = new Uint8Array(0);
  files.set('w.bin', content);
  if (location.startsWith('sub')) {
    files.set('sub/.keep', new Uint8Array(0)); // a folder that git can keep in a saved case
    if (rng.chance(0.5)) files.set('sub/w.bin', content);
  }
  const offset = rng.pick([
    undefined,
    String(pad),
    String(pad),
    '0',
    '-1',
    '1e30',
    'abc',
    '0x10',
    '',
    '9007199254740993',
    String(content.length),
    '3',
    ' 4',
    '4.5',
    'Infinity',
  ]);
  const length = rng.pick([
    undefined,
    String(data.length),
    String(data.length),
    String(Math.max(0, data.length - 1)),
    String(data.length + 4),
    '0',
    '-8',
    '1e30',
    'NaN',
    '',
  ]);
  const entries: { key: string; value: string }[] = [];
  if (!rng.chance(0.05)) entries.push({ key: 'location', value: location });
  if (offset !== undefined) entries.push({ key: 'offset', value: offset });
  if (length !== undefined) entries.push({ key: 'length', value: length });
  if (rng.chance(0.1)) entries.push({ key: 'location', value: rng.pick(LOCATIONS) });
  if (rng.chance(0.1)) entries.push({ key: 'checksum', value: 'deadbeef' });
  t.externalData = entries;
  // Codes past the enum (2, 99) on purpose.
  t.dataLocation = rng.pick([1, 1, 1, 1, 2, 99]) as onnxProto.onnx.TensorProto.DataLocation;
  if (!rng.chance(0.1)) {
    t.rawData = new Uint8Array(0);
    t.floatData = [];
    t.int64Data = [];
    t.int32Data = [];
    t.doubleData = [];
  }
  log.push(
    `tensor ${name}: external data_location=${t.dataLocation} ${JSON.stringify(entries.map((e) => [e.key, e.value.length > 40 ? `${e.value.slice(0, 20)}...(${e.value.length})` : e.value]))}, w.bin ${content.length} bytes (needs ${data.length} at ${pad})`,
  );
}

// ---------------------------------------------------------------- attributes

function randomAttr(name: string, rng: Rng): AttributeProto {
  switch (rng.int(8)) {
    case 0:
      return { name, type: 2, i: rng.pick(EVIL_INTS) };
    case 1:
      return { name, type: 7, ints: Array.from({ length: rng.range(0, 6) }, () => rng.pick(EVIL_INTS)) };
    case 2:
      return { name, type: 1, f: rng.pick(EVIL_FLOATS) };
    case 3:
      return { name, type: 6, floats: Array.from({ length: rng.range(0, 6) }, () => rng.pick(EVIL_FLOATS)) };
    case 4:
      return { name, type: 3, s: new TextEncoder().encode(rng.pick(STRINGS)) };
    case 5:
      return { name, type: 8, strings: [new TextEncoder().encode(rng.pick(STRINGS))] };
    case 6:
      return {
        name,
        type: 4,
        t: { dims: [rng.range(0, 3)], dataType: rng.pick([1, 7, 6, 11, 99]), rawData: rng.bytes(rng.range(0, 24)) },
      };
    default:
      return { name, type: rng.pick([0, 5, 9, 10, 11, 12, 13, 14, 99]) as onnxProto.onnx.AttributeProto.AttributeType };
  }
}

function mutateAttributes(node: NodeProto, rng: Rng, log: string[]): void {
  const attrs = [...(node.attribute ?? [])];
  const where = `node ${node.name || node.opType}`;
  const k = rng.int(Math.max(1, attrs.length));
  const a = attrs[k];
  const how = a ? rng.int(6) : 5;
  switch (how) {
    case 0:
      attrs.splice(k, 1);
      log.push(`${where}: drop attribute ${a.name}`);
      break;
    case 1: {
      const type = rng.pick([0, 1, 2, 3, 4, 6, 7, 8, 99]);
      log.push(`${where}: attribute ${a.name} type ${a.type} -> ${type} (fields kept)`);
      a.type = type;
      break;
    }
    case 2:
    case 3: {
      // An absurd value of the same kind (kernel_shape 0 or 1e9, negative pads, strides 0...).
      if (a.ints?.length || a.type === 7)
        a.ints = (a.ints?.length ? a.ints : [0]).map(() => (rng.chance(0.5) ? rng.pick(EVIL_INTS) : rng.pick([0, -1, 1e9])));
      else if (a.floats?.length || a.type === 6) a.floats = (a.floats?.length ? a.floats : [0]).map(() => rng.pick(EVIL_FLOATS));
      else if (a.type === 2) a.i = rng.pick(EVIL_INTS);
      else if (a.type === 1) a.f = rng.pick(EVIL_FLOATS);
      else if (a.type === 3) a.s = new TextEncoder().encode(rng.pick(STRINGS));
      else if (a.t) {
        const values = tensorValues(a.t).map((v) => (rng.chance(0.5) ? rng.pick(EVIL_INTS) : v));
        setValues(a.t, values);
      } else attrs[k] = randomAttr(a.name ?? '', rng);
      log.push(`${where}: attribute ${a.name} absurd value ${JSON.stringify(a.ints ?? a.floats ?? a.i ?? a.f)?.slice(0, 80)}`);
      break;
    }
    case 4:
      attrs[k] = randomAttr(a.name ?? '', rng);
      log.push(`${where}: attribute ${a.name} replaced by type ${attrs[k].type}`);
      break;
    default: {
      const name = rng.chance(0.9) ? rng.pick(ATTR_NAMES) : rng.pick(['', a?.name ?? 'axis']);
      const extra = randomAttr(name, rng);
      attrs.push(extra);
      log.push(`${where}: add attribute '${name}' type ${extra.type}`);
    }
  }
  node.attribute = attrs;
}

// ---------------------------------------------------------------- names and structure

function tensorNames(g: GraphProto): string[] {
  return [
    ...new Set([
      ...(g.input ?? []).map((v) => v.name ?? ''),
      ...(g.initializer ?? []).map((t) => t.name ?? ''),
      ...(g.node ?? []).flatMap((n) => n.output ?? []),
    ]),
  ].filter(Boolean);
}

function mutateNames(g: GraphProto, rng: Rng, log: string[]): void {
  const nodes = g.node ?? [];
  if (!nodes.length) return;
  const node = rng.pick(nodes);
  const names = tensorNames(g);
  const where = `node ${node.name || node.opType}`;
  switch (rng.int(8)) {
    case 0: {
      if (!node.output?.length) return;
      const k = rng.int(node.output.length);
      const to = rng.pick(names);
      log.push(`${where}: output ${node.output[k]} renamed to existing '${to}'`);
      node.output = node.output.map((o, j) => (j === k ? to : o));
      return;
    }
    case 1: {
      const ins = [...(node.input ?? [])];
      const k = rng.int(Math.max(1, ins.length));
      const to = rng.pick(['', 'undefined_tensor', rng.pick(names)]);
      log.push(`${where}: input ${k} '${ins[k]}' -> '${to}'`);
      ins[k] = to;
      node.input = ins;
      return;
    }
    case 2: {
      const long = rng.pick(['x'.repeat(4096), 'y'.repeat(4097), 'z'.repeat(100_000)]);
      const target = rng.pick(['node', 'output', 'initializer', 'input'] as const);
      if (target === 'node') node.name = long;
      else if (target === 'output' && node.output?.length) {
        const old = node.output[0];
        node.output = [long, ...node.output.slice(1)];
        for (const n of nodes) n.input = (n.input ?? []).map((i) => (i === old ? long : i));
        for (const o of g.output ?? []) if (o.name === old) o.name = long;
      } else if (target === 'initializer' && g.initializer?.length) rng.pick(g.initializer).name = long;
      else if (g.input?.length) rng.pick(g.input).name = long;
      log.push(`very long (${long.length}) ${target} name`);
      return;
    }
    case 3: {
      const what = rng.pick(['', '\u0000', 'ü', '../x', 'a b']);
      const target = rng.pick(['node', 'output', 'initializer', 'input'] as const);
      if (target === 'node') node.name = what;
      else if (target === 'output' && node.output?.length) node.output = [what, ...node.output.slice(1)];
      else if (target === 'initializer' && g.initializer?.length) rng.pick(g.initializer).name = what;
      else if (g.input?.length) rng.pick(g.input).name = what;
      log.push(`${target} name -> ${JSON.stringify(what)}`);
      return;
    }
    case 4: {
      const other = rng.pick(nodes);
      node.name = other.name;
      log.push(`${where}: duplicate node name '${other.name}'`);
      return;
    }
    case 5: {
      // The same initializer name twice, or an initializer that shadows a node output.
      if (!g.initializer?.length) return;
      const t = rng.pick(g.initializer);
      const to = rng.pick(names);
      log.push(`initializer ${t.name} renamed to '${to}'`);
      t.name = to;
      return;
    }
    case 6: {
      const k = rng.int(Math.max(1, node.output?.length ?? 1));
      const outs = [...(node.output ?? [])];
      outs[k] = '';
      node.output = outs;
      log.push(`${where}: output ${k} -> ''`);
      return;
    }
    default: {
      const ins = node.input ?? [];
      node.input = rng.chance(0.5) ? [...ins, rng.pick([...names, ''])] : ins.slice(0, rng.int(Math.max(1, ins.length)));
      log.push(`${where}: inputs [${ins.length}] -> [${node.input.length}]`);
    }
  }
}

function mutateStructure(g: GraphProto, rng: Rng, log: string[]): void {
  const nodes = [...(g.node ?? [])];
  if (!nodes.length) return;
  const k = rng.int(nodes.length);
  const node = nodes[k];
  const where = `node ${node.name || node.opType}`;
  switch (rng.int(8)) {
    case 0:
      nodes.splice(k, 1);
      log.push(`${where}: removed`);
      break;
    case 1:
      nodes.reverse();
      log.push('nodes reversed');
      break;
    case 2: {
      // A cycle: an early node reads a later node's output.
      const later = nodes[rng.int(nodes.length)];
      if (later.output?.length) node.input = [...(node.input ?? []).slice(0, -1), later.output[0]];
      log.push(`${where}: reads output of ${later.name || later.opType} (possible cycle)`);
      break;
    }
    case 3:
      nodes.splice(k, 0, { ...node });
      log.push(`${where}: duplicated`);
      break;
    case 4: {
      const op = rng.chance(0.8) ? rng.pick(defaultRegistry.types()) : rng.pick(OTHER_OPS);
      log.push(`${where}: op ${node.opType} -> ${op}`);
      node.opType = op;
      break;
    }
    case 5: {
      node.domain = rng.pick(['ai.onnx', 'com.microsoft', 'ai.onnx.ml', 'x'.repeat(200)]);
      log.push(`${where}: domain -> ${node.domain.slice(0, 20)}`);
      break;
    }
    case 6:
      g.node = [];
      log.push('all nodes removed');
      return;
    default: {
      // A new node of a random op on random existing tensors, often made the first output.
      const names = tensorNames(g);
      const op = rng.pick(defaultRegistry.types());
      const out = `fuzz_${rng.int(1e6)}`;
      const extra: NodeProto = {
        opType: op,
        name: `fuzz_${op}`,
        input: Array.from({ length: rng.range(1, 3) }, () => (rng.chance(0.1) ? '' : rng.pick(names))),
        output: [out],
        attribute: Array.from({ length: rng.range(0, 2) }, () => randomAttr(rng.pick(ATTR_NAMES), rng)),
      };
      nodes.splice(rng.int(nodes.length + 1), 0, extra);
      if (rng.chance(0.6)) g.output = [{ name: out, type: { tensorType: { elemType: 1 } } }, ...(g.output ?? [])];
      log.push(`new node ${op}(${extra.input!.join(', ')}) -> ${out} [${extra.attribute!.map((a) => a.name).join(', ')}]`);
    }
  }
  g.node = nodes;
}

function mutateOpset(m: ModelProto, rng: Rng, log: string[]): void {
  switch (rng.int(4)) {
    case 0:
      m.opsetImport = [];
      log.push('no opset_import');
      return;
    case 1:
      m.opsetImport = [
        { domain: '', version: rng.pick([1, 6]) },
        { domain: 'ai.onnx', version: rng.pick([13, 99]) },
      ];
      log.push(`two default-domain opsets ${JSON.stringify(m.opsetImport.map((o) => o.version))}`);
      return;
    default: {
      const version = rng.pick([-1, 0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 17, 18, 21, 22, 1e12, 2 ** 53]);
      m.opsetImport = [{ domain: '', version }, ...(m.opsetImport ?? []).filter((o) => o.domain && o.domain !== 'ai.onnx')];
      log.push(`opset -> ${version}`);
    }
  }
}

function mutateValueInfo(v: ValueInfoProto, rng: Rng, log: string[], what: string): void {
  const tt = v.type?.tensorType;
  const dims = [...(tt?.shape?.dim ?? [])];
  switch (rng.int(7)) {
    case 0: {
      if (!dims.length) dims.push({ dimValue: 1 });
      const k = rng.int(dims.length);
      dims[k] = { dimValue: rng.pick(EVIL_INTS) };
      log.push(`${what} ${v.name}: dim ${k} -> ${num(dims[k].dimValue)}`);
      break;
    }
    case 1:
      if (rng.chance(0.5)) dims.pop();
      else dims.push({ dimValue: rng.pick([1, 2, 3]) });
      log.push(`${what} ${v.name}: rank -> ${dims.length}`);
      break;
    case 2: {
      const k = rng.int(Math.max(1, dims.length));
      dims[k] = { dimParam: rng.pick(['N', 'height', '', 'x'.repeat(5000)]) };
      log.push(`${what} ${v.name}: dim ${k} symbolic`);
      break;
    }
    case 3:
      v.type = rng.chance(0.5) ? null : { tensorType: { elemType: tt?.elemType ?? 1 } };
      log.push(`${what} ${v.name}: type/shape removed`);
      return;
    case 4: {
      const elemType = rng.pick(DTYPE_CODES);
      v.type = { tensorType: { elemType, shape: tt?.shape } };
      log.push(`${what} ${v.name}: elem_type -> ${elemType}`);
      return;
    }
    case 5:
      for (let k = 0; k < dims.length; k++) dims[k] = { dimValue: rng.pick([2 ** 26, 2 ** 27, 3]) };
      log.push(`${what} ${v.name}: every dim huge`);
      break;
    default:
      dims.splice(0, dims.length, ...dims.map(() => ({ dimValue: rng.pick([0, -1, 1]) })));
      log.push(`${what} ${v.name}: dims -> [${dims.map((d) => num(d.dimValue))}]`);
  }
  v.type = { tensorType: { elemType: tt?.elemType ?? 1, shape: { dim: dims } } };
}

function mutateGraphIO(g: GraphProto, rng: Rng, log: string[]): void {
  const names = tensorNames(g);
  switch (rng.int(6)) {
    case 0:
    case 1:
    case 2:
      if (g.input?.length) mutateValueInfo(rng.pick(g.input), rng, log, 'input');
      else if (g.output?.length) mutateValueInfo(rng.pick(g.output), rng, log, 'output');
      return;
    case 3: {
      const how = rng.int(4);
      if (how === 0) g.input = [];
      else if (how === 1 && g.input?.length) g.input = [...g.input, { ...g.input[0] }];
      else if (how === 2)
        g.input = [
          ...(g.input ?? []),
          {
            name: rng.pick([...names, 'extra']),
            type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }, { dimParam: 'n' }] } } },
          },
        ];
      else g.input = (g.input ?? []).slice(1);
      log.push(`graph inputs: ${['all removed', 'first duplicated', 'extra input', 'first removed'][how]}`);
      return;
    }
    case 4: {
      const how = rng.int(4);
      if (how === 0) g.output = [];
      else if (how === 1)
        g.output = [
          { name: rng.pick(['undefined_output', ...names]), type: { tensorType: { elemType: 1 } } },
          ...(g.output ?? []),
        ];
      else if (how === 2 && g.output?.length) g.output = [...g.output, g.output[0]];
      else g.output = [{ name: (g.input ?? [])[0]?.name ?? 'x', type: { tensorType: { elemType: 1 } } }];
      log.push(`graph outputs: ${['all removed', 'first is another tensor', 'duplicated', 'the graph input'][how]}`);
      return;
    }
    default:
      if (g.output?.length) mutateValueInfo(rng.pick(g.output), rng, log, 'output');
  }
}

// ---------------------------------------------------------------- entry

function fieldMutation(m: ModelProto, rng: Rng, log: string[], files: Files): void {
  m.graph ??= { node: [] };
  const g = m.graph;
  const tensors = allTensors(g);
  const nodes = g.node ?? [];
  const roll = rng.int(100);
  if (roll < 25 && tensors.length) mutateTensor(rng.pick(tensors), rng, log, files);
  else if (roll < 32 && tensors.length) mutateExternal(rng.pick(tensors), rng, log, files);
  else if (roll < 55 && nodes.length) mutateAttributes(rng.pick(nodes), rng, log);
  else if (roll < 67) mutateNames(g, rng, log);
  else if (roll < 80) mutateStructure(g, rng, log);
  else if (roll < 85) mutateOpset(m, rng, log);
  else mutateGraphIO(g, rng, log);
}

/** One case: 1-3 byte mutations (20%) or 1-4 field mutations (80%) of `bytes`. */
export function mutate(original: Uint8Array, other: () => Uint8Array, rng: Rng): Mutant {
  const bytes = new Uint8Array(original);
  const log: string[] = [];
  const files: Files = new Map();
  if (rng.chance(0.2)) {
    let out: Uint8Array = bytes;
    const n = rng.range(1, 3);
    for (let k = 0; k < n; k++) out = byteMutation(out, other, rng, log);
    return { bytes: out, files, log };
  }
  const model = onnx.ModelProto.decode(bytes);
  const n = rng.chance(0.5) ? 1 : rng.range(2, 4);
  for (let k = 0; k < n; k++) fieldMutation(model, rng, log, files);
  let out: Uint8Array;
  try {
    out = onnx.ModelProto.encode(model).finish();
  } catch (e) {
    log.push(`(encode failed: ${(e as Error).message}; byte mutation instead)`);
    out = byteMutation(bytes, other, rng, log);
  }
  return { bytes: out, files, log };
}
