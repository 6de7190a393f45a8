/**
 * The ONNX backend node tests shipped by Debian's libonnx-testdata: enumerate the cases whose
 * ops are all in camanim's set, load their models and .pb tensors, and run them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import {
  allNodes,
  decodeModel,
  defaultRegistry,
  isCamanimError,
  isFloatType,
  modelFromGraph,
  tensorFromProto,
  type Graph,
  type HostTensor,
  type Runtime,
} from '@camanim/core';
import { EXCLUDED } from './exclusions.ts';

export const DATA_ROOT = '/usr/share/libonnx-testdata/data';
export const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'] as const;

export interface Case {
  readonly suite: string;
  readonly name: string;
  readonly dir: string;
  readonly graph: Graph;
  /** Op types used, for the per-op summary. */
  readonly ops: readonly string[];
  /** Why the case is skipped, when it is. */
  readonly skip?: string;
}

/** A case whose model.onnx camanim failed to decode for a reason other than an op outside its set. */
export interface Undecodable {
  readonly suite: string;
  readonly name: string;
  readonly error: string;
}

/**
 * The applicable cases, how many are not (ops outside camanim's set, in If branches too; decode
 * refuses Loop/Scan bodies as 'unsupported-op'), and the models that failed to decode otherwise
 * — those are failures, never "not applicable".
 */
export function listCases(filter?: RegExp): { cases: Case[]; notApplicable: number; undecodable: Undecodable[] } {
  const cases: Case[] = [];
  const undecodable: Undecodable[] = [];
  let notApplicable = 0;
  for (const suite of SUITES) {
    const root = join(DATA_ROOT, suite);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      if (filter && !filter.test(name)) continue;
      const dir = join(root, name);
      const file = join(dir, 'model.onnx');
      if (!existsSync(file)) continue;
      let graph: Graph;
      try {
        graph = decodeModel(readFileSync(file), file);
      } catch (e) {
        if (isCamanimError(e) && e.code === 'unsupported-op') notApplicable++;
        else undecodable.push({ suite, name, error: isCamanimError(e) ? e.message : String((e as Error).stack ?? e) });
        continue;
      }
      const nodes = allNodes(graph);
      const ops = [...new Set(nodes.map((n) => n.opType))];
      if (ops.some((op) => !defaultRegistry.get(op)) || nodes.some((n) => n.domain && n.domain !== 'ai.onnx')) {
        notApplicable++;
        continue;
      }
      cases.push({ suite, name, dir, graph, ops, skip: EXCLUDED[name] ?? dtypeSkip(graph) });
    }
  }
  return { cases, notApplicable, undecodable };
}

function readTensor(path: string): HostTensor & { name: string } {
  const proto = onnxProto.onnx.TensorProto.decode(readFileSync(path));
  return { ...tensorFromProto(proto, path), name: proto.name ?? '' };
}

function dataSets(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => d.startsWith('test_data_set_'))
    .sort()
    .map((d) => join(dir, d));
}

function pbFiles(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)))
    .map((f) => join(dir, f));
}

export interface CaseResult {
  readonly ok: boolean;
  readonly detail: string;
}

const RTOL = 1e-3;
const ATOL = 1e-4;

/**
 * Runs every data set of a case. Non-float inputs (shapes, axes, indices) become constants of
 * the graph, since camanim resolves shapes before the run.
 */
export async function runCase(c: Case, runtime: Runtime): Promise<CaseResult> {
  for (const set of dataSets(c.dir)) {
    const inputs = pbFiles(set, 'input_').map(readTensor);
    const expected = pbFiles(set, 'output_').map(readTensor);
    const graphInputs = c.graph.inputs;
    const initializers = new Map(c.graph.initializers);
    const feeds: Record<string, { data: Float32Array; shape: number[] }> = {};
    const kept = [];
    for (let k = 0; k < graphInputs.length; k++) {
      const t = inputs[k];
      const v = graphInputs[k];
      if (!t) return { ok: false, detail: `missing input_${k}.pb` };
      if (isFloatType(v.dtype) && !neededAtPlanTime(c.graph, v.name)) {
        kept.push({ ...v, dims: [...t.shape] });
        feeds[v.name] = { data: Float32Array.from(t.data), shape: [...t.shape] };
      } else {
        initializers.set(v.name, t);
      }
    }
    const model = await modelFromGraph({ ...c.graph, inputs: kept, initializers }, { runtime });
    try {
      const run = await model.run(feeds);
      for (let k = 0; k < c.graph.outputs.length; k++) {
        const out = c.graph.outputs[k];
        const want = expected[k];
        const got = await run.read(out.name);
        if (got.shape.join() !== want.shape.join())
          return { ok: false, detail: `output '${out.name}' shape [${got.shape}] != [${want.shape}]` };
        for (let i = 0; i < want.data.length; i++) {
          const w = want.data[i];
          const g = got.data[i];
          const bothNaN = Number.isNaN(w) && Number.isNaN(g);
          if (!bothNaN && !(Math.abs(g - w) <= ATOL + RTOL * Math.abs(w))) {
            return { ok: false, detail: `output '${out.name}'[${i}] = ${g}, expected ${w}` };
          }
        }
      }
      run.dispose();
    } finally {
      model.dispose();
    }
  }
  return { ok: true, detail: '' };
}

/** Inputs that an op needs before the run (Clip bounds, Reshape shapes) become constants. */
function neededAtPlanTime(graph: Graph, name: string): boolean {
  return graph.nodes.some((n) => (defaultRegistry.get(n.opType)?.constInputs ?? []).some((k) => n.inputs[k] === name));
}

/**
 * camanim computes in float32: cases whose inputs or outputs are other types are skipped, but
 * for integer inputs (they become constants) and int64 outputs that are indices computed on the
 * GPU (ArgMax, TopK: OpDef.indexOutputs).
 */
function dtypeSkip(graph: Graph): string | undefined {
  const indices = new Set(
    graph.nodes.flatMap((n) => (defaultRegistry.get(n.opType)?.indexOutputs ?? []).map((k) => n.outputs[k])),
  );
  const outside = [...graph.inputs, ...graph.outputs].find(
    (v) =>
      v.dtype !== 'float32' &&
      !(graph.inputs.includes(v) && /^int/.test(v.dtype)) &&
      !(v.dtype === 'int64' && indices.has(v.name)),
  );
  return outside ? `tensor '${outside.name}' is ${outside.dtype}; camanim's runtime computes float32` : undefined;
}
