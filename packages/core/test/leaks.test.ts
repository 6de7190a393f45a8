import { describe, expect, it } from 'vitest';
import { loadModel } from '../src/load-model.ts';
import { encodeModel, tinyCnn } from './onnx-builder.ts';
import { testRuntime } from './gpu.ts';

describe('no leaks', () => {
  it('100 load → run → backward → dispose cycles end where the first one did', async () => {
    const rt = await testRuntime();
    const bytes = encodeModel(tinyCnn());
    const cycle = async () => {
      const m = await loadModel(bytes, { runtime: rt });
      const run = await m.run({ data: Float32Array.from({ length: 36 }, (_, i) => Math.sin(i)), shape: [2, 2, 3, 3] });
      const g = await run.backward({ class: 1 });
      await g.read('x');
      g.dispose();
      run.dispose();
      m.dispose();
    };
    await cycle();
    const after1 = rt.stats();
    const heap1 = process.memoryUsage().heapUsed;
    for (let i = 0; i < 99; i++) await cycle();
    const after100 = rt.stats();
    expect(after100.live).toBe(after1.live);
    expect(after100.liveBytes).toBe(after1.liveBytes);
    expect(after100.pooled + after100.live).toBe(after1.pooled + after1.live);
    expect(global.gc, 'run with --expose-gc (vitest.shared.ts)').toBeTypeOf('function');
    global.gc!();
    const heapGrowth = process.memoryUsage().heapUsed - heap1;
    // Allow for JIT and caches warming; a leak of one run (or model) per cycle would exceed this.
    expect(heapGrowth).toBeLessThan(8 * 2 ** 20);
    console.log(
      `leak test: live ${after100.live} buffers (${after100.liveBytes} B), pooled ${after100.pooled}; heap growth ${(heapGrowth / 2 ** 20).toFixed(1)} MiB over 99 cycles`,
    );
  });
});
