#!/usr/bin/env node
/**
 * The `camanim` command.
 *
 * Which code runs: an installed package has dist/ and no src/, and runs the compiled
 * dist/main.js with plain Node. The repository has src/ beside this file and runs
 * src/main.ts through tsx's loader, so development and tests need no build step.
 *
 * Dawn (the `webgpu` addon) prints a warning block from native code straight to fd 2 for each
 * Vulkan driver it rejects, e.g. Mesa's lavapipe: "Warning: Vulkan
 * shaderUniform*ArrayDynamicIndexing required. / - While initializing adapter ... / at
 * InitializeImpl (...PhysicalDeviceVk.cpp:257)". It reads like a crash, and Node cannot catch
 * a native write to fd 2. So the command runs itself once more as a child whose stderr is a
 * pipe, and copies that pipe to the real stderr minus exactly that block (`dawnNoise`); any
 * other Dawn warning block becomes one `camanim: GPU driver warning:` line, once; every other
 * byte passes through in order. The child is told whether stderr is a terminal
 * (progress bars draw only then) and its size. The exit code or signal is the child's.
 * CAMANIM_RAW_STDERR=1 runs in-process with nothing filtered.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dawnNoise } from './dawn-noise.js';

const FILTERED = 'CAMANIM_STDERR_FILTERED';
const here = (p) => fileURLToPath(new URL(p, import.meta.url));

// `pnpm camanim ...` in the repository runs this bin from the root; when run as a package
// script, resolve the user's relative paths from where they typed the command.
if (process.env.npm_lifecycle_event === 'camanim' && process.env.INIT_CWD) process.chdir(process.env.INIT_CWD);

if (process.env[FILTERED] === undefined && process.env.CAMANIM_RAW_STDERR !== '1') {
  await runFiltered();
} else {
  if (process.env[FILTERED]) fakeTerminal(process.env[FILTERED]);
  delete process.env[FILTERED];
  const { runCli } = existsSync(here('../src/main.ts')) ? await fromSource() : await import('../dist/main.js');
  await runCli();
}

async function fromSource() {
  const { register } = await import('tsx/esm/api');
  register();
  return import('../src/main.ts');
}

/** The parent: runs the child with stderr piped through the filter and mirrors its end. */
async function runFiltered() {
  const err = process.stderr;
  const tty = err.isTTY ? JSON.stringify({ columns: err.columns, rows: err.rows, depth: err.getColorDepth() }) : '';
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'pipe'],
    env: { ...process.env, [FILTERED]: tty },
  });
  // Ctrl-C reaches the child through the terminal's process group; other signals sent to
  // this process are passed on. The parent stays until the child has ended.
  process.on('SIGINT', () => {});
  for (const s of ['SIGTERM', 'SIGHUP']) process.on(s, () => child.kill(s));
  const filter = dawnNoise((chunk) => err.write(chunk));
  child.stderr.on('data', filter.write);
  const [code, signal] = await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])));
  filter.end();
  await new Promise((resolve) => (err.writableNeedDrain ? err.once('drain', resolve) : resolve()));
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
}

/** The child: stderr is a pipe to the parent, which is a terminal of this size. */
function fakeTerminal(json) {
  const { columns, rows, depth } = JSON.parse(json);
  Object.assign(process.stderr, {
    isTTY: true,
    columns,
    rows,
    getColorDepth: () => depth,
    hasColors: (count = 16) => 2 ** depth >= (typeof count === 'number' ? count : 16),
    getWindowSize: () => [columns, rows],
  });
}
