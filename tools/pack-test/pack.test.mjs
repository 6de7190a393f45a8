/**
 * The published packages as a user gets them: `pnpm build`, `pnpm -r pack`, and the tarballs
 * installed with npm into a temporary project outside the repository (no workspace links:
 * dependencies come from the npm registry, or npm's cache with --prefer-offline). There,
 * `npx camanim` runs the compiled CLI on the bundled model, plain `node` imports
 * @camanim/core and computes Grad-CAM at every layer, and a third-party Vite app importing
 * @camanim/core and @camanim/cam-methods (their browser build: no Dawn, no Node polyfills)
 * computes the same CAMs in headless Chromium (WebGPU on SwiftShader), equal within 1e-4.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

// Runs in Node and in the page alike: Grad-CAM of class 7 at every layer of the bundled model
// on a fixed input pattern.
const CAM_SCRIPT = `
import { acquireDevice, loadModel } from '@camanim/core';
import { computeCams } from '@camanim/cam-methods';
export async function cams(bytes) {
  const device = await acquireDevice();
  const model = await loadModel(bytes, { device });
  const data = Float32Array.from({ length: 3 * 96 * 96 }, (_, i) => Math.sin(i * 0.37));
  const run = await model.run({ data, shape: [1, 3, 96, 96] });
  const logits = Array.from((await run.read('logits')).data);
  const stack = await computeCams(run, { method: 'gradcam', target: { class: 7 } });
  return { logits, layers: stack.layers.map((l) => Array.from(l.raw)) };
}
`;
let nodeResult;

beforeAll(async () => {
  await must('pnpm build', 'pnpm', ['build'], { cwd: root, env: process.env });
  mkdirSync(tarballs);
  await must('pnpm -r pack', 'pnpm', ['-r', '--filter', './packages/*', 'pack', '--pack-destination', tarballs], {
    cwd: root,
    env: process.env,
  });
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'camanim-pack-test', private: true, type: 'module' }));
  const files = readdirSync(tarballs)
    .filter((f) => f.endsWith('.tgz'))
    .map((f) => join(tarballs, f));
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

  // Errors in our .d.ts files fail; onnx-proto's own declarations use protobufjs's global Long
  // and do not check on their own, which is a project's skipLibCheck to decide.
  it('the types check in a TypeScript project of its own (nodenext, skipLibCheck off)', async () => {
    writeFileSync(
      join(app, 'consumer.ts'),
      `
import { acquireDevice, loadModel, type Device } from '@camanim/core';
import { computeCams, type CamStack } from '@camanim/cam-methods';
import { BundleReader } from '@camanim/viewer';
export async function first(bytes: Uint8Array): Promise<number> {
  const device: Device = await acquireDevice();
  const model = await loadModel(bytes, { device });
  const run = await model.run({ data: new Float32Array(3 * 96 * 96), shape: [1, 3, 96, 96] });
  const stack: CamStack = await computeCams(run, { method: 'gradcam', target: { class: 7 } });
  return stack.layers.length + (typeof BundleReader === 'function' ? 0 : 1);
}
`,
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          lib: ['es2023', 'esnext.disposable', 'dom'],
          types: [],
        },
        files: ['consumer.ts'],
      }),
    );
    const r = await exec(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']);
    const ours = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => / error TS/.test(l) && !l.startsWith('node_modules/onnx-proto/'));
    expect(ours).toEqual([]);
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
    writeFileSync(join(app, 'cam.mjs'), CAM_SCRIPT);
    writeFileSync(
      join(app, 'node-cam.mjs'),
      `
import { readFileSync, writeFileSync } from 'node:fs';
import { cams } from './cam.mjs';
writeFileSync('node-cam.json', JSON.stringify(await cams(new Uint8Array(readFileSync('node_modules/@camanim/cli/assets/fashion-canvas.onnx')))));
process.exit(0); // Dawn keeps the event loop alive
`,
    );
    const r = await inApp('node', ['node-cam.mjs']);
    expect(r.status, r.stderr).toBe(0);
    nodeResult = JSON.parse(readFileSync(join(app, 'node-cam.json'), 'utf8'));
    expect(nodeResult.logits).toHaveLength(10);
    expect(nodeResult.layers.length).toBeGreaterThan(5);
    expect(nodeResult.layers.flat().every(Number.isFinite)).toBe(true);
    expect(nodeResult.layers.flat().some((v) => v !== 0)).toBe(true);
  });

  it('a Vite app importing the browser build computes the same CAMs in headless Chromium', async () => {
    const web = join(app, 'web');
    mkdirSync(join(web, 'public'), { recursive: true });
    writeFileSync(join(web, 'cam.mjs'), CAM_SCRIPT);
    writeFileSync(join(web, 'index.html'), '<!doctype html><script type="module" src="./main.mjs"></script>');
    writeFileSync(
      join(web, 'main.mjs'),
      `
import { cams } from './cam.mjs';
window.result = fetch('./fashion-canvas.onnx').then((r) => r.arrayBuffer()).then((b) => cams(new Uint8Array(b))).catch((e) => ({ error: String(e && e.stack || e) }));
`,
    );
    writeFileSync(
      join(web, 'public/fashion-canvas.onnx'),
      readFileSync(join(app, 'node_modules/@camanim/cli/assets/fashion-canvas.onnx')),
    );
    const vite = join(root, 'packages/viewer/node_modules/vite/bin/vite.js');
    const b = await must('vite build', process.execPath, [vite, 'build', '--base', './', '--outDir', 'dist'], { cwd: web });
    expect(b.stdout + b.stderr).not.toMatch(/externalized for browser compatibility|node:|webgpu\.node/);
    const site = join(web, 'dist');
    const js = readdirSync(join(site, 'assets'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => readFileSync(join(site, 'assets', f), 'utf8'))
      .join('\n');
    expect(js).toContain('browser build of @camanim/core'); // dist/browser.js, not dist/index.js
    expect(js).not.toMatch(/from ?["']webgpu["']|import\(["']webgpu["']\)/);
    const server = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = join(site, path === '/' ? 'index.html' : path.slice(1));
      if (!file.startsWith(site) || !existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, {
        'content-type': { '.html': 'text/html', '.js': 'text/javascript' }[extname(file)] ?? 'application/octet-stream',
      });
      res.end(readFileSync(file));
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const { chromium } = await import(pathToFileURL(join(root, 'packages/viewer/node_modules/playwright-core/index.mjs')).href);
    const browser = await chromium.launch({
      executablePath: process.env.CAMANIM_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless=new',
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        '--use-angle=swiftshader',
        '--enable-features=Vulkan',
        '--use-vulkan=swiftshader',
        '--no-first-run',
      ],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${server.address().port}/`);
      const inPage = await timed('CAMs in Chromium', () => page.evaluate(() => window.result));
      expect(inPage.error).toBeUndefined();
      expect(inPage.layers).toHaveLength(nodeResult.layers.length);
      let worst = 0;
      inPage.layers.forEach((layer, i) => {
        const ref = nodeResult.layers[i];
        const scale = Math.max(...ref.map(Math.abs), 1e-12);
        for (let j = 0; j < ref.length; j++) worst = Math.max(worst, Math.abs(layer[j] - ref[j]) / scale);
      });
      console.log(`browser vs node: worst CAM difference ${worst.toExponential(2)} of the layer's largest value`);
      expect(worst).toBeLessThan(1e-4);
      for (let k = 0; k < 10; k++) expect(inPage.logits[k]).toBeCloseTo(nodeResult.logits[k], 4);
    } finally {
      await browser.close();
      server.close();
    }
  });
});
