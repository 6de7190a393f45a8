import { describe, expect, it } from 'vitest';
import { calmly } from '../src/runtime/dawn-wait.ts';

describe('calmly', () => {
  it('settles with the promise: value, rejection, and after a delay', async () => {
    await expect(calmly(Promise.resolve(3))).resolves.toBe(3);
    await expect(calmly(Promise.reject(new Error('lost')))).rejects.toThrow('lost');
    const t0 = performance.now();
    const v = await calmly(new Promise((r) => setTimeout(() => r('late'), 30)));
    expect(v).toBe('late');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('stops napping once the promise settles', async () => {
    await calmly(Promise.resolve());
    // A nap left running would block the loop for 1 ms per turn: 500 turns would take ≥ 500 ms.
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) await new Promise((r) => setImmediate(r));
    expect(performance.now() - t0).toBeLessThan(350);
  });
});
