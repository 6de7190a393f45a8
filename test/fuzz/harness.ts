/**
 * The fuzz parent: makes each case's mutated model (reproducible from (seed, index)), writes it
 * into a fresh temp folder, and has a child process (worker.ts, forked through tsx) load, run
 * and backpropagate it. A case passes when it works or fails with a CamanimError. It fails on:
 * any other exception, an unhandled rejection or uncaught exception, a crash (signal/abort), a
 * JS heap abort, a hang (no answer and no kernel compiled for the timeout), a lost device, a
 * GPU error (validation, compile, or uncaptured; camanim calls these its own bugs), or a host
 * allocation that failed under the child's memory cap (the model would have taken gigabytes).
 * The parent saves a failing model under regressions/ (or --save) with a note of what was done
 * to it, and restarts the child when it died.
 *
 * The child runs under prlimit with an address-space cap (V8, Dawn and SwiftShader reserve
 * about 14.5 GiB of it, so a few GiB remain) and a GPU memory budget of 256 MiB, so that a
 * hostile model fails loudly instead of eating the machine's memory.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCorpus, pickEntry, type Corpus } from './corpus.ts';
import { mutate, type Files } from './mutate.ts';
import type { CaseMessage, Outcome, WorkerMessage } from './protocol.ts';
import { caseSeed, Rng } from './rng.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
export const REGRESSIONS = join(HERE, 'regressions');
const WORKER = join(HERE, 'worker.ts');
/** GPU memory a fuzzed model may hold: keeps SwiftShader (host memory) from growing large. */
const MEMORY_BUDGET = 256 * 2 ** 20;
/** Address space of the child: a model that makes camanim allocate gigabytes fails loudly. */
const CHILD_ADDRESS_SPACE = 18 * 2 ** 30;
const CHILD_HEAP_MB = 1536;

export type FailureKind =
  | `exception:${string}`
  | 'unhandled-rejection'
  | 'uncaught-exception'
  | 'crash'
  | 'heap-oom'
  | 'host-alloc'
  | 'hang'
  | 'device-lost'
  | 'gpu-error';

export interface CaseRecord {
  readonly label: string;
  readonly source: string;
  readonly mutations: readonly string[];
  readonly ms: number;
  readonly outcome?: Outcome;
  readonly failure?: { kind: FailureKind; detail: string };
  saved?: string;
}

export interface Summary {
  readonly records: CaseRecord[];
  readonly seconds: number;
  readonly adapter: string;
}

export interface HarnessOptions {
  /** Per-case limit on load + run + backward. */
  timeoutMs?: number;
  /** Called with progress and failure lines. */
  log?: (line: string) => void;
  /** Echo the child's stderr. */
  verbose?: boolean;
}

// ---------------------------------------------------------------- the child

interface Pending {
  resolve(r: { outcome?: Outcome; failure?: { kind: FailureKind; detail: string } }): void;
  progress(): void;
}

/** However much it progresses, a case may not run longer than this. */
const CASE_HARD_LIMIT_MS = 30 * 60_000;

class Child {
  private proc?: ChildProcess;
  private pending?: Pending;
  private stderr = '';
  private fatal?: { kind: FailureKind; detail: string };
  adapter = '';

  constructor(private readonly opts: HarnessOptions) {}

