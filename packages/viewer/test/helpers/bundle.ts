/**
 * Writes result bundles through cam-methods' bundle module (the CLI's schema: a manifest typed
 * BundleManifest, maps packed by packMaps, input.png) from synthetic CAMs:
 * a blob per layer that wanders across the image, at layer resolution and bilinearly
 * upsampled (half-pixel centres, clamped) as cam-methods does. Also the broken variants the
 * viewer must refuse clearly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BUNDLE_VERSION,
  packMaps,
  type BundleCam,
  type BundleContract,
  type BundleManifest,
  type BundleMetric,
  type RoadScore,
  type YbRoad,
} from '@camanim/cam-methods';
import { encodePng } from './png.ts';

export interface SynthLayer {
  name: string;
  opType: string;
  shape: number[];
}

export interface SynthOptions {
  width: number;
  height: number;
  layers: SynthLayer[];
  ybroad?: { values: number[]; best: number } | null;
  /** One explanation per method (the first one gets the ybROAD); the blob moves per method. */
  methods?: string[];
  /** The score explained (manifest target.kind); null leaves the field out, as bundles from before it did. Default 'logit'. */
  targetKind?: 'logit' | 'softmax' | 'rest' | null;
  /** manifest target.caption: a task's wording of its target (the CLI writes one for detections, sequences, segments…). */
  targetCaption?: string;
  /** manifest.contract (the model's input/output contract). Default: the one the CLI writes for this input. */
  contract?: BundleContract;
  /** Per-layer metrics besides ROAD of the first explanation (cams[0].metrics). */
  metrics?: BundleMetric[];
  /**
   * A video bundle of this many input frames (layers shaped [1, C, T, h, w], image.frames):
   * every layer's map at frame t is one bright spot at videoSpot(t, k), and input frame t is
   * videoFrame(W, H, t).
   */
  frames?: number;
}

export interface WrittenBundle {
  dir: string;
  manifest: BundleManifest;
}

/** Layers with the stage structure of a small CNN at 96×96 (12 layers, 4 stages). */
export function smallNet(): SynthLayer[] {
  const out: SynthLayer[] = [];
  const stages: [number, number][] = [
    [16, 48],
    [32, 24],
    [64, 12],
    [128, 6],
  ];
  stages.forEach(([c, s], k) => {
    for (const op of ['Conv', 'Relu', 'Add'])
      out.push({ name: `/stages.${k}/block/${op.toLowerCase()}_output_0`, opType: op, shape: [1, c, s, s] });
  });
  return out;
}

/**
 * Layers of a small CNN at any H×W: 3 layers per stage at strides 2, 4, 8 and 16, then one
 * layer at 1×(W/16) (a recogniser's last stage collapses the height), so non-square inputs
 * get non-square maps. H and W multiples of 16.
 */
export function stridedNet(H: number, W: number): SynthLayer[] {
  const out: SynthLayer[] = [];
  [2, 4, 8, 16].forEach((s, k) => {
    for (const op of ['Conv', 'Relu', 'Add'])
      out.push({ name: `/stages.${k}/block/${op.toLowerCase()}_output_0`, opType: op, shape: [1, 16 << k, H / s, W / s] });
  });
  out.push({ name: '/neck/pool/AveragePool_output_0', opType: 'AveragePool', shape: [1, 256, 1, W / 16] });
  return out;
}

/**
 * `L` layers of a deep network at H×W (multiples of 16) with uneven stages: strides 2, 4, 8
 * and 16 holding 10%, 20%, 50% and 20% of the layers (at least one each), the last layer at
 * 1×(W/16); names as long as a real export's, so that labels must elide them.
 */
export function deepNet(H: number, W: number, L: number): SynthLayer[] {
  const shares = [0.1, 0.2, 0.5];
  const counts = shares.map((f) => Math.max(1, Math.round(f * L)));
  counts.push(Math.max(1, L - 1 - counts.reduce((a, b) => a + b, 0)));
  const ops = ['Conv', 'BatchNormalization', 'Relu', 'Add'];
  const out: SynthLayer[] = [];
  counts.forEach((n, s) => {
    for (let j = 0; j < n && out.length < L - 1; j++) {
      const op = ops[j % ops.length];
      out.push({
        name: `/model/backbone/stages.${s}/blocks.${Math.floor(j / 4)}/sublayer.${j % 4}/${op}_output_0`,
        opType: op,
        shape: [1, 16 * 2 ** s, H / 2 ** (s + 1), W / 2 ** (s + 1)],
      });
    }
  });
  out.push({ name: '/model/head/global_pool/AveragePool_output_0', opType: 'AveragePool', shape: [1, 256, 1, W / 16] });
  return out;
}

