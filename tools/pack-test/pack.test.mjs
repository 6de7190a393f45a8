/**
 * The published packages as a user gets them: `pnpm build`, `pnpm -r pack`, and the tarballs
 * installed with npm into a temporary project outside the repository (no workspace links:
 * dependencies come from the npm registry, or npm's cache with --prefer-offline). There,
 * `npx camanim` runs the compiled CLI on the bundled model, and plain `node` imports
 * @camanim/core and runs that model.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const PACKAGES = ['shaders', 'core', 'cam-methods', 'viewer', 'cli'];
const work = mkdtempSync(join(tmpdir(), 'camanim-pack-'));
const tarballs = join(work, 'tarballs');
const app = join(work, 'app');
// Asynchronous on purpose: a worker blocked in spawnSync for a minute misses vitest's RPC.
function exec(cmd, args, { cwd = app, env = clean, show = false } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => {
      if (show) process.stdout.write(stdout + stderr);
      resolve({ status, stdout, stderr });
    });
  });
}
async function timed(label, f) {
  const t0 = performance.now();
  const r = await f();
  console.log(`${label}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return r;
}
async function must(label, cmd, args, opts) {
  const r = await timed(label, () => exec(cmd, args, opts));
  if (r.status !== 0) throw new Error(`${label} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r;
}
// npm must not see the workspace: no npm_config_* from a pnpm parent, no INIT_CWD.
const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|pnpm_|INIT_CWD$)/i.test(k)));
const inApp = (cmd, args) => exec(cmd, args);

beforeAll(async () => {
  await must('pnpm build', 'pnpm', ['build'], { cwd: root, env: process.env });
  mkdirSync(tarballs);
  await must('pnpm -r pack', 'pnpm', ['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs], { cwd: root, env: process.env });
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'camanim-pack-test', private: true, type: 'module' }));
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).map((f) => join(tarballs, f));
  for (const f of files) console.log(`${f.split('/').pop()}: ${(statSync(f).size / 1024).toFixed(0)} KiB`);
  await must('npm install', 'npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...files]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the packed packages, installed with npm outside the repository', () => {
  it('packs the five packages with compiled code, types and no TypeScript sources', () => {
    const names = readdirSync(tarballs).sort();
    expect(names).toHaveLength(PACKAGES.length);
    for (const p of PACKAGES) {
      const dir = join(app, 'node_modules/@camanim', p);
      const m = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      expect(JSON.stringify(m)).not.toContain('workspace:');
      expect(m.exports['.'].types).toMatch(/\.d\.ts$/);
      expect(existsSync(join(dir, 'src'))).toBe(false);
      expect(existsSync(join(dir, m.exports['.'].import))).toBe(true);
      expect(existsSync(join(dir, 'LICENSE')) && existsSync(join(dir, 'README.md'))).toBe(true);
    }
    expect(existsSync(join(app, 'node_modules/@camanim/cli/assets/fashion-canvas.onnx'))).toBe(true);
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
  });

  it('`npx camanim explain --quiet` runs the bundled default with nothing on stderr', async () => {
    const r = await timed('npx camanim explain --quiet', () => inApp('npx', ['camanim', 'explain', '--quiet', '--out', 'out']));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/gradcam\.gif/);
    expect(existsSync(join(app, 'out'))).toBe(true);
  });

  it('`npx camanim explain --format html` copies the static viewer app from @camanim/viewer', async () => {
    const r = await inApp('npx', ['camanim', 'explain', '--quiet', '--format', 'html', '--out', 'html']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/index\.html/);
  });

  it('`npx camanim methods` lists the registered methods; an error ends with one camanim: line', async () => {
    const r = await inApp('npx', ['camanim', 'methods']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^gradcam\s+Grad-CAM/m);
    const bad = await inApp('npx', ['camanim', 'explain', '--model', 'missing.onnx']);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^camanim: Model file not found/)]);
  });

  it('plain node imports @camanim/core and runs the bundled model', async () => {
    writeFileSync(join(app, 'run.mjs'), `
import { acquireDevice, loadModel } from '@camanim/core';
const device = await acquireDevice();
const model = await loadModel('node_modules/@camanim/cli/assets/fashion-canvas.onnx', { device });
const run = await model.run({ data: new Float32Array(3 * 96 * 96).fill(0.5), shape: [1, 3, 96, 96] });
const { data: logits } = await run.read('logits');
console.log(JSON.stringify({ n: logits.length, finite: Array.from(logits).every(Number.isFinite) }));
process.exit(0);
`);
    const r = await inApp('node', ['run.mjs']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim().split('\n').pop())).toEqual({ n: 10, finite: true });
  });
});