  get alive(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    // `--import tsx` resolves from the child's cwd (this folder), which finds the workspace's tsx.
    const node = [`--max-old-space-size=${CHILD_HEAP_MB}`, '--disable-wasm-trap-handler', '--import', 'tsx'];
    const prlimit = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => existsSync(p));
    const proc = fork(WORKER, [], {
      // prlimit caps the child's address space, then runs node in its place (keeping the IPC fd).
      execPath: prlimit ?? process.execPath,
      execArgv: prlimit ? [`--as=${CHILD_ADDRESS_SPACE}`, process.execPath, ...node] : node,
      cwd: HERE,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    this.proc = proc;
    this.stderr = '';
    const keep = (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderr = (this.stderr + text).slice(-8000);
      if (this.opts.verbose) process.stderr.write(text);
    };
    proc.stderr!.on('data', keep);
    proc.stdout!.on('data', keep);
    proc.on('message', (m: WorkerMessage) => this.onMessage(m));
    proc.on('exit', (code, signal) => this.onExit(code, signal));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fuzz worker did not start in 180 s:\n${this.stderr}`)), 180_000);
      const onReady = (m: WorkerMessage) => {
        if (m.type !== 'ready') return;
        clearTimeout(timer);
        this.adapter = m.adapter;
        proc.off('message', onReady);
        resolve();
      };
      proc.on('message', onReady);
      proc.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`fuzz worker exited while starting (code ${code}, signal ${signal}):\n${this.stderr}`));
      });
    });
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'progress') {
      this.pending?.progress();
    } else if (m.type === 'result') {
      const p = this.pending;
      this.pending = undefined;
      p?.resolve({ outcome: m.outcome });
    } else if (m.type === 'fatal') {
      // The child exits right after; the failure is charged to the case in flight (or the last).
      this.fatal = { kind: m.kind, detail: `${m.message}\n${m.stack}` };
      const p = this.pending;
      this.pending = undefined;
      p?.resolve({ failure: this.fatal });
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    const p = this.pending;
    this.pending = undefined;
    this.proc = undefined;
    if (!p) return;
    const tail = this.stderr.trim().split('\n').slice(-12).join('\n');
    const oom = /heap out of memory|Allocation failed|Fatal process out of memory|Array buffer allocation failed/i.test(
      this.stderr,
    );
    p.resolve({
      failure: { kind: oom ? 'heap-oom' : 'crash', detail: `child exited (code ${code}, signal ${signal})\n${tail}` },
    });
  }

  /**
   * Runs one case; resolves with the child's outcome or a failure it could not report itself.
   * The case hangs when the child is silent for `timeoutMs` (no kernel compiled, no answer).
   */
  run(msg: CaseMessage, timeoutMs: number): Promise<{ outcome?: Outcome; failure?: { kind: FailureKind; detail: string } }> {
    this.stderr = '';
    this.fatal = undefined;
    const start = Date.now();
    return new Promise((resolve) => {
      const expire = (why: string) => () => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        clearTimeout(timer);
        clearTimeout(hard);
        this.kill();
        resolve({ failure: { kind: 'hang', detail: why } });
      };
      let timer = setTimeout(expire(`no answer and no progress for ${timeoutMs / 1000} s`), timeoutMs);
      const hard = setTimeout(expire(`still running after ${CASE_HARD_LIMIT_MS / 60_000} min`), CASE_HARD_LIMIT_MS);
      const pending: Pending = {
        resolve: (r) => {
          clearTimeout(timer);
          clearTimeout(hard);
          resolve(r);
        },
        progress: () => {
          clearTimeout(timer);
          timer = setTimeout(
            expire(`no progress for ${timeoutMs / 1000} s after ${Math.round((Date.now() - start) / 1000)} s of work`),
            timeoutMs,
          );
        },
      };
      this.pending = pending;
      this.proc!.send(msg);
    });
  }

  kill(): void {
    const proc = this.proc;
    this.proc = undefined;
    if (proc && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  }
}

// ---------------------------------------------------------------- cases

function judge(r: {
  outcome?: Outcome;
  failure?: { kind: FailureKind; detail: string };
}): { kind: FailureKind; detail: string } | undefined {
  if (r.failure) return r.failure;
  const o = r.outcome!;
  if (o.deviceLost) return { kind: 'device-lost', detail: `${o.deviceLost} (${o.phase}: ${o.message ?? 'no error'})` };
  if (o.uncaptured) return { kind: 'gpu-error', detail: `uncaptured GPU error: ${o.uncaptured}` };
  if (o.status === 'exception') return { kind: `exception:${o.name}`, detail: `${o.phase}: ${o.message}\n${o.stack}` };
  if (o.allocation) return { kind: 'host-alloc', detail: `${o.phase}: ${o.message} (caused by ${o.allocation})` };
  if (o.status === 'rejected' && o.code === 'gpu') return { kind: 'gpu-error', detail: `${o.phase}: ${o.message}` };
  return undefined;
}

function writeCase(bytes: Uint8Array, files: Files): string {
  const dir = mkdtempSync(join(tmpdir(), 'camanim-fuzz-'));
  writeFileSync(join(dir, 'model.onnx'), bytes);
  for (const [rel, content] of files) {
    const p = join(dir, rel);
    if (content === 'dir') mkdirSync(p, { recursive: true });
    else {
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
    }
  }
  return dir;
}

/** Saves a failing case as <label>.onnx, its extra files under <label>.files/, and a note. */
function saveCase(saveDir: string, label: string, caseDir: string, record: CaseRecord): string {
  mkdirSync(saveDir, { recursive: true });
  const target = join(saveDir, `${label}.onnx`);
  cpSync(join(caseDir, 'model.onnx'), target);
  const extra = readdirSync(caseDir).filter((f) => f !== 'model.onnx');
  for (const f of extra) cpSync(join(caseDir, f), join(saveDir, `${label}.files`, f), { recursive: true });
  const note = [
    `source: ${record.source}`,
    `mutations:`,
    ...record.mutations.map((m) => `  - ${m}`),
    `failure: ${record.failure?.kind}`,
    record.failure?.detail ?? '',
  ].join('\n');
  writeFileSync(join(saveDir, `${label}.txt`), `${note}\n`);
  return target;
}

/** Runs cases through one child, restarting it whenever it dies. */
class Runner {
  private child: Child;
  readonly records: CaseRecord[] = [];
  private readonly t0 = Date.now();

  constructor(private readonly opts: HarnessOptions) {
    this.child = new Child(opts);
  }

  async runOne(
    label: string,
    source: string,
    mutations: readonly string[],
    caseDir: string,
    inputSeed: number,
    saveDir?: string,
  ): Promise<CaseRecord> {
    if (!this.child.alive) {
      this.child = new Child(this.opts);
      await this.child.start();
    }
    const t = Date.now();
    const r = await this.child.run(
      { type: 'case', id: this.records.length, dir: caseDir, file: 'model.onnx', inputSeed, memoryBudget: MEMORY_BUDGET },
      this.opts.timeoutMs ?? 120_000,
    );
    const failure = judge(r);
    if (failure && (failure.kind === 'device-lost' || failure.kind === 'hang')) this.child.kill();
    const record: CaseRecord = { label, source, mutations, ms: Date.now() - t, outcome: r.outcome, failure };
    if (failure && saveDir) record.saved = saveCase(saveDir, label, caseDir, record);
    this.records.push(record);
    if (failure)
      this.opts.log?.(
        `FAIL ${label} [${failure.kind}] ${source}: ${mutations.join('; ').slice(0, 300)}\n     ${failure.detail.split('\n').slice(0, 4).join('\n     ')}`,
      );
    return record;
  }

  get adapter(): string {
    return this.child.adapter;
  }

  finish(): Summary {
    this.child.kill();
    return { records: this.records, seconds: (Date.now() - this.t0) / 1000, adapter: this.child.adapter };
  }
}

export interface FuzzOptions extends HarnessOptions {
  seed: number;
  /** Number of cases (default: unlimited when `minutes` is set, else 200). */
  cases?: number;
  /** Stop starting new cases after this long. */
  minutes?: number;
  /** Where failing cases are saved (default: test/fuzz/regressions). */
  saveDir?: string;
  corpus?: Corpus;
  /** Torchvision fixtures to mutate (default: the three cheapest, see corpus.ts). */
  fixtures?: readonly string[];
  /** Only corpus models whose name matches (e.g. /pad|resize/). */
  filter?: RegExp;
}

/** The mutated model of case (seed, index), reproducible. */
export function makeCase(
  corpus: Corpus,
  seed: number,
  index: number,
): { source: string; bytes: Uint8Array; files: Files; log: readonly string[]; inputSeed: number } {
  const rng = new Rng(caseSeed(seed, index));
  const entry = pickEntry(corpus, rng.next(), rng.next());
  const other = () => pickEntry(corpus, rng.next(), rng.next()).bytes();
  const m = mutate(entry.bytes(), other, rng);
  return { source: entry.name, bytes: m.bytes, files: m.files, log: m.log, inputSeed: inputSeedOf(seed, index) };
}

function inputSeedOf(seed: number, index: number): number {
  return (caseSeed(seed, index) ^ 0x5bd1e995) >>> 0;
}

export async function fuzz(opts: FuzzOptions): Promise<Summary> {
  const corpus = opts.corpus ?? loadCorpus({ fixtures: opts.fixtures, filter: opts.filter });
  const runner = new Runner(opts);
  const cases = opts.cases ?? (opts.minutes ? Infinity : 200);
  const deadline = opts.minutes ? Date.now() + opts.minutes * 60_000 : Infinity;
  const saveDir = opts.saveDir ?? REGRESSIONS;
  opts.log?.(
    `fuzz: seed ${opts.seed}, ${cases === Infinity ? 'unlimited' : cases} cases${opts.minutes ? `, ${opts.minutes} min` : ''}; corpus: ${corpus.conformance.length} conformance, ${corpus.fixtures.length} fixtures, ${corpus.bundled.length} bundled`,
  );
  const t0 = Date.now();
  for (let index = 0; index < cases && Date.now() < deadline; index++) {
    const c = makeCase(corpus, opts.seed, index);
    const dir = writeCase(c.bytes, c.files);
    try {
      await runner.runOne(`${opts.seed}-${index}`, c.source, c.log, dir, c.inputSeed, saveDir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    if ((index + 1) % 25 === 0) {
      const failed = runner.records.filter((r) => r.failure).length;
      opts.log?.(`[${index + 1}] ${index + 1 - failed} passed, ${failed} failed, ${Math.round((Date.now() - t0) / 1000)} s`);
    }
  }
  return runner.finish();
}

/** Every saved case in a folder (`*.onnx`, with `<name>.files/` beside it when it has any). */
export function listSaved(dir = REGRESSIONS): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.onnx') && statSync(join(dir, f)).isFile())
    .sort()
    .map((f) => join(dir, f));
}

/** Replays saved cases (each in a fresh temp folder, with its extra files). */
export async function replay(paths: readonly string[], opts: HarnessOptions = {}): Promise<Summary> {
  const runner = new Runner(opts);
  for (const path of paths) {
    const label = basename(path, '.onnx');
    const files: Files = new Map();
    const dir = writeCase(readFileSync(path), files);
    const extra = join(dirname(path), `${label}.files`);
    if (existsSync(extra)) cpSync(extra, dir, { recursive: true });
    const m = /^(\d+)-(\d+)/.exec(label);
    try {
      await runner.runOne(label, path, [], dir, m ? inputSeedOf(Number(m[1]), Number(m[2])) : 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return runner.finish();
}

function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

const corpusKind = (source: string) =>
  source.includes('fixtures/') ? 'fixture' : source.includes('assets/') ? 'bundled' : 'conformance';

/** The summary block; its last line is exactly `fuzz: N passed, M failed`. */
export function formatSummary(s: Summary): string {
  const failed = s.records.filter((r) => r.failure);
  const ok = s.records.filter((r) => r.outcome?.status === 'ok' && !r.failure).length;
  const rejected = s.records.filter((r) => r.outcome?.status === 'rejected' && !r.failure);
  const byCode = new Map<string, number>();
  for (const r of rejected)
    byCode.set(`${r.outcome!.code}@${r.outcome!.phase}`, (byCode.get(`${r.outcome!.code}@${r.outcome!.phase}`) ?? 0) + 1);
  const byKind = new Map<string, number>();
  for (const r of failed) byKind.set(r.failure!.kind, (byKind.get(r.failure!.kind) ?? 0) + 1);
  const wrapped = rejected.filter((r) => r.outcome!.wrapped);
  const lines = [
    '',
    `fuzz summary: ${s.records.length} cases in ${s.seconds.toFixed(1)} s on ${s.adapter || 'unknown adapter'}`,
    `  worked (load, run, backward): ${ok}${
      ok
        ? ` (${[
            ...countBy(
              s.records.filter((r) => r.outcome?.status === 'ok' && !r.failure),
              (r) => corpusKind(r.source),
            ),
          ]
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`
        : ''
    }`,
    `  refused with a CamanimError:  ${rejected.length}${
      byCode.size
        ? ` (${[...byCode]
            .sort((a, b) => b[1] - a[1])
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')})`
        : ''
    }`,
  ];
  if (wrapped.length) {
    lines.push(`  of which wrap a plain exception (inferGraph's catch-all): ${wrapped.length}`);
    const kinds = new Map<string, number>();
    for (const r of wrapped) {
      const k = `${/op '([^']*)'/.exec(r.outcome!.message ?? '')?.[1] ?? '?'}: ${r.outcome!.wrapped!.slice(0, 90)}`;
      kinds.set(k, (kinds.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 10)) lines.push(`    ${n} x ${k}`);
  }
  lines.push(`  failed: ${failed.length}${byKind.size ? ` (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')})` : ''}`);
  for (const r of failed) lines.push(`    ${r.label} [${r.failure!.kind}]${r.saved ? ` saved ${r.saved}` : ''}`);
  if (process.env.FUZZ_MESSAGES) {
    const msgs = new Map<string, number>();
    for (const r of rejected) {
      const k = `${r.outcome!.code}: ${r
        .outcome!.message!.replace(/\d+/g, 'N')
        .replace(/'[^']*'/g, "'_'")
        .slice(0, 100)}`;
      msgs.set(k, (msgs.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...msgs].sort((a, b) => b[1] - a[1]).slice(0, 40)) lines.push(`      ${n} x ${k}`);
  }
  const slow = [...s.records]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .filter((r) => r.ms > 5000);
  if (slow.length)
    lines.push(
      `  slowest: ${slow.map((r) => `${r.label} ${(r.ms / 1000).toFixed(0)} s (${r.source.split('/').pop()})`).join(', ')}`,
    );
  lines.push(`fuzz: ${s.records.length - failed.length} passed, ${failed.length} failed`);
  return lines.join('\n');
}