/** The contract the CLI records for a synthetic bundle: ImageNet preprocessing at H×W, logits out. */
export function defaultContract(H: number, W: number): BundleContract {
  const preset = 'preset imagenet (--preset)';
  return {
    input: {
      size: [H, W],
      layout: 'NCHW',
      channels: 3,
      order: 'RGB',
      scale: 1,
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
      resize: 'crop',
      cropFraction: 1,
      align: 'center',
      sources: {
        size: 'model graph',
        layout: 'model graph',
        order: preset,
        scale: preset,
        mean: preset,
        std: preset,
        resize: preset,
      },
    },
    output: {
      name: 'logits',
      shape: [1, 10],
      activation: 'none',
      explained: 'logits',
      classes: 10,
      task: 'classify',
      from: 'the only output',
    },
    summary: `${H}×${W} NCHW RGB · x/255, ImageNet mean/std · centre crop · logits [1, 10]`,
  };
}

/** ResNet-50's layer structure at 224×224: stem, 16 bottlenecks (3 convs + ReLUs + Add), ~170 maps. */
export function resnet50Net(): SynthLayer[] {
  const out: SynthLayer[] = [];
  const add = (name: string, opType: string, c: number, s: number) => out.push({ name, opType, shape: [1, c, s, s] });
  add('/conv1/Conv_output_0', 'Conv', 64, 112);
  add('/relu/Relu_output_0', 'Relu', 64, 112);
  add('/maxpool/MaxPool_output_0', 'MaxPool', 64, 56);
  const stages: [number, number, number][] = [
    [3, 256, 56],
    [4, 512, 28],
    [6, 1024, 14],
    [3, 2048, 7],
  ];
  stages.forEach(([blocks, c, s], k) => {
    for (let b = 0; b < blocks; b++) {
      const p = `/layer${k + 1}/layer${k + 1}.${b}`;
      add(`${p}/conv1/Conv_output_0`, 'Conv', c / 4, s);
      add(`${p}/relu/Relu_output_0`, 'Relu', c / 4, s);
      add(`${p}/conv2/Conv_output_0`, 'Conv', c / 4, s);
      add(`${p}/relu_1/Relu_output_0`, 'Relu', c / 4, s);
      add(`${p}/conv3/Conv_output_0`, 'Conv', c, s);
      if (b === 0) add(`${p}/downsample/downsample.0/Conv_output_0`, 'Conv', c, s);
      add(`${p}/Add_output_0`, 'Add', c, s);
      add(`${p}/relu_2/Relu_output_0`, 'Relu', c, s);
    }
  });
  return out;
}

function bilinear(src: Float32Array, h: number, w: number, H: number, W: number): Float32Array {
  const out = new Float32Array(H * W);
  for (let oy = 0; oy < H; oy++) {
    const fy = Math.min(Math.max((oy + 0.5) * (h / H) - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    for (let ox = 0; ox < W; ox++) {
      const fx = Math.min(Math.max((ox + 0.5) * (w / W) - 0.5, 0), w - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, w - 1);
      const top = src[y0 * w + x0] + (src[y0 * w + x1] - src[y0 * w + x0]) * (fx - x0);
      const bottom = src[y1 * w + x0] + (src[y1 * w + x1] - src[y1 * w + x0]) * (fx - x0);
      out[oy * W + ox] = Math.fround(top + (bottom - top) * (fy - y0));
    }
  }
  return out;
}

/** The input image: a colourful pattern with a bright disc where the CAMs end up. */
export function inputImage(W: number, H: number): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const d = Math.hypot(x - W * 0.62, y - H * 0.4) / W;
      rgb[o] = d < 0.16 ? 240 : 40 + ((x * 3) % 120);
      rgb[o + 1] = d < 0.16 ? 200 : 60 + ((y * 5) % 100);
      rgb[o + 2] = d < 0.16 ? 60 : 110 + (((x + y) * 2) % 90);
    }
  }
  return rgb;
}

