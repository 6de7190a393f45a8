/**
 * Where things are: the repository, the full-width benchmark models (made on demand by
 * tools/export_models.py --full), Debian's Python with torch, and child processes.
 * CAMANIM_BENCH_PYTHON names another Python with torch (the GPU machine's), and
 * CAMANIM_BENCH_TORCH_DEVICE the device PyTorch's CAManim rows run on (cpu, or cuda).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { progress } from './measure.ts';
import type { Table } from './table.ts';

export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
export const TEST_DIR = join(BENCH_DIR, '..');
export const REPO = join(TEST_DIR, '..');
export const MODELS_DIR = join(REPO, 'bench-models');
export const PYTHON = process.env.CAMANIM_BENCH_PYTHON ?? '/usr/bin/python3';
export const TORCH_DEVICE = process.env.CAMANIM_BENCH_TORCH_DEVICE ?? 'cpu';

let pythonCheck: string | undefined | null = null;

/** Undefined when PYTHON has torch, torchvision and scipy; otherwise why not. */
export function pythonProblem(): string | undefined {
  if (pythonCheck !== null) return pythonCheck;
  if (!existsSync(PYTHON)) {
    pythonCheck = `${PYTHON} is absent`;
    return pythonCheck;
  }
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, scipy, onnx; print(torch.__version__)'], { encoding: 'utf8' });
  pythonCheck =
    r.status === 0 ? undefined : `${PYTHON} lacks torch/torchvision/scipy/onnx (${(r.stderr || '').trim().split('\n').pop()})`;
  return pythonCheck;
}

/** True (with a note on `t` saying why) when the PyTorch rows cannot be measured. */
export function withoutPyTorch(t: Table): boolean {
  const problem = pythonProblem();
  if (problem) t.notes.push(`PyTorch not measured: ${problem}`);
  return problem !== undefined;
}

/** Path of bench-models/<name>.onnx, exporting the missing ones first; or why it can't. */
export async function benchModel(name: string): Promise<{ file: string } | { skip: string }> {
  const file = join(MODELS_DIR, `${name}.onnx`);
  if (existsSync(file)) return { file };
  const problem = pythonProblem();
  if (problem) return { skip: `bench-models/${name}.onnx is missing and cannot be exported: ${problem}` };
  progress(`exporting full-width ${name} (224x224, random init) to bench-models/ with tools/export_models.py --full`);
  const r = await runProcess(PYTHON, [join(REPO, 'tools', 'export_models.py'), '--full', name, '--out', MODELS_DIR], {
    cwd: REPO,
  });
  if (r.code !== 0 || !existsSync(file))
    return { skip: `exporting ${name} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}` };
  return { file };
}

export interface ProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a child process; its stderr lines are forwarded as progress. */
export function runProcess(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd ?? REPO, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) progress(`  ${l}`);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs tools/bench_torch.py and parses the JSON object it prints. */
export async function benchTorch<T>(args: readonly string[]): Promise<T> {
  const r = await runProcess(PYTHON, [join(REPO, 'tools', 'bench_torch.py'), ...args]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.code !== 0 || !line.startsWith('{'))
    throw new Error(
      `tools/bench_torch.py ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-4).join(' / ')}`,
    );
  return JSON.parse(line) as T;
}

/** 1, 5 and 15 minute load averages (the machine is shared: numbers under load are noisy). */
export function loadAverage(): string {
  return loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

export function cpuSummary(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model.trim() ?? 'cpu'}`;
}
