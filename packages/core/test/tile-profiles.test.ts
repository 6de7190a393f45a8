/**
 * The tile profile belongs to a Runtime, not to the process: two runtimes of different profile
 * kinds plan their own kernels side by side (built in one order, run in the other), and agree
 * on the numbers. CAMANIM_KERNEL_PROFILE still overrides the adapter's kind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import { acquireDevice } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { encodeModel } from './onnx-builder.ts';
import { random } from './gpu.ts';

/** x [1, 16, 14, 14] → 3×3 Conv (16 → 32) → Relu → Flatten → MatMul [6272, 10] → y. */
const bytes = encodeModel({
  nodes: [
    { op: 'Conv', inputs: ['x', 'w'], outputs: ['c'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1] } },
    { op: 'Relu', inputs: ['c'], outputs: ['r'] },
    { op: 'Flatten', inputs: ['r'], outputs: ['f'] },
    { op: 'MatMul', inputs: ['f', 'm'], outputs: ['y'] },
  ],
  inputs: [{ name: 'x', dims: [1, 16, 14, 14] }],
  outputs: ['y'],
  initializers: [
    { name: 'w', dims: [32, 16, 3, 3], data: Array.from(random(32 * 16 * 9, 1, -0.2, 0.2)) },
    { name: 'm', dims: [32 * 14 * 14, 10], data: Array.from(random(32 * 14 * 14 * 10, 2, -0.05, 0.05)) },
  ],
  opset: 13,
});

const kernelsOf = (model: Awaited<ReturnType<typeof loadModel>>) =>
  model.planFor(new Map([['x', [1, 16, 14, 14]]])).full.nodes.flatMap((n) => n.steps.map((s) => s.kernel));
const workgroupSizes = (wgsl: readonly string[]) => wgsl.map((w) => /@workgroup_size\((\d+)/.exec(w)?.[1]);

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

  it('CAMANIM_KERNEL_PROFILE overrides the adapter, and an explicit profile overrides both', async () => {
    const device = await acquireDevice();
    process.env.CAMANIM_KERNEL_PROFILE = 'gpu';
    expect(new Runtime(device).tiles.name).toBe('gpu');
    expect(new Runtime(device, { tiles: 'cpu' }).tiles.name).toBe('cpu');
    delete process.env.CAMANIM_KERNEL_PROFILE;
    expect(new Runtime(device).tiles.name).toBe(device.onCpu ? 'cpu' : 'gpu');
  });
});