export function writeBundle(dir: string, opts: SynthOptions): WrittenBundle {
  mkdirSync(dir, { recursive: true });
  const { width: W, height: H } = opts;
  const L = opts.layers.length;
  const methods = opts.methods ?? ['gradcam'];
  const yb = opts.ybroad === null ? undefined : (opts.ybroad ?? defaultYbroad(L));
  const kind = opts.targetKind === undefined ? 'logit' : opts.targetKind;
  const target = {
    class: 8,
    label: 'Bag',
    kind: kind ?? 'logit',
    ...(opts.targetCaption ? { caption: opts.targetCaption } : {}),
  };
  const contract = opts.contract ?? defaultContract(H, W);
  const cams = methods.map((method, m): BundleCam => {
    const raws: Float32Array[] = [];
    const ups: Float32Array[] = [];
    opts.layers.forEach((l, k) => {
      const [h, w] = l.shape.slice(-2);
      if (opts.frames) {
        const maps = Array.from({ length: opts.frames }, (_, t) => videoMap(h, w, videoSpot(t, k, opts.frames!, L)));
        raws.push(concat(maps));
        ups.push(concat(maps.map((m) => bilinear(m, h, w, H, W))));
        return;
      }
      const t = L > 1 ? k / (L - 1) : 0;
      // The blob starts spread out at the top left and sharpens onto the disc; a negative dip
      // keeps ReLU and min/max honest.
      const cx = 0.2 + 0.42 * t - 0.1 * m;
      const cy = 0.25 + 0.15 * t + 0.2 * m;
      const sigma = 0.35 - 0.22 * t;
      const amp = 0.5 + 2 * t;
      const raw = new Float32Array(h * w);
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const u = (x + 0.5) / w;
          const v = (y + 0.5) / h;
          raw[y * w + x] = Math.fround(
            amp * Math.exp(-((u - cx) ** 2 + (v - cy) ** 2) / (2 * sigma * sigma)) -
              0.3 * Math.exp(-((u - 0.85) ** 2 + (v - 0.85) ** 2) / 0.02),
          );
        }
      }
      raws.push(raw);
      ups.push(bilinear(raw, h, w, H, W));
    });
    const raw = packMaps(raws);
    const up = packMaps(ups);
    const files = { layer: `${method}.layer.bin`, input: `${method}.input.bin` };
    writeFileSync(join(dir, files.layer), raw.bytes);
    writeFileSync(join(dir, files.input), up.bytes);
    const layers = opts.layers.map((l, k) => {
      let min = Infinity;
      let max = -Infinity;
      for (const v of raws[k]) {
        min = Math.min(min, v);
        max = Math.max(max, v);
      }
      return {
        index: k,
        modelIndex: k * 2,
        name: l.name,
        opType: l.opType,
        shape: l.shape,
        mapShape: l.shape.slice(-2) as [number, number],
        ...(opts.frames ? { frames: opts.frames } : {}),
        min,
        max,
        layer: raw.ranges[k],
        input: up.ranges[k],
      };
    });
    const ybroad = yb && m === 0 ? ybroadOf(yb, opts.layers) : undefined;
    const metrics = opts.metrics && m === 0 ? { metrics: opts.metrics } : {};
    return {
      method,
      title: TITLES[method] ?? method,
      target,
      score: 7.25,
      probability: 0.91,
      files,
      layers,
      ...(ybroad ? { ybroad } : {}),
      ...metrics,
    };
  });
  writeFileSync(join(dir, 'input.png'), encodePng(opts.frames ? videoFrame(W, H, 0) : inputImage(W, H), W, H));
  const frameFiles = Array.from({ length: opts.frames ?? 0 }, (_, t) => `input-${t}.png`);
  frameFiles.forEach((f, t) => writeFileSync(join(dir, f), encodePng(videoFrame(W, H, t), W, H)));
  const inputShape = opts.frames ? [1, 3, opts.frames, H, W] : [1, 3, H, W];
  const cam = cams[0];
  const manifest: BundleManifest = {
    version: BUNDLE_VERSION,
    generator: 'viewer test',
    created: new Date(0).toISOString(),
    model: {
      file: 'synthetic.onnx',
      path: '/synthetic.onnx',
      input: { name: 'input', shape: inputShape },
      output: { name: 'logits', shape: [1, 10] },
      classes: 10,
    },
    image: {
      source: 'synthetic.png',
      file: 'input.png',
      width: W,
      height: H,
      original: { width: W, height: H },
      ...(opts.frames ? { frames: frameFiles } : {}),
    },
    inputShape,
    prediction: [
      { class: 8, label: 'Bag', logit: 7.25, probability: 0.91 },
      { class: 0, label: 'T-shirt/top', logit: 4.1, probability: 0.05 },
      { class: 3, label: 'Dress', logit: 3.2, probability: 0.02 },
      { class: 7, label: 'Sneaker', logit: 2.9, probability: 0.01 },
      { class: 1, label: 'Trouser', logit: 1.2, probability: 0.01 },
    ],
    normalization: 'global',
    colormap: 'jet',
    endianness: 'little',
    dtype: 'float32',
    method: cam.method,
    methods,
    target,
    score: cam.score,
    files: cam.files,
    layers: cam.layers,
    cams,
    ...(cam.ybroad ? { ybroad: cam.ybroad } : {}),
    contract: opts.frames
      ? { ...contract, input: { ...contract.input, frames: { count: opts.frames, from: 'model graph' } } }
      : contract,
  };
  // Bundles from before target.kind: the field left out of every target.
  const json = JSON.stringify(manifest, (key, value) => (kind === null && key === 'kind' ? undefined : value), 2);
  writeFileSync(join(dir, 'manifest.json'), `${json}\n`);
  return { dir, manifest };
}

