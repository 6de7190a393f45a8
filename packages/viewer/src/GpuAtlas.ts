/**
 * The WebGPU path: the CAMs live in storage buffers on the same GPUDevice as the core and the
 * renderer, and one WGSL kernel normalizes, colormaps and overlays every layer into its tile of
 * an rgba8unorm storage texture that three.js samples through an ExternalTexture. Switching
 * normalization, colormap or overlay re-runs the kernel; nothing comes back to the CPU.
 * (rgba8unorm because three samples it with a filtering sampler; rgba32float is not filterable.)
 * A video's maps and input frames are all uploaded; the tiles show one frame, chosen at paint.
 * The colour tables are @camanim/shaders' (the CLI's); its colormapOverlayKernel is not reused
 * because it takes maps already normalized on the host and writes packed pixels to a buffer,
 * frame after frame, whose rows (W·4 bytes) cannot be copied into atlas tiles unless W·4 is a
 * multiple of 256; normalizing here keeps the global/local switch on the GPU.
 */
import { ExternalTexture } from 'three/webgpu';
import { Colormap, type PaintStyle } from './Colormap.ts';
import type { AtlasLayout, CamAtlas, TilePixels } from './AtlasLayout.ts';
import type { CamSet } from './CamSet.ts';

const WGSL = /* wgsl */ `
// stride: floats per layer (T·H·W); at: the shown frame's first float (t·H·W), in maps and image alike.
struct Params { H: u32, W: u32, tileW: u32, tileH: u32, cols: u32, first: u32, overlay: u32, alpha: f32, stride: u32, at: u32 }
@group(0) @binding(0) var<storage, read> maps: array<f32>;
@group(0) @binding(1) var<storage, read> ranges: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> image: array<u32>;
@group(0) @binding(3) var<storage, read> lut: array<u32>;
@group(0) @binding(4) var<uniform> p: Params;
@group(0) @binding(5) var out: texture_storage_2d<rgba8unorm, write>;

// Half-pixel centres, clamped edges: the CAM kernels' bilinear (packages/shaders cam.ts).
fn coord(o: u32, n: u32, dst: u32) -> vec3<f32> {
  let f = clamp((f32(o) + 0.5) * f32(n) / f32(dst) - 0.5, 0.0, f32(n - 1u));
  let a = floor(f);
  return vec3<f32>(a, min(a + 1.0, f32(n - 1u)), f - a);
}

fn pixel(q: u32) -> vec3<f32> {
  return vec3<f32>(f32(q & 0xffu), f32((q >> 8u) & 0xffu), f32((q >> 16u) & 0xffu));
}

@compute @workgroup_size(8, 8, 1)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  if (g.x >= p.tileW || g.y >= p.tileH) { return; }
  let k = p.first + g.z;
  let cy = coord(g.y, p.H, p.tileH);
  let cx = coord(g.x, p.W, p.tileW);
  let y0 = u32(cy.x) * p.W;
  let y1 = u32(cy.y) * p.W;
  let x0 = u32(cx.x);
  let x1 = u32(cx.y);
  let base = g.z * p.stride + p.at;
  let top = mix(maps[base + y0 + x0], maps[base + y0 + x1], cx.z);
  let bottom = mix(maps[base + y1 + x0], maps[base + y1 + x1], cx.z);
  let v = mix(top, bottom, cy.z);
  let r = ranges[k];
  let n = (max(v, 0.0) - r.x) / (r.y - r.x + 1e-7);
  var rgb = pixel(lut[min(u32(clamp(n, 0.0, 1.0) * 255.0), 255u)]);
  if (p.overlay != 0u) {
    let i = p.at;
    let im = mix(mix(pixel(image[i + y0 + x0]), pixel(image[i + y0 + x1]), cx.z), mix(pixel(image[i + y1 + x0]), pixel(image[i + y1 + x1]), cx.z), cy.z);
    rgb = round(p.alpha * rgb + (1.0 - p.alpha) * im);
  }
  let at = vec2<i32>(i32((k % p.cols) * p.tileW + g.x), i32((k / p.cols) * p.tileH + g.y));
  textureStore(out, at, vec4<f32>(rgb / 255.0, 1.0));
}
`;

/** The kernel's Params, padded to 16 bytes. */
const PARAMS_BYTES = 48;

/** Layers per storage buffer: keeps each binding well under maxStorageBufferBindingSize. */
function chunkLayers(device: GPUDevice, floatsPerLayer: number): number {
  const bytes = Math.min(device.limits.maxStorageBufferBindingSize, 128 * 2 ** 20);
  return Math.max(1, Math.floor(bytes / (floatsPerLayer * 4)));
}

