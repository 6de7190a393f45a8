import { describe, expect, it } from 'vitest';
import { acquireDevice } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { isCamanimError } from '../src/errors.ts';
import { unaryKernel } from '@camanim/shaders';

describe('device faults surface as errors, never hangs', () => {
  it('a run on a destroyed device fails with a CamanimError naming the step', async () => {
    const rt = new Runtime(await acquireDevice());
    const t = rt.upload(new Float32Array(16), [16]);
    rt.device.destroy();
    await rt.device.lost;
    const err = await rt.run([{ kernel: unaryKernel('relu', [16], 'max(x, 0.0)'), buffers: [t.buffer, t.buffer] }], 'step-x').catch((e) => e);
    expect(isCamanimError(err)).toBe(true);
    expect(String(err.message)).toMatch(/lost/);
  });

  it('losing the device while a run is in flight rejects the read', async () => {
    const rt = new Runtime(await acquireDevice());
    const n = 1 << 20;
    const a = rt.upload(new Float32Array(n).fill(1), [n]);
    const b = rt.createTensor([n]);
    const pending = rt.run(Array.from({ length: 50 }, () => ({ kernel: unaryKernel('exp', [n], 'exp(x)'), buffers: [a.buffer, b.buffer] })), 'busy');
    rt.device.destroy();
    const outcome = await Promise.race([
      pending.then(() => rt.read(b)).then(() => 'resolved', (e) => (isCamanimError(e) ? 'camanim-error' : `other: ${e}`)),
      new Promise((r) => setTimeout(() => r('hang'), 20_000)),
    ]);
    expect(outcome).toBe('camanim-error');
  });
});