/** Layers of a small 3-D CNN on a T-frame clip at H×W (multiples of 8): two stages, [1, C, T, h, w]. */
export function videoNet(H: number, W: number, T: number): SynthLayer[] {
  return [2, 2, 4, 4].map((s, k) => ({
    name: `/video/stages.${k >> 1}/conv${k & 1}/Relu_output_0`,
    opType: 'Relu',
    shape: [1, 16 << (k >> 1), T, H / s, W / s],
  }));
}

/** Where a video bundle's spot is at input frame t of layer k of L ([0, 1] of the width and height): it moves left to right through the clip. */
export function videoSpot(t: number, k: number, T: number, L: number): { x: number; y: number; amp: number } {
  return { x: 0.15 + (0.7 * t) / Math.max(1, T - 1), y: 0.35 + (0.3 * k) / Math.max(1, L - 1), amp: 1 + k / L };
}

/** One spot (σ = 0.08 of the side) on zero at h×w. */
function videoMap(h: number, w: number, spot: { x: number; y: number; amp: number }): Float32Array {
  const m = new Float32Array(h * w);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      m[y * w + x] = Math.fround(
        spot.amp * Math.exp(-(((x + 0.5) / w - spot.x) ** 2 + ((y + 0.5) / h - spot.y) ** 2) / (2 * 0.08 ** 2)),
      );
  return m;
}

/** Input frame t of a video bundle: a gradient whose red rises with t and a white bar at rows 2t, 2t + 1 (above every spot). */
export function videoFrame(W: number, H: number, t: number): Uint8Array {
  const rgb = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const o = (y * W + x) * 3;
      const bar = y >= 2 * t && y < 2 * t + 2;
      rgb[o] = bar ? 255 : 20 + 25 * t;
      rgb[o + 1] = bar ? 255 : 40 + ((y * 3) % 100);
      rgb[o + 2] = bar ? 255 : 90;
    }
  }
  return rgb;
}

function concat(maps: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(maps.reduce((n, m) => n + m.length, 0));
  let at = 0;
  for (const m of maps) {
    out.set(m, at);
    at += m.length;
  }
  return out;
}

const TITLES: Record<string, string> = { gradcam: 'Grad-CAM', hirescam: 'HiResCAM', layercam: 'LayerCAM' };

/**
 * ybROAD as cam-methods' ybroad returns it, with the chosen ROAD per layer: at each percentile
 * MoRF falls with p and LeRF = MoRF + 2·combined, combined(p) = road/4 (the sum over 4 p).
 */
function ybroadOf(yb: { values: number[]; best: number }, layers: readonly SynthLayer[]): YbRoad {
  const percentiles = [20, 40, 60, 80];
  const series = yb.values.map((road): RoadScore => {
    const combined = percentiles.map(() => road / percentiles.length);
    const morf = percentiles.map((p) => -0.5 * (p / 100) - road / 8);
    return {
      percentiles,
      morf,
      lerf: morf.map((v, j) => v + 2 * combined[j]),
      combined,
      road,
      removed: { morf: percentiles.map((p) => 1 - p / 100), lerf: percentiles.map((p) => 1 - p / 100) },
    };
  });
  const mean = yb.values.reduce((a, b) => a + b, 0) / yb.values.length;
  const settings = {
    ties: 'threshold',
    percent: 'kept',
    combine: 'sum',
    percentiles,
    noise: 0,
    seed: 0,
    target: { class: 8 },
  } as const;
  return { series, max: { layer: yb.best, name: layers[yb.best].name, value: yb.values[yb.best] }, mean, settings };
}

/** A hump-shaped ROAD series peaking two thirds of the way in. */
function defaultYbroad(L: number): { values: number[]; best: number } {
  const best = Math.round((L - 1) * 0.66);
  const values = Array.from(
    { length: L },
    (_, k) => 0.05 + 0.3 * Math.exp(-(((k - best) / Math.max(1, L / 5)) ** 2)) + 0.01 * Math.sin(k),
  );
  values[best] += 0.05;
  return { values, best };
}