export class GpuAtlas implements CamAtlas {
  readonly texture: ExternalTexture;
  private readonly gpuTexture: GPUTexture;
  private readonly pipeline: GPUComputePipeline;
  private readonly lut: GPUBuffer;
  private readonly ranges: GPUBuffer;
  private readonly image: GPUBuffer;
  private readonly chunks: { first: number; count: number; maps: GPUBuffer; params: GPUBuffer; group: GPUBindGroup }[] = [];
  private readonly buffers: GPUBuffer[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly set: CamSet,
    readonly layout: AtlasLayout,
  ) {
    const { width: W, height: H } = set;
    const L = set.layers.length;
    this.gpuTexture = device.createTexture({
      label: 'camanim:atlas',
      size: [layout.width, layout.height],
      format: 'rgba8unorm',
      usage: GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_SRC,
    });
    this.texture = new ExternalTexture(this.gpuTexture);
    (this.texture as { image: unknown }).image = { width: layout.width, height: layout.height };
    this.pipeline = GpuAtlas.pipelineFor(device);
    this.lut = this.buffer(256 * 4, GPUBufferUsage.STORAGE, 'lut');
    this.ranges = this.buffer(Math.max(1, L) * 8, GPUBufferUsage.STORAGE, 'ranges');
    // Every input frame (one for an image), frame after frame, as every layer's maps are.
    const frame = W * H;
    const stride = frame * set.frames;
    this.image = this.buffer(stride * 4, GPUBufferUsage.STORAGE, 'image');
    set.images.forEach((im, t) =>
      device.queue.writeBuffer(this.image, t * frame * 4, new Uint32Array(im.rgba.slice().buffer, 0, frame)),
    );
    const per = chunkLayers(device, stride);
    for (let first = 0; first < L; first += per) {
      const count = Math.min(per, L - first);
      const maps = this.buffer(count * stride * 4, GPUBufferUsage.STORAGE, `maps ${first}+${count}`);
      set.layers
        .slice(first, first + count)
        .forEach((l, j) => device.queue.writeBuffer(maps, j * stride * 4, l.upsampled as Float32Array<ArrayBuffer>));
      const params = this.buffer(PARAMS_BYTES, GPUBufferUsage.UNIFORM, 'params');
      const group = device.createBindGroup({
        layout: this.pipeline.getBindGroupLayout(0),
        entries: [maps, this.ranges, this.image, this.lut, params]
          .map((buffer, binding) => ({ binding, resource: { buffer } }))
          .concat([{ binding: 5, resource: this.gpuTexture.createView() as never }]),
      });
      this.chunks.push({ first, count, maps, params, group });
    }
  }

  paint(ranges: readonly { min: number; max: number }[], style: PaintStyle, frame = 0): void {
    const q = this.device.queue;
    q.writeBuffer(this.lut, 0, Colormap.lut(style.colormap) as Uint32Array<ArrayBuffer>);
    q.writeBuffer(this.ranges, 0, Float32Array.from(ranges.flatMap((r) => [r.min, r.max])));
    const { layout } = this;
    const encoder = this.device.createCommandEncoder({ label: 'camanim:atlas' });
    const n = this.set.width * this.set.height;
    for (const c of this.chunks) {
      const params = new ArrayBuffer(PARAMS_BYTES);
      new Uint32Array(params, 32, 2).set([n * this.set.frames, n * frame]);
      new Uint32Array(params, 0, 7).set([
        this.set.height,
        this.set.width,
        layout.tileW,
        layout.tileH,
        layout.cols,
        c.first,
        style.overlay ? 1 : 0,
      ]);
      new Float32Array(params, 28, 1)[0] = style.alpha;
      q.writeBuffer(c.params, 0, params);
      const pass = encoder.beginComputePass();
      pass.setPipeline(this.pipeline);
      pass.setBindGroup(0, c.group);
      pass.dispatchWorkgroups(Math.ceil(layout.tileW / 8), Math.ceil(layout.tileH / 8), c.count);
      pass.end();
    }
    q.submit([encoder.finish()]);
  }

  async read(k: number): Promise<TilePixels> {
    const { layout } = this;
    const [x, y] = layout.origin(k);
    const row = Math.ceil((layout.tileW * 4) / 256) * 256;
    const buf = this.device.createBuffer({ size: row * layout.tileH, usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ });
    const encoder = this.device.createCommandEncoder({ label: 'camanim:atlas read' });
    encoder.copyTextureToBuffer({ texture: this.gpuTexture, origin: [x, y] }, { buffer: buf, bytesPerRow: row }, [
      layout.tileW,
      layout.tileH,
    ]);
    this.device.queue.submit([encoder.finish()]);
    await buf.mapAsync(GPUMapMode.READ);
    const padded = new Uint8Array(buf.getMappedRange());
    const rgba = new Uint8Array(layout.tileW * layout.tileH * 4);
    for (let r = 0; r < layout.tileH; r++) rgba.set(padded.subarray(r * row, r * row + layout.tileW * 4), r * layout.tileW * 4);
    buf.destroy();
    return { width: layout.tileW, height: layout.tileH, rgba };
  }

  /** One pipeline per device, compiled once (SwiftShader compiles slowly). */
  private static readonly pipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

  private static pipelineFor(device: GPUDevice): GPUComputePipeline {
    let p = GpuAtlas.pipelines.get(device);
    if (!p) {
      const module = device.createShaderModule({ label: 'camanim:atlas', code: WGSL });
      p = device.createComputePipeline({ label: 'camanim:atlas', layout: 'auto', compute: { module, entryPoint: 'main' } });
      GpuAtlas.pipelines.set(device, p);
    }
    return p;
  }

  dispose(): void {
    this.buffers.forEach((b) => b.destroy());
    this.gpuTexture.destroy();
    this.texture.dispose();
  }

  private buffer(size: number, usage: number, label: string): GPUBuffer {
    const b = this.device.createBuffer({
      label: `camanim:atlas ${label}`,
      size: Math.ceil(size / 4) * 4,
      usage: usage | GPUBufferUsage.COPY_DST,
    });
    this.buffers.push(b);
    return b;
  }
}
