#!/usr/bin/env node
/**
 * After tsc: dist/browser.js, the `browser` export condition. One ES module bundling core's
 * own files from src/ (dependencies stay imports), with `webgpu` (Dawn, a Node addon) and the
 * Node built-ins that core imports lazily on its file-path branches replaced by stubs that
 * throw if reached: in a page loadModel takes bytes or a URL and navigator.gpu gives the
 * device, so none of them runs, and a bundler never sees Dawn or needs Node polyfills.
 * A Node built-in that core starts to import and the stub lacks fails this build by name.
 * Also points dist/index.d.ts at @webgpu/types, whose globals (GPUDevice, ...) the types use.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const thrower = (name) => `() => { throw new Error('${name} is a Node API, not available in the browser build of @camanim/core: pass the model as bytes or a URL'); }`;
const STUBS = {
  webgpu: { globals: '{}', create: thrower('webgpu (Dawn)') },
  'node:fs': Object.fromEntries(['existsSync', 'lstatSync', 'mkdirSync', 'closeSync', 'fstatSync', 'openSync', 'readSync', 'realpathSync', 'statSync'].map((f) => [f, thrower(`fs.${f}`)])),
  'node:fs/promises': Object.fromEntries(['readFile', 'stat'].map((f) => [f, thrower(`fs.${f}`)])),
  'node:os': { tmpdir: thrower('os.tmpdir') },
  'node:path': { dirname: thrower('path.dirname'), resolve: thrower('path.resolve'), join: thrower('path.join'), sep: "'/'" },
  'node:url': { fileURLToPath: thrower('url.fileURLToPath') },
};

const stubs = {
  name: 'camanim-node-stubs',
  setup(b) {
    b.onResolve({ filter: /^(webgpu|node:.*)$/ }, (args) => {
      if (!(args.path in STUBS)) return { errors: [{ text: `${args.path} is imported by ${args.importer} but has no browser stub in scripts/build-browser.mjs` }] };
      return { path: args.path, namespace: 'stub' };
    });
    b.onLoad({ filter: /.*/, namespace: 'stub' }, (args) => ({
      contents: Object.entries(STUBS[args.path]).map(([k, v]) => `export const ${k} = ${v};`).join('\n'),
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [join(root, 'src/index.ts')],
  outfile: join(root, 'dist/browser.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  sourcesContent: true,
  external: Object.keys(pkg.dependencies ?? {}).filter((d) => d !== 'webgpu'),
  plugins: [stubs],
  logLevel: 'warning',
});

const dts = join(root, 'dist/index.d.ts');
const ref = '/// <reference types="@webgpu/types" />\n';
const text = readFileSync(dts, 'utf8');
if (!text.startsWith(ref)) writeFileSync(dts, ref + text);
