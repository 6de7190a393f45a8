/**
 * The seed corpus the fuzzer mutates: ONNX backend node-test models whose ops camanim
 * supports (with their shape/axes/index inputs baked in as initializers from test data set 0,
 * so that the unmutated model loads and runs), the smallest torchvision fixtures, and the
 * CLI's bundled model when it exists.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { defaultRegistry } from '@camanim/core';

const { onnx } = onnxProto;

const HERE = dirname(fileURLToPath(import.meta.url));
export const REPO = join(HERE, '..', '..');
export const CONFORMANCE_ROOT = '/usr/share/libonnx-testdata/data';
const SUITES = ['node', 'pytorch-converted', 'pytorch-operator'];
/** Cheapest torchvision fixtures to run on SwiftShader (few nodes, 64-96 px inputs). */
export const FIXTURES = ['resnet18', 'squeezenet1_1', 'mobilenet_v3_small'];
const BUNDLED = join(REPO, 'packages', 'cli', 'assets', 'fashion-canvas.onnx');

export interface CorpusEntry {
  readonly name: string;
  readonly kind: 'conformance' | 'fixture' | 'bundled';
  bytes(): Uint8Array;
}

export interface Corpus {
  readonly conformance: readonly CorpusEntry[];
  readonly fixtures: readonly CorpusEntry[];
  readonly bundled: readonly CorpusEntry[];
  readonly all: readonly CorpusEntry[];
}

const FLOAT = new Set([1, 10, 11]);

function lazy(name: string, kind: CorpusEntry['kind'], make: () => Uint8Array): CorpusEntry {
  let cached: Uint8Array | undefined;
  // A plain Uint8Array copy: Buffer#slice shares memory, and mutations must never touch the corpus.
  return { name, kind, bytes: () => (cached ??= new Uint8Array(make())) };
}

/** Conformance model with its plan-time and non-float inputs turned into initializers. */
function bakeConformance(dir: string): Uint8Array {
  const model = onnx.ModelProto.decode(readFileSync(join(dir, 'model.onnx')));
  const set = join(dir, 'test_data_set_0');
  const graph = model.graph!;
  const constSlots = new Set<string>();
  for (const n of graph.node ?? []) {
    for (const k of defaultRegistry.get(n.opType ?? '')?.constInputs ?? []) if (n.input?.[k]) constSlots.add(n.input[k]);
  }
  const kept = [];
  const initialized = new Set((graph.initializer ?? []).map((t) => t.name));
  for (const [k, v] of (graph.input ?? []).entries()) {
    if (initialized.has(v.name)) continue;
    const elem = v.type?.tensorType?.elemType ?? 1;
    const pb = join(set, `input_${k}.pb`);
    if ((constSlots.has(v.name ?? '') || !FLOAT.has(elem)) && existsSync(pb)) {
      const t = onnx.TensorProto.decode(readFileSync(pb));
      t.name = v.name ?? '';
      graph.initializer = [...(graph.initializer ?? []), t];
    } else {
      kept.push(v);
    }
  }
  graph.input = kept;
  return onnx.ModelProto.encode(model).finish();
}

function conformanceEntries(): CorpusEntry[] {
  const out: CorpusEntry[] = [];
  for (const suite of SUITES) {
    const root = join(CONFORMANCE_ROOT, suite);
    if (!existsSync(root)) continue;
    for (const name of readdirSync(root).sort()) {
      const dir = join(root, name);
      const file = join(dir, 'model.onnx');
      if (!existsSync(file)) continue;
      let model: onnxProto.onnx.ModelProto;
      try {
        model = onnx.ModelProto.decode(readFileSync(file));
      } catch {
        continue;
      }
      const nodes = model.graph?.node ?? [];
      if (nodes.length === 0 || nodes.some((n) => (n.domain && n.domain !== 'ai.onnx') || !defaultRegistry.get(n.opType ?? '')))
        continue;
      out.push(lazy(`${suite}/${name}`, 'conformance', () => bakeConformance(dir)));
    }
  }
  return out;
}

export function loadCorpus(opts: { fixtures?: readonly string[]; filter?: RegExp } = {}): Corpus {
  const keep = (e: CorpusEntry) => !opts.filter || opts.filter.test(e.name);
  const conformance = conformanceEntries().filter(keep);
  const fixtures = (opts.fixtures ?? FIXTURES)
    .map((f) => join(REPO, 'test', 'fixtures', 'models', `${f}.onnx`))
    .filter((p) => existsSync(p))
    .map((p) => lazy(p.slice(REPO.length + 1), 'fixture', () => readFileSync(p)))
    .filter(keep);
  const bundled = (
    existsSync(BUNDLED) ? [lazy('packages/cli/assets/fashion-canvas.onnx', 'bundled', () => readFileSync(BUNDLED))] : []
  ).filter(keep);
  if (conformance.length + fixtures.length + bundled.length === 0)
    throw new Error(`fuzz: no corpus model matches ${opts.filter}`);
  return { conformance, fixtures, bundled, all: [...conformance, ...fixtures, ...bundled] };
}

/** Picks the seed model of a case: mostly conformance models, often a fixture, sometimes the bundled model. */
export function pickEntry(corpus: Corpus, r: number, r2: number): CorpusEntry {
  const groups: [readonly CorpusEntry[], number][] = [
    [corpus.conformance, 0.7],
    [corpus.fixtures, 0.22],
    [corpus.bundled, 0.08],
  ];
  const live = groups.filter(([g]) => g.length > 0);
  const total = live.reduce((a, [, w]) => a + w, 0);
  let x = r * total;
  for (const [g, w] of live) {
    if (x < w) return g[Math.floor(r2 * g.length)];
    x -= w;
  }
  const last = live[live.length - 1][0];
  return last[Math.floor(r2 * last.length)];
}
