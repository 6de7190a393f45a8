/**
 * The kernel profiler: with profiling on, every dispatch of a forward and a backward is timed by
 * its kernel's name (as many dispatches as the plan has steps of that kernel), the outputs stay
 * the same bit for bit, and each profile starts from zero. An adapter without timestamp queries
 * is refused with a message.
 */
import { describe, expect, it } from 'vitest';
import { isCamanimError } from '../src/errors.ts';
import { loadModel } from '../src/load-model.ts';
import { acquireDevice } from '../src/runtime/device.ts';
import { KernelProfiler } from '../src/runtime/profiler.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { convReluMatmul } from './conv-relu-matmul.ts';
import { random } from './gpu.ts';

/** x [1, 8, 12, 12] → 3×3 Conv (8 → 16) → Relu → Flatten → MatMul [2304, 5] → y. */
const bytes = convReluMatmul(8, 16, 12, 5);

describe('kernel profiler', () => {
  it('times every dispatch by kernel, leaves the results as they are, and stops when asked', async () => {
    const device = await acquireDevice();
    const model = await loadModel(bytes, { runtime: new Runtime(device) });
    const rt = model.runtime;
    const x = { data: random(8 * 12 * 12, 3, -1, 1), shape: [1, 8, 12, 12] };
    const plain = await model.run(x);
    const [y0, g0] = [await plain.read('y'), await (await plain.backward({ class: 2 }, { layers: ['x', 'c'] })).read('c')];

    rt.startProfile();
    const run = await model.run(x);
    const y = await run.read('y');
    const forward = rt.stopProfile();
    rt.startProfile();
    const g = await (await run.backward({ class: 2 }, { layers: ['x', 'c'] })).read('c');
    const backward = rt.stopProfile();
    expect(y.data).toEqual(y0.data);
    expect(g.data).toEqual(g0.data);

    // As many dispatches per kernel as the forward plan has steps of it.
    const steps = new Map<string, number>();
    for (const s of model.planFor(new Map([['x', x.shape]])).full.nodes.flatMap((n) => n.steps))
      steps.set(s.kernel.name, (steps.get(s.kernel.name) ?? 0) + 1);
    expect(new Map(forward.map((t) => [t.kernel, t.dispatches]))).toEqual(steps);
    expect(backward.some((t) => t.kernel.startsWith('conv_grad_x'))).toBe(true);
    for (const t of [...forward, ...backward]) expect(Number.isFinite(t.ms) && t.ms >= 0).toBe(true);
    // Most GPU time first, and the convolution's forward took some.
    expect(forward.map((t) => t.ms)).toEqual(forward.map((t) => t.ms).sort((a, b) => b - a));
    expect(forward.find((t) => t.kernel.startsWith('conv['))!.ms).toBeGreaterThan(0);

    // Stopped, nothing is timed; a new profile starts from zero: an unprofiled forward, then a
    // profiled one, counts one forward's dispatches, not two or three.
    expect(rt.stopProfile()).toEqual([]);
    await (await model.run(x)).read('y');
    rt.startProfile();
    await (await model.run(x)).read('y');
    expect(new Map(rt.stopProfile().map((t) => [t.kernel, t.dispatches]))).toEqual(steps);
    model.dispose();
  });

  it('refuses an adapter without timestamp queries, saying so', () => {
    const gpu = { features: new Set<string>() } as unknown as GPUDevice;
    let err: unknown;
    try {
      new KernelProfiler(gpu);
    } catch (e) {
      err = e;
    }
    expect(isCamanimError(err)).toBe(true);
    expect((err as Error).message).toMatch(/no timestamp queries/);
  });
});
