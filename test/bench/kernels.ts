/**
 * Micro-benchmark of the convolution and GEMM kernels on the layer shapes of ResNet-50
 * (224×224, batch 1): `cd test && npx tsx bench/kernels.ts [--filter regex] [--reps n] [--sweep]`.
 * Each kernel is compiled and run once, then timed over `reps` runs, each waiting for
 * `queue.onSubmittedWorkDone()`. GFLOP/s counts 2 FLOPs per multiply-add. "cpu" rates divide
 * by this process's CPU time / cores instead of wall time, which stays comparable when other
 * processes share the cores. `--sweep` times alternative tiles of the filtered layers.
 */
import { cpus, loadavg } from 'node:os';
import { acquireDevice, Runtime } from '@camanim/core';
import {
  convGradInputKernels,
  convKernel,
  gemmKernel,
  gemmTile,
  packConvBias,
  packConvWeights,
  type ConvGeometry,
  type KernelSpec,
  type WindowTile,
} from '@camanim/shaders';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const filter = new RegExp(flag('--filter') ?? '.');
const reps = Number(flag('--reps') ?? 3);
const sweep = args.includes('--sweep');
const backward = args.includes('--backward');

interface Layer {
  readonly name: string;
  /** How many times ResNet-50 runs this shape. */
  readonly count: number;
  readonly g: ConvGeometry;
}

function conv(name: string, count: number, cin: number, cout: number, size: number, k: number, stride = 1, group = 1): Layer {
  const pad = (k - 1) >> 1;
  const out = Math.floor((size + 2 * pad - k) / stride) + 1;
  const g: ConvGeometry = {
    n: 1,
    cin,
    h: size,
    w: size,
    cout,
    group,
    kh: k,
    kw: k,
    strides: [stride, stride],
    dilations: [1, 1],
    pads: [pad, pad],
    oh: out,
    ow: out,
  };
  return { name, count, g };
}

// torchvision resnet50 (v1.5: the stride on the 3x3 of each stage's first block).
const layers: Layer[] = [
  conv('stem 7x7 s2 3→64 @224', 1, 3, 64, 224, 7, 2),
  conv('1x1 64→64 @56', 1, 64, 64, 56, 1),
  conv('3x3 64→64 @56', 3, 64, 64, 56, 3),
  conv('1x1 64→256 @56', 4, 64, 256, 56, 1),
  conv('1x1 256→64 @56', 2, 256, 64, 56, 1),
  conv('1x1 256→128 @56', 1, 256, 128, 56, 1),
  conv('3x3 s2 128→128 @56', 1, 128, 128, 56, 3, 2),
  conv('1x1 s2 256→512 @56', 1, 256, 512, 56, 1, 2),
  conv('1x1 128→512 @28', 4, 128, 512, 28, 1),
  conv('1x1 512→128 @28', 3, 512, 128, 28, 1),
  conv('3x3 128→128 @28', 3, 128, 128, 28, 3),
  conv('1x1 512→256 @28', 1, 512, 256, 28, 1),
  conv('3x3 s2 256→256 @28', 1, 256, 256, 28, 3, 2),
  conv('1x1 s2 512→1024 @28', 1, 512, 1024, 28, 1, 2),
  conv('1x1 256→1024 @14', 6, 256, 1024, 14, 1),
  conv('1x1 1024→256 @14', 5, 1024, 256, 14, 1),
  conv('3x3 256→256 @14', 5, 256, 256, 14, 3),
  conv('1x1 1024→512 @14', 1, 1024, 512, 14, 1),
  conv('3x3 s2 512→512 @14', 1, 512, 512, 14, 3, 2),
  conv('1x1 s2 1024→2048 @14', 1, 1024, 2048, 14, 1, 2),
  conv('1x1 512→2048 @7', 3, 512, 2048, 7, 1),
  conv('1x1 2048→512 @7', 2, 2048, 512, 7, 1),
  conv('3x3 512→512 @7', 2, 512, 512, 7, 3),
  // Not in ResNet-50 (count 0): MobileNetV2's depthwise layers, for the one-channel-per-invocation tiles.
  conv('dw 3x3 32 @112 (MobileNet)', 0, 32, 32, 112, 3, 1, 32),
  conv('dw 3x3 s2 96 @112 (MobileNet)', 0, 96, 96, 112, 3, 2, 96),
];

