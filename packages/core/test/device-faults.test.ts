import { describe, expect, it } from 'vitest';
import { acquireDevice, type Device } from '../src/runtime/device.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { isCamanimError } from '../src/errors.ts';
import { unaryKernel } from '@camanim/shaders';

describe('device faults surface as errors, never hangs', () => {
  it('a run on a destroyed device fails with a CamanimError naming the step', async () => {
    const rt = new Runtime(await acquireDevice());
    const t = rt.upload(new Float32Array(16), [16]);
    rt.device.destroy();
    await rt.device.lost;
    const err = await rt
      .run([{ kernel: unaryKernel('relu', [16], 'max(x, 0.0)'), buffers: [t.buffer, t.buffer] }], 'step-x')
      .catch((e) => e);
    expect(isCamanimError(err)).toBe(true);
    expect(String(err.message)).toMatch(/lost/);
  });

  it('losing the device while a run is in flight rejects the read', async () => {
    const rt = new Runtime(await acquireDevice());
    const n = 1 << 20;
    const a = rt.upload(new Float32Array(n).fill(1), [n]);
    const b = rt.createTensor([n]);
    const pending = rt.run(
      Array.from({ length: 50 }, () => ({ kernel: unaryKernel('exp', [n], 'exp(x)'), buffers: [a.buffer, b.buffer] })),
      'busy',
    );
    rt.device.destroy();
    const outcome = await Promise.race([
      pending
        .then(() => rt.read(b))
        .then(
          () => 'resolved',
          (e) => (isCamanimError(e) ? 'camanim-error' : `other: ${e}`),
        ),
      new Promise((r) => setTimeout(() => r('hang'), 20_000)),
    ]);
    expect(outcome).toBe('camanim-error');
  });
});

/** What Dawn reported on an H200 that ran out of memory (Vulkan, driver 580). */
const DAWN_OOM =
  'vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY\n - While calling [Device].CreateBuffer([BufferDescriptor ""big-17""]).\n    at CheckVkOOMThenSuccessImpl (/dawn/src/dawn/native/vulkan/VulkanError.cpp:119)\n';

/**
 * The device as seen through a GPUDevice whose allocation of buffers labelled `label` runs out
 * of memory: createBuffer still returns a (real) buffer, and the error scope around it reports
 * an out-of-memory error, as Dawn does on a real OOM (seen on an H200 filled with 8 GiB
 * buffers: the same message names the tensor and the step); a test cannot provoke one safely.
 */
function outOfMemoryFor(device: Device, label: string): Device {
  let failScope = false;
  const gpu = new Proxy(device.gpu, {
    get(target, prop) {
      if (prop === 'createBuffer') {
        return (d: GPUBufferDescriptor) => {
          failScope = d.label === label;
          return target.createBuffer(d);
        };
      }
      if (prop === 'popErrorScope') {
        return async () => {
          const fail = failScope;
          failScope = false;
          return (await target.popErrorScope()) ?? (fail ? { message: DAWN_OOM } : null);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { ...device, gpu };
}

describe('out of memory and compile failures name what failed', () => {
  it('an out-of-memory at buffer creation names the tensor and the step, before anything runs', async () => {
    const device = await acquireDevice();
    try {
      const rt = new Runtime(outOfMemoryFor(device, '/layer1/conv/Conv_output_0'));
      const x = rt.upload(new Float32Array(16).fill(1), [16], 'input');
      const y = rt.createTensor([16], '/layer1/conv/Conv_output_0');
      const err = await rt
        .run([{ kernel: unaryKernel('relu', [16], 'max(x, 0.0)'), buffers: [x.buffer, y.buffer] }], 'forward')
        .catch((e) => e);
      expect(isCamanimError(err)).toBe(true);
      expect(err.code).toBe('resource-limit');
      expect(err.message).toBe(
        "Out of GPU memory creating a buffer of 256 bytes (vkAllocateMemory failed with VK_ERROR_OUT_OF_DEVICE_MEMORY) (tensor '/layer1/conv/Conv_output_0', kernel 'forward'). Use a smaller batch or input, fewer layers at once, or a GPU with more memory",
      );
      // Reported once; the pool is usable afterwards.
      const z = rt.createTensor([16], 'next');
      await rt.run([{ kernel: unaryKernel('relu', [16], 'max(x, 0.0)'), buffers: [x.buffer, z.buffer] }], 'forward');
      expect([...(await rt.read(z)).data]).toEqual(Array(16).fill(1));
    } finally {
      device.destroy();
    }
  });

  it('a kernel whose WGSL does not compile is named, with the line and the compiler message', async () => {
    const device = await acquireDevice();
    try {
      const rt = new Runtime(device);
      const broken = unaryKernel('relu_broken', [16], 'max(x, undefined_symbol)');
      const t = rt.upload(new Float32Array(16), [16]);
      const err = await rt.run([{ kernel: broken, buffers: [t.buffer, t.buffer] }], 'step-z').catch((e) => e);
      expect(isCamanimError(err)).toBe(true);
      expect(err.code).toBe('gpu');
      expect(err.message).toMatch(
        /^Kernel failed to compile: line \d+: .*undefined_symbol.* \(kernel 'relu_broken'\)\. This is a camanim bug/,
      );
    } finally {
      device.destroy();
    }
  });
});
