/**
 * The tile profile belongs to a Runtime, not to the process: two runtimes of different profile
 * kinds plan their own kernels side by side (built in one order, run in the other), and agree
 * on the numbers. CAMANIM_KERNEL_PROFILE still overrides the adapter's kind. The unroll budget
 * for a quick start picks other (smaller) tiles with the same results bit for bit.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import { acquireDevice } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { encodeModel } from './onnx-builder.ts';
import { convReluMatmul } from './conv-relu-matmul.ts';
import { random } from './gpu.ts';

/** x [1, 16, 14, 14] → 3×3 Conv (16 → 32) → Relu → Flatten → MatMul [6272, 10] → y. */
const bytes = convReluMatmul(16, 32, 14, 10);

const kernelsOf = (model: Awaited<ReturnType<typeof loadModel>>) =>
  model.planFor(new Map([['x', [1, 16, 14, 14]]])).full.nodes.flatMap((n) => n.steps.map((s) => s.kernel));
const workgroupSizes = (wgsl: readonly string[]) => wgsl.map((w) => /@workgroup_size\((\d+)/.exec(w)?.[1]);

/**
 * x [1, 32, 28, 28] → 3×3 Conv (32 → 64) → Relu → 3×3 Conv stride 2 (64 → 64) + 1×1 Conv
 * stride 2 (64 → 64, a residual downsample: three of its input gradient's four stride phases
 * are zeros) → Flatten → Gemm [12544] × [12544, 64]: layers big enough that the two unroll
 * budgets choose other tiles.
 */
const wide = encodeModel({
  nodes: [
    { op: 'Conv', inputs: ['x', 'w1'], outputs: ['c1'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c1'], outputs: ['r'] },
    { op: 'Conv', inputs: ['r', 'w2'], outputs: ['c2'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] } },
    { op: 'Conv', inputs: ['r', 'w3'], outputs: ['d'], attrs: { kernel_shape: [1, 1], strides: [2, 2] } },
    { op: 'Add', inputs: ['c2', 'd'], outputs: ['s'] },
    { op: 'Flatten', inputs: ['s'], outputs: ['f'] },
    { op: 'Gemm', inputs: ['f', 'm'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', dims: [1, 32, 28, 28] }],
  outputs: ['y'],
  initializers: [
    { name: 'w1', dims: [64, 32, 3, 3], data: Array.from(random(64 * 32 * 9, 4, -0.1, 0.1)) },
    { name: 'w2', dims: [64, 64, 3, 3], data: Array.from(random(64 * 64 * 9, 5, -0.1, 0.1)) },
    { name: 'w3', dims: [64, 64, 1, 1], data: Array.from(random(64 * 64, 8, -0.2, 0.2)) },
    { name: 'm', dims: [64 * 14 * 14, 64], data: Array.from(random(64 * 14 * 14 * 64, 6, -0.02, 0.02)) },
  ],
  opset: 13,
});

describe('tile profiles per runtime', () => {
  const saved = process.env.CAMANIM_KERNEL_PROFILE;
  afterEach(() => {
    if (saved === undefined) delete process.env.CAMANIM_KERNEL_PROFILE;
    else process.env.CAMANIM_KERNEL_PROFILE = saved;
  });

  it('a cpu and a gpu Runtime in one process each plan their own tiles, with the same results', async () => {
    const device = await acquireDevice();
    const gpu = await loadModel(bytes, { runtime: new Runtime(device, { tiles: 'gpu' }) });
    const cpu = await loadModel(bytes, { runtime: new Runtime(device, { tiles: 'cpu' }) });
    expect([cpu.runtime.tiles.name, gpu.runtime.tiles.name]).toEqual(['cpu', 'gpu']);
    const [cpuKernels, gpuKernels] = [kernelsOf(cpu), kernelsOf(gpu)];
    const tiled = (ks: typeof cpuKernels) => ks.filter((k) => / tile /.test(k.name) || /^matmul/.test(k.name));
    expect(tiled(cpuKernels).length).toBeGreaterThan(0);
    // Conv's window tile and MatMul's GEMM: ≤ 32 accumulators and workgroups of 64 on the gpu profile only.
    expect(workgroupSizes(tiled(gpuKernels).map((k) => k.wgsl)).every((s) => s === '64')).toBe(true);
    expect(workgroupSizes(tiled(cpuKernels).map((k) => k.wgsl)).some((s) => s === '64')).toBe(false);
    expect(tiled(gpuKernels).map((k) => k.name)).not.toEqual(tiled(cpuKernels).map((k) => k.name));

    const x = { data: random(16 * 14 * 14, 3, -1, 1), shape: [1, 16, 14, 14] };
    const cpuRun = await cpu.run(x);
    const gpuRun = await gpu.run(x);
    const [yc, yg] = [await cpuRun.read('y'), await gpuRun.read('y')];
    yc.data.forEach((v, i) => expect(yg.data[i]).toBeCloseTo(v, 4));
    // The backward plans follow their forward plan's profile.
    const [gc, gg] = [
      await cpuRun.backward({ class: 3 }, { layers: ['x', 'c'] }),
      await gpuRun.backward({ class: 3 }, { layers: ['x', 'c'] }),
    ];
    const [dc, dg] = [await gc.read('x'), await gg.read('x')];
    dc.data.forEach((v, i) => expect(dg.data[i]).toBeCloseTo(v, 4));
    for (const m of [cpu, gpu]) m.dispose();
  });

  it("the startup unroll budget picks smaller tiles whose forward and backward equal throughput's bit for bit", async () => {
    const device = await acquireDevice();
    const shapes = new Map([['x', [1, 32, 28, 28]]]);
    const models = await Promise.all(
      (['throughput', 'startup'] as const).map((unroll) =>
        loadModel(wide, { runtime: new Runtime(device, { tiles: 'cpu', unroll }) }),
      ),
    );
    const [fast, quick] = models;
    expect(quick.runtime.tiles.unroll.maxProducts).toBeLessThan(fast.runtime.tiles.unroll.maxProducts);
    const names = (m: (typeof models)[number]) =>
      m
        .planFor(shapes)
        .full.nodes.flatMap((n) => n.steps.map((s) => s.kernel.name))
        .filter((k) => / tile /.test(k));
    // Every convolution gets another tile, the startup ones within its accumulator budget.
    const differ = names(fast).filter((k, i) => k !== names(quick)[i]);
    expect(differ.filter((k) => k.startsWith('conv[')).length).toBe(3);
    expect(quick.runtime.tiles.maxAccumulators).toBeLessThan(fast.runtime.tiles.maxAccumulators);
    const accumulators = (k: string) => (/ tile ([\dx]+)/.exec(k)?.[1] ?? '').split('x').reduce((a, b) => a * Number(b), 1);
    expect(Math.max(...names(quick).map(accumulators))).toBeLessThanOrEqual(quick.runtime.tiles.maxAccumulators);
    expect(Math.max(...names(fast).map(accumulators))).toBeGreaterThan(quick.runtime.tiles.maxAccumulators);

    const x = { data: random(32 * 28 * 28, 7, -1, 1), shape: [1, 32, 28, 28] };
    const runs = await Promise.all(models.map((m) => m.run(x)));
    const grads = await Promise.all(runs.map((r) => r.backward({ class: 5 }, { layers: ['x', 'r', 'c1'] })));
    for (const name of ['c1', 'c2', 'd', 'y']) {
      const [a, b] = await Promise.all(runs.map((r) => r.read(name)));
      expect(b.data).toEqual(a.data);
    }
    for (const name of ['x', 'r', 'c1']) {
      const [a, b] = await Promise.all(grads.map((g) => g.read(name)));
      expect(b.data).toEqual(a.data);
    }
    for (const m of models) m.dispose();
  });

  it('CAMANIM_UNROLL picks the unroll budget unless the runtime is given one', async () => {
    const device = await acquireDevice();
    const saved = process.env.CAMANIM_UNROLL;
    try {
      process.env.CAMANIM_UNROLL = 'startup';
      const startup = new Runtime(device).tiles.unroll;
      expect(new Runtime(device, { unroll: 'throughput' }).tiles.unroll).not.toEqual(startup);
      delete process.env.CAMANIM_UNROLL;
      expect(new Runtime(device).tiles.unroll).toEqual(new Runtime(device, { unroll: 'throughput' }).tiles.unroll);
      expect(new Runtime(device, { unroll: 'startup' }).tiles.unroll).toEqual(startup);
    } finally {
      if (saved === undefined) delete process.env.CAMANIM_UNROLL;
      else process.env.CAMANIM_UNROLL = saved;
    }
  });

  it('CAMANIM_KERNEL_PROFILE overrides the adapter, and an explicit profile overrides both', async () => {
    const device = await acquireDevice();
    process.env.CAMANIM_KERNEL_PROFILE = 'gpu';
    expect(new Runtime(device).tiles.name).toBe('gpu');
    expect(new Runtime(device, { tiles: 'cpu' }).tiles.name).toBe('cpu');
    delete process.env.CAMANIM_KERNEL_PROFILE;
    expect(new Runtime(device).tiles.name).toBe(device.onCpu ? 'cpu' : 'gpu');
  });
});
