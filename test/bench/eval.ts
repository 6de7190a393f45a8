/**
 * `camanim eval` (issue #18, docs/eval.md): images/s of a dataset's ybROAD, in one process and on
 * a BullMQ queue (`camanim eval --queue` + 1 and 2 `camanim worker` processes, a real
 * redis-server on 127.0.0.1 at a free port, started and stopped here), on the bundled model (its
 * six samples) and on full-width ResNet-18 (generated 224×224 images). PyTorch: the road
 * section's baseline (tools/bench_torch.py road: GradCAM, SciPy spsolve imputation, forwards at
 * batch 1) over the same ResNet-18 images and layer.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join } from 'node:path';
import { selectLayers } from '@camanim/cam-methods';
import { loadModel } from '@camanim/core';
import { BUNDLED_MODEL, bundledSamples } from '../../packages/cli/src/assets.ts';
import { encodePng } from '../../packages/cli/src/image.ts';
import { exited, startRedis } from '../../packages/cli/test/helpers/redis.ts';
import type { Context } from './lib/context.ts';
import { benchTorch, REPO, withoutPyTorch } from './lib/env.ts';
import { firstLine, fmtMs, progress, randomInput } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';
import { spread, type TorchRoad } from './road.ts';

const BIN = join(REPO, 'packages/cli/bin/camanim.js');
/** torchvision's ImageNet normalisation on the 224×224 pixels as they are (--resize stretch to the same size: no crop), so the PyTorch input is made from the same bytes. */
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];
const SIZE = 224;
/** Images a job (and a single-process batch): two jobs or more, so that two workers share the work. */
const BATCH = 2;

interface Subject {
  readonly label: string;
  readonly model: string;
  readonly dataset: string;
  readonly images: number;
  /** Layer indices among the spatial layers, and the `--layers` regex naming them. */
  readonly layers: { idx: number[]; count: number; regex: string };
  readonly flags: readonly string[];
}

interface Timed {
  readonly ms: number;
  /** The rate of eval's last progress line (from the first image scored, so without the model load). */
  readonly own?: number;
}

export async function evalSection(ctx: Context): Promise<Table> {
  const count = ctx.opts.quick ? 2 : 4;
  const t = table(
    `8. camanim eval: images/s of a dataset's ybROAD (GradCAM; 8 perturbed forwards a layer an image), 1 process and 1 or 2 queue workers`,
    [
      'model',
      'images × layers',
      'engine',
      'wall time',
      'images/s (wall)',
      "images/s (eval's own line)",
      'vs 1 process (wall)',
      'measured on',
    ],
  );
  const redis = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (redis.error || redis.status !== 0) {
    t.notes.push('redis-server is not installed (apt-get install redis-server): the eval section needs a real Redis.');
    return t;
  }
  const work = mkdtempSync(join(tmpdir(), 'camanim-bench-eval-'));
  const started = new Set<ChildProcess>();
  try {
    const url = await startRedis(started);
    const subjects: Subject[] = [];
    const bundled = join(work, 'bundled');
    for (const sample of bundledSamples()) {
      const cls = basename(sample, extname(sample)).replace(/-\d+$/, '');
      mkdirSync(join(bundled, cls), { recursive: true });
      copyFileSync(sample, join(bundled, cls, basename(sample)));
    }
    subjects.push({
      label: 'fashion-canvas (bundled, 96×96)',
      model: BUNDLED_MODEL,
      dataset: bundled,
      images: bundledSamples().length,
      layers: await layersOf(ctx, BUNDLED_MODEL, 3),
      flags: [],
    });
    const r18 = await ctx.model('resnet18');
    let tensors: Float32Array | undefined;
    if ('skip' in r18) t.notes.push(`resnet18: ${r18.skip}`);
    else {
      const dir = join(work, 'resnet18');
      tensors = await generatedImages(dir, count);
      subjects.push({
        label: 'resnet18 (full width, 224×224)',
        model: r18.file,
        dataset: dir,
        images: count,
        layers: await layersOf(ctx, r18.file, 1),
        flags: ['--mean', MEAN.join(','), '--std', STD.join(','), '--scale', '1', '--resize', 'stretch'],
      });
    }
    for (const s of subjects) {
      const flags = ['--method', 'gradcam', '--layers', s.layers.regex, '--batch', String(BATCH), ...s.flags];
      const rows: { engine: string; r: Timed }[] = [];
      progress(`eval ${s.label}: one process, ${s.images} images`);
      rows.push({
        engine: 'camanim eval, 1 process',
        r: await single(s, flags, join(work, `${basename(s.dataset)}-single`), started),
      });
      for (const workers of [1, 2]) {
        progress(`eval ${s.label}: --queue, ${workers} worker(s)`);
        rows.push({
          engine: `camanim eval --queue + ${workers} worker${workers > 1 ? 's' : ''}`,
          r: await queued(s, flags, join(work, `${basename(s.dataset)}-q${workers}`), url, workers, started),
        });
      }
      for (const { engine, r } of rows) {
        t.rows.push([
          s.label,
          `${s.images} × ${s.layers.idx.length} of ${s.layers.count}`,
          engine,
          fmtMs(r.ms),
          rate(s.images, r.ms),
          r.own?.toFixed(3) ?? 'n/a',
          `${(rows[0].r.ms / r.ms).toFixed(2)}×`,
          `Dawn ${ctx.adapter}`,
        ]);
      }
      if (s.model !== BUNDLED_MODEL && tensors && !withoutPyTorch(t)) {
        progress(`eval ${s.label}: PyTorch CPU + SciPy ROAD over the same ${s.images} images`);
        const file = join(work, 'inputs.bin');
        writeFileSync(file, Buffer.from(tensors.buffer, tensors.byteOffset, tensors.byteLength));
        try {
          const r = await benchTorch<TorchRoad>([
            'road',
            '--model',
            'resnet18',
            '--input',
            file,
            '--subset',
            s.layers.idx.join(','),
          ]);
          const ms = r.cam_ms + r.total_ms;
          t.rows.push([
            s.label,
            `${r.images} × ${r.subset.length} of ${r.points}`,
            `PyTorch ${r.torch} CPU + SciPy ROAD (one process)`,
            fmtMs(ms),
            rate(r.images, ms),
            'n/a',
            `${(rows[0].r.ms / ms).toFixed(2)}×`,
            `CPU, torch.set_num_threads(${r.threads})`,
          ]);
        } catch (e) {
          t.notes.push(`PyTorch failed: ${firstLine(e)}`);
        }
      }
    }
    t.notes.push(
      `Images: the bundled model's ${bundledSamples().length} samples (class folders); for ResNet-18, ${count} generated 224×224 PNGs (seeded noise; ImageNet mean/std, --resize stretch: the pixels as they are). Layers: spread evenly over the spatial ones, named by a --layers regex. ROAD at eval's defaults (4 percentiles × MoRF/LeRF); --batch ${BATCH}, so a queue job is ${BATCH} images.`,
      'Wall time: from starting the coordinator (and the workers, at the same moment) to its exit, a fresh --out each time: it includes Node start, the model load and, in every process, compiling its pipelines on SwiftShader. eval\'s own line: its last "images/s" progress figure.',
      `Queue: redis-server on 127.0.0.1 (a free port, nothing saved), the workers with their default lock and stalled interval, stopped with SIGTERM when the coordinator is done. All processes share the same 2 cores, so workers here measure the queue's overhead, not scale-out.`,
      'PyTorch: tools/bench_torch.py road over the same images (the same bytes, normalised as the eval flags say) and layer, each image on its argmax class: GradCAM (1 forward + 1 backward), then per percentile and order a SciPy spsolve imputation (noise 0, exact-count ranking) and one forward at batch 1; its time is the scoring only (model build and Python start not counted).',
    );
  } finally {
    for (const c of started) c.kill('SIGKILL');
    await Promise.all([...started].map(exited));
    rmSync(work, { recursive: true, force: true });
  }
  return t;
}

