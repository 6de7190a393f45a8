/**
 * One way to get a GPUDevice in Node (Dawn through the `webgpu` package) and in browsers
 * (`navigator.gpu`). In Node with no adapter we look for a SwiftShader Vulkan ICD (Debian
 * chromium's, Chrome's) and retry with it: the same code then runs on the CPU.
 */
import { CamanimError } from '../errors.ts';

export interface Device {
  readonly gpu: GPUDevice;
  readonly adapterInfo: string;
  /** True when running on a software (CPU) adapter such as SwiftShader. */
  readonly onCpu: boolean;
  readonly limits: GPUSupportedLimits;
  /** Resolves with the reason when the device is lost (never rejects). */
  readonly lost: Promise<string>;
  isLost(): boolean;
  destroy(): void;
}

export interface AcquireOptions {
  /** Called with a one-line notice, e.g. that the run falls back to the CPU. */
  onNotice?: (msg: string) => void;
  powerPreference?: GPUPowerPreference;
}

const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
  '/usr/share/vulkan/icd.d/vk_swiftshader_icd.json',
];

// Dawn's instance must stay referenced for the life of the process, or it crashes.
let nodeGpu: GPU | undefined;

export async function acquireDevice(opts: AcquireOptions = {}): Promise<Device> {
  const inBrowser = typeof navigator !== 'undefined' && (navigator as { gpu?: GPU }).gpu !== undefined;
  const adapter = inBrowser ? await browserAdapter(opts) : await nodeAdapter(opts);
  return openDevice(adapter);
}

async function browserAdapter(opts: AcquireOptions): Promise<GPUAdapter> {
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (!adapter) {
    throw new CamanimError(
      'no-gpu',
      'This browser exposes WebGPU but gave no adapter',
      {},
      'Enable WebGPU (chrome://flags/#enable-unsafe-webgpu) or use a browser with WebGPU support',
    );
  }
  return adapter;
}

async function nodeAdapter(opts: AcquireOptions): Promise<GPUAdapter> {
  const webgpu = await import('webgpu').catch((cause) => {
    throw new CamanimError(
      'no-gpu',
      "The 'webgpu' package (Dawn for Node) failed to load",
      {},
      'Run pnpm install, and check that your platform has a prebuilt Dawn binary',
      { cause },
    );
  });
  Object.assign(globalThis, webgpu.globals);
  await quietWayland();
  nodeGpu ??= webgpu.create([]);
  let adapter = await nodeGpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (adapter) return adapter;
  const { existsSync } = await import('node:fs');
  const icd = SWIFTSHADER_ICDS.find((p) => existsSync(p));
  if (!icd || process.env.VK_ICD_FILENAMES === icd) {
    throw new CamanimError(
      'no-gpu',
      'No WebGPU adapter found and no SwiftShader Vulkan driver to fall back on',
      {},
      'Install a GPU driver with Vulkan support, or the CPU fallback: apt-get install chromium libvulkan1',
    );
  }
  process.env.VK_ICD_FILENAMES = icd;
  nodeGpu = webgpu.create([]);
  adapter = await nodeGpu.requestAdapter({ powerPreference: opts.powerPreference });
  if (!adapter) {
    throw new CamanimError(
      'no-gpu',
      `No WebGPU adapter, even with the SwiftShader driver at ${icd}`,
      {},
      'Check that libvulkan1 is installed (apt-get install libvulkan1)',
    );
  }
  opts.onNotice?.(
    `No GPU adapter found: running on the CPU through SwiftShader (${icd}); expect it to be 30-100x slower than a GPU.`,
  );
  return adapter;
}

/**
 * On a headless Linux machine the Vulkan drivers' window-system code (libwayland) prints
 * "error: XDG_RUNTIME_DIR is invalid or not set" when it probes for a display, which reads
 * like a failure. With the variable unset, point it at an empty folder of our own (created
 * 0700 once per user and reused; left unset if that path is not ours): the probe then fails
 * quietly.
 */
async function quietWayland(): Promise<void> {
  if (process.platform !== 'linux' || process.env.XDG_RUNTIME_DIR || !process.getuid) return;
  const [{ lstatSync, mkdirSync }, { tmpdir }, { join }] = await Promise.all([
    import('node:fs'),
    import('node:os'),
    import('node:path'),
  ]);
  const dir = join(tmpdir(), `camanim-xdg-${process.getuid()}`);
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch {
    // already there: checked below
  }
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory() && st.uid === process.getuid() && (st.mode & 0o077) === 0) process.env.XDG_RUNTIME_DIR = dir;
}

async function openDevice(adapter: GPUAdapter): Promise<Device> {
  const l = adapter.limits;
  const gpu = await adapter.requestDevice({
    // Timestamps for the kernel profiler (runtime/profiler.ts), where the adapter has them.
    requiredFeatures: adapter.features.has('timestamp-query') ? ['timestamp-query'] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
    },
  });
  const info = adapter.info;
  const adapterInfo =
    [info?.vendor, info?.architecture, info?.device, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
  const onCpu = /swiftshader|llvmpipe|lavapipe|cpu/i.test(adapterInfo);
  let lostReason: string | undefined;
  const lost = gpu.lost.then((i) => (lostReason = `${i.reason}: ${i.message}`));
  return {
    gpu,
    adapterInfo,
    onCpu,
    limits: gpu.limits,
    lost,
    isLost: () => lostReason !== undefined,
    destroy: () => gpu.destroy(),
  };
}
