/**
 * Dispatch.offsets: one kernel bound at two slices of a shared buffer compiles one pipeline and
 * writes each slice in its place, leaving the rest alone; an offset the device cannot bind is
 * refused naming the kernel.
 */
import { elementKernel } from '@camanim/shaders';
import { describe, expect, it } from 'vitest';
import { isCamanimError } from '../src/errors.ts';
import { acquireDevice } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';

describe('binding offsets', () => {
  it('one pipeline serves every slice of a shared buffer', async () => {
    const rt = new Runtime(await acquireDevice());
    const align = rt.bindingAlignment / 4;
    // out[i] = 2·src[i] over 5 elements, bound at slices 0 and 2 of the output (and 1 of the input).
    const kernel = elementKernel({
      name: 'double',
      inputs: [{ name: 'src' }],
      outputs: [{ name: 'out' }],
      total: 5,
      body: '  out[i] = 2.0 * src[i];',
    });
    const src = rt.upload(
      Float32Array.from({ length: 2 * align }, (_, i) => i + 1),
      [2 * align],
    );
    const out = rt.upload(new Float32Array(3 * align).fill(-1), [3 * align]);
    const before = rt.pipelineCount;
    await rt.run([
      { kernel, buffers: [src.buffer, out.buffer] },
      { kernel, buffers: [src.buffer, out.buffer], offsets: [4 * align, 8 * align] },
    ]);
    expect(rt.pipelineCount - before).toBe(1);
    const got = (await rt.read(out)).data;
    const want = new Float32Array(3 * align).fill(-1);
    for (let i = 0; i < 5; i++) [want[i], want[2 * align + i]] = [2 * (i + 1), 2 * (align + i + 1)];
    expect(got).toEqual(want);

    let err: unknown;
    await rt.run([{ kernel, buffers: [src.buffer, out.buffer], offsets: [0, 12] }]).catch((e) => (err = e));
    expect(isCamanimError(err) && err.where.kernel).toBe('double');
    expect((err as Error).message).toMatch(/Binding 1 of kernel 'double' starts at byte 12, not a multiple of \d+/);
    rt.release(src);
    rt.release(out);
  });
});