function rate(images: number, ms: number): string {
  return (images / (ms / 1000)).toFixed(3);
}

/** `count` layers spread over the model's spatial layers (the CLI's selection: same model, no contract needed for names). */
async function layersOf(ctx: Context, file: string, count: number): Promise<Subject['layers']> {
  const model = await loadModel(file, { runtime: ctx.runtime });
  try {
    const all = selectLayers(model);
    const idx = spread(all.length, count);
    return { idx, count: all.length, regex: namesRegex(idx.map((i) => all[i].name)) };
  } finally {
    model.dispose();
  }
}

/** A `--layers` regex that matches exactly these tensor names. */
export function namesRegex(names: readonly string[]): string {
  return `^(${names.map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`;
}

/** `count` seeded-noise 224×224 PNGs in `dir`, and the same pixels as the model input [count, 3, 224, 224] (pixels / 255, MEAN, STD). */
async function generatedImages(dir: string, count: number): Promise<Float32Array> {
  mkdirSync(dir, { recursive: true });
  const plane = SIZE * SIZE;
  const tensors = new Float32Array(count * 3 * plane);
  for (let n = 0; n < count; n++) {
    const noise = randomInput(plane * 3, n + 1);
    const rgb = Uint8Array.from(noise, (v) => Math.floor((v + 1) * 127.5));
    for (let p = 0; p < plane; p++)
      for (let c = 0; c < 3; c++) tensors[(n * 3 + c) * plane + p] = (rgb[p * 3 + c] / 255 - MEAN[c]) / STD[c];
    writeFileSync(join(dir, `noise-${n}.png`), await encodePng(rgb, SIZE, SIZE, 3));
  }
  return tensors;
}

function camanim(args: readonly string[], started: Set<ChildProcess>): { child: ChildProcess; err: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO, stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d));
  return { child, err: () => err };
}

async function finished(p: { child: ChildProcess; err: () => string }, what: string, t0: number): Promise<Timed> {
  const { code } = await exited(p.child);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${what} exited ${code}: ${p.err().trim().split('\n').slice(-3).join(' / ')}`);
  const own = [...p.err().matchAll(/^eval: \d+\/\d+ images · ([\d.]+) images\/s/gm)].pop();
  return { ms, own: own ? Number(own[1]) : undefined };
}

function single(s: Subject, flags: readonly string[], out: string, started: Set<ChildProcess>): Promise<Timed> {
  const t0 = performance.now();
  return finished(camanim(['eval', s.model, s.dataset, '--out', out, ...flags], started), 'camanim eval', t0);
}

async function queued(
  s: Subject,
  flags: readonly string[],
  out: string,
  url: string,
  workers: number,
  started: Set<ChildProcess>,
): Promise<Timed> {
  const t0 = performance.now();
  const coordinator = camanim(['eval', s.model, s.dataset, '--out', out, ...flags, '--queue', url], started);
  const pool = Array.from({ length: workers }, () => camanim(['worker', '--queue', url], started));
  try {
    return await finished(coordinator, 'camanim eval --queue', t0);
  } finally {
    for (const w of pool) w.child.kill('SIGTERM');
    await Promise.all(pool.map((w) => exited(w.child)));
    for (const w of pool) started.delete(w.child);
    started.delete(coordinator.child);
  }
}