const flops = (g: ConvGeometry) => 2 * g.n * g.cout * g.oh * g.ow * (g.cin / g.group) * g.kh * g.kw;

const rt = new Runtime(await acquireDevice());
const random = (n: number) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

interface Timing {
  wall: number;
  cpu: number;
}

interface Launch {
  readonly kernel: KernelSpec;
  readonly inputs: readonly Float32Array[];
  readonly out: number;
}

/**
 * Wall and CPU-per-core milliseconds of the launches (one pass) over fresh random buffers: the
 * mean over the reps, and the fastest rep, which is what other processes disturb least.
 */
async function time(launches: readonly Launch[]): Promise<Timing & { best: Timing }> {
  const owned = launches.map((l) => [...l.inputs.map((d) => rt.upload(d, [d.length])), rt.createTensor([l.out])]);
  const dispatch = launches.map((l, k) => ({ kernel: l.kernel, buffers: owned[k].map((b) => b.buffer) }));
  const once = async (): Promise<Timing> => {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    await rt.run(dispatch, 'bench');
    await rt.wait(rt.gpu.queue.onSubmittedWorkDone());
    const c = process.cpuUsage(c0);
    return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 / cpus().length };
  };
  await once();
  const runs: Timing[] = [];
  for (let r = 0; r < reps; r++) runs.push(await once());
  owned.flat().forEach((b) => rt.release(b));
  const mean = (k: keyof Timing) => runs.reduce((a, t) => a + t[k], 0) / reps;
  const min = (k: keyof Timing) => Math.min(...runs.map((t) => t[k]));
  return { wall: mean('wall'), cpu: mean('cpu'), best: { wall: min('wall'), cpu: min('cpu') } };
}

function convRun(l: Layer, tile?: WindowTile | readonly [number, number]): Launch {
  const { g } = l;
  const { kernel, pad, inputs } = convKernel(rt.tiles, g, true, tile);
  const data = {
    x: random(g.n * g.cin * g.h * g.w),
    w: packConvWeights(random(g.cout * (g.cin / g.group) * g.kh * g.kw), g, pad),
    b: packConvBias(random(g.cout), g, pad),
  };
  return { kernel, inputs: inputs.map((k) => data[k === 'wo' ? 'w' : k]), out: g.n * g.cout * g.oh * g.ow };
}

/** The input gradient's launches (one per stride phase). */
function gradRuns(l: Layer): Launch[] {
  const { g } = l;
  const w = random(g.cout * (g.cin / g.group) * g.kh * g.kw);
  return convGradInputKernels(rt.tiles, g).map(({ kernel, pad, inputs }) => ({
    kernel,
    inputs: inputs.map((k) =>
      k === 'x' ? random(g.n * g.cout * g.oh * g.ow) : k === 'wo' ? w : packConvWeights(w, g, pad, true),
    ),
    out: g.n * g.cin * g.h * g.w,
  }));
}

