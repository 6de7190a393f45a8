/**
 * Builds the static viewer into dist/ (relative URLs: serve the folder from anywhere). The
 * bundled default model and its samples (packages/cli/assets) are copied to dist/default/
 * with an index.json; without them the page simply offers no default model.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const here = dirname(fileURLToPath(import.meta.url));
// CAMANIM_ASSETS points the build at another copy of packages/cli/assets (tests, tools).
const ASSETS = process.env.CAMANIM_ASSETS ?? resolve(here, '../cli/assets');

function defaultAssets(): { files: Map<string, string>; index: string } {
  const files = new Map<string, string>();
  const model = join(ASSETS, 'fashion-canvas.onnx');
  const meta = join(ASSETS, 'fashion-canvas.json');
  const samplesDir = join(ASSETS, 'samples');
  const hasModel = existsSync(model);
  if (hasModel) files.set('fashion-canvas.onnx', model);
  if (hasModel && existsSync(meta)) files.set('fashion-canvas.json', meta);
  const samples = existsSync(samplesDir) ? readdirSync(samplesDir).filter((f) => /\.(png|jpe?g|webp)$/i.test(f)).sort() : [];
  for (const s of samples) files.set(`samples/${s}`, join(samplesDir, s));
  const index = { model: hasModel ? 'fashion-canvas.onnx' : null, meta: files.has('fashion-canvas.json') ? 'fashion-canvas.json' : null, samples: samples.map((s) => `samples/${s}`) };
  return { files, index: JSON.stringify(index, null, 2) };
}

function defaultAssetsPlugin(): Plugin {
  return {
    name: 'camanim-default-assets',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const m = /^\/default\/([^?]+)/.exec(req.url ?? '');
        if (!m) return next();
        const { files, index } = defaultAssets();
        const name = decodeURIComponent(m[1]);
        if (name === 'index.json') {
          res.setHeader('content-type', 'application/json');
          return res.end(index);
        }
        const file = files.get(name);
        if (!file) return next();
        res.end(readFileSync(file));
      });
    },
    generateBundle() {
      const { files, index } = defaultAssets();
      this.emitFile({ type: 'asset', fileName: 'default/index.json', source: index });
      for (const [name, file] of files) this.emitFile({ type: 'asset', fileName: `default/${name}`, source: readFileSync(file) });
    },
  };
}

export default defineConfig({
  root: here,
  base: './',
  resolve: {
    alias: [
      { find: /^webgpu$/, replacement: resolve(here, 'src/stubs/webgpu.ts') },
      { find: /^node:(fs|fs\/promises|path|url)$/, replacement: resolve(here, 'src/stubs/node.ts') },
    ],
  },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096, sourcemap: true, rolldownOptions: { checks: { pluginTimings: false } } },
  server: { host: '127.0.0.1' },
  plugins: [defaultAssetsPlugin()],
});