const gf = (f: number, ms: number) => (f / ms / 1e6).toFixed(2);
const rows: string[][] = [];
let total = 0;
let totalFlops = 0;
let backTotal = 0;
console.error(
  `${rt.device.adapterInfo}; load average ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')} on ${cpus().length} cores; ${reps} reps`,
);
for (const l of layers.filter((x) => filter.test(x.name))) {
  const run = convRun(l);
  const t = await time([run]);
  const f = flops(l.g);
  total += t.wall * l.count;
  totalFlops += f * l.count;
  rows.push([
    l.name,
    String(l.count),
    run.kernel.name.split(' tile ')[1],
    t.wall.toFixed(1),
    gf(f, t.wall),
    gf(f, t.cpu),
    gf(f, t.best.cpu),
    (t.wall * l.count).toFixed(0),
  ]);
  if (backward) {
    const grads = gradRuns(l);
    const tb = await time(grads);
    backTotal += tb.wall * l.count;
    rows[rows.length - 1].push(tb.wall.toFixed(1), gf(f, tb.cpu), grads.map((x) => x.kernel.name.split(' tile ')[1]).join(' '));
  }
  console.error(rows[rows.length - 1].join(' | '));
  if (sweep) {
    const tiles: (WindowTile | [number, number])[] = [
      ...(l.g.kh === 1 && l.g.strides[0] === 1
        ? (flag('--gemm-tiles') ?? '16x16,32x16,16x32,32x32,64x16')
            .split(',')
            .map((t) => t.split('x').map(Number) as [number, number])
        : []),
      ...(args.includes('--gemm-only') ? [] : [2, 4, 7, 8]).flatMap((h) =>
        [4, 7, 8, 14].flatMap((w) => [4, 8, 16].filter((c) => h * w * c <= 512 && h * w * c >= 64).map((c) => ({ h, w, c }))),
      ),
    ];
    for (const tile of tiles) {
      const r = convRun(l, tile);
      const ts = await time([r]);
      console.error(
        `    ${r.kernel.name.split(' tile ')[1].padEnd(10)} ${ts.best.wall.toFixed(1).padStart(8)} ms ${gf(f, ts.best.wall).padStart(6)} GFLOP/s wall ${gf(f, ts.best.cpu).padStart(6)} cpu (best of ${reps})`,
      );
    }
  }
}
if (filter.test('fc')) {
  // The classifier: Gemm [1, 2048] × [2048, 1000]ᵀ + bias, as the Gemm op runs it (transB).
  const [m, k, n] = [1, 2048, 1000];
  const kernel = gemmKernel({
    name: 'fc',
    m,
    n,
    k,
    a: { buffer: 'A', rowStride: k, colStride: 1 },
    b: { buffer: 'B', rowStride: 1, colStride: k },
    out: { rowStride: n, colStride: 1 },
    tile: gemmTile(rt.tiles, m, n, k),
    profile: rt.tiles,
  });
  const t = await time([{ kernel, inputs: [random(m * k), random(k * n)], out: m * n }]);
  total += t.wall;
  totalFlops += 2 * m * n * k;
  rows.push([
    'fc 2048→1000 (Gemm)',
    '1',
    kernel.name.split(' tile ')[1],
    t.wall.toFixed(1),
    gf(2 * m * n * k, t.wall),
    gf(2 * m * n * k, t.cpu),
    gf(2 * m * n * k, t.best.cpu),
    t.wall.toFixed(0),
  ]);
}
const header = [
  'layer',
  'count',
  'tile',
  'ms',
  'GFLOP/s',
  'GFLOP/s (cpu)',
  'best (cpu)',
  'ms × count',
  ...(backward ? ['dX ms', 'dX GFLOP/s (cpu)', 'dX tiles'] : []),
];
const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => (r[k] ?? '').length)));
const line = (r: string[]) => `| ${header.map((_, k) => (r[k] ?? '').padEnd(widths[k])).join(' | ')} |`;
console.log([line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n'));
if (backward) console.log(`\nResNet-50 conv input gradients: ${backTotal.toFixed(0)} ms`);
console.log(
  `\nResNet-50 conv + fc kernels: ${total.toFixed(0)} ms for ${(totalFlops / 1e9).toFixed(2)} GFLOP (${gf(totalFlops, total)} GFLOP/s); load average ${loadavg()[0].toFixed(1)}`,
);
process.exit(0);
