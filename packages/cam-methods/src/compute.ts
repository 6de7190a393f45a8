/**
 * The shared CAM runner: one forward (given), at most one backward for all layers, then every
 * layer's CAM on the GPU — per-channel weights, weighted or element-wise channel sums, and
 * bilinear upsampling to the input size — recorded into one pass and read back once.
 * Custom methods (extra forwards, host PCA) supply weights or maps per layer.
 */
import {
  channelReduceKernel,
  elementSumKernel,
  elementTermsKernel,
  tokenGridKernel,
  weightedSumKernel,
  weightedTermsKernel,
  type KernelSpec,
} from '@camanim/shaders';
import { CamanimError, seedGradient, type Dispatch, type Gradients, type GpuTensor, type Run, type Target } from '@camanim/core';
import { augmentedCams } from './augment.ts';
import { layersFor, type LayerSelection } from './layers.ts';
import { projectEach } from './linalg.ts';
import type { CamContext, CamMethod, CamStack, LayerConcepts, LayerInfo } from './method.ts';
import { defaultCamRegistry } from './methods/index.ts';
import { checkVolumeInput, checkVolumeMethod, flatShape, inputGrid, positions, upsampleDispatches } from './volumes.ts';
import type { CamRegistry } from './registry.ts';

export interface CamOptions {
  readonly method: string | CamMethod;
  readonly target: Target | readonly Target[];
  /**
   * Which layers: a selection, plain ONNX tensor names (as pytorch-grad-cam's target_layers), or
   * LayerInfo from selectLayers.
   */
  readonly layers?: LayerSelection | readonly string[] | readonly LayerInfo[];
  readonly seed?: number;
  readonly registry?: CamRegistry;
  readonly options?: Readonly<Record<string, unknown>>;
  /**
   * pytorch-grad-cam's eigen_smooth: each layer's CAM is the first-principal-component
   * projection of its per-channel terms (w_c·A_c, or the element terms f(a, g)) instead of their
   * sum over channels. For methods that weigh channels or elements.
   */
  readonly eigenSmooth?: boolean;
  /** pytorch-grad-cam's aug_smooth: the mean over flip × brightness augmentations (augment.ts). */
  readonly augSmooth?: boolean;
  /** Called after each layer of a custom method (the long ones). */
  readonly onProgress?: (done: number, total: number, layer: LayerInfo) => void;
}

export async function computeCams(run: Run, opts: CamOptions): Promise<CamStack> {
  const method = typeof opts.method === 'string' ? (opts.registry ?? defaultCamRegistry).get(opts.method) : opts.method;
  const derive = method.derive;
  if (derive) {
    const stack = await computeCams(run, {
      ...opts,
      method: derive.base,
      target: derive.target?.(opts.target, opts.options ?? {}) ?? opts.target,
    });
    return { ...(derive.finish?.(stack, opts.options ?? {}) ?? stack), method: method.id };
  }
  if (opts.eigenSmooth && !eigenSmoothable(method)) throw notEigenSmoothable(method);
  const model = run.model;
  const inputName = model.imageInput().name;
  const inputShape = run.shape(inputName);
  checkVolumeInput(inputShape, opts.augSmooth);
  if (opts.augSmooth) return augmentedCams(run, opts, computeCams);
  const rt = model.runtime;
  const n = inputShape[0];
  const grid = inputGrid(inputShape);
  // Upsampled elements per item: the input's frames × H × W.
  const upSize = grid[0] * grid[1] * grid[2];
  const layers = layersOf(model, opts.layers, method).map((l) => withBatch(l, n));
  let grads: Gradients | undefined;
  const temps: GpuTensor[] = [];
  try {
    let scores: number[];
    if (method.needs.gradients) {
      grads = await run.backward(opts.target, {
        layers: layers.map((l) => l.name),
        mode: method.needs.guided ? 'guided' : 'standard',
      });
      scores = [...grads.scores];
    } else {
      const out = await run.read(model.graph.outputs[0].name);
      scores = seedGradient(opts.target, out.data, out.shape, model.graph.outputs[0].name).scores;
    }
    const sizes = layers.map((l) => l.shape[0] * positions(l));
    const channels = layers.map((l) => l.shape[0] * l.shape[1]);
    // Each layer's slice of the three shared buffers starts on a binding boundary (its
    // kernels bind it at that offset).
    const align = rt.bindingAlignment / 4;
    const [rawOffsets, rawSize] = offsets(sizes, align);
    const [weightOffsets, weightSize] = offsets(channels, align);
    const [upOffsets, upTotal] = offsets(
      layers.map(() => n * upSize),
      align,
    );
    const raw = rt.createTensor([rawSize], 'cam:raw');
    const up = rt.createTensor([upTotal], 'cam:upsampled');
    const weights = rt.createTensor([weightSize], 'cam:weights');
    temps.push(raw, up, weights);
    const dispatches: Dispatch[] = [];
    const hasWeights = new Set<number>();
    const concepts = new Map<number, LayerConcepts>();
    for (const [k, layer] of layers.entries()) {
      const [ln, c, h, w] = layer.shape;
      const d = { n: ln, c, hw: positions(layer) };
      // Token layers are laid on their patch grid first (tokens.ts); every other layer is read in place.
      const asMap = (t: GpuTensor): GpuTensor => {
        if (!layer.tokens) return t;
        const grid = rt.createTensor([ln * c * h * w], 'cam:token-grid');
        temps.push(grid);
        dispatches.push({
          kernel: tokenGridKernel(ln, layer.tokens.count, c, layer.tokens.prefix, h, w),
          buffers: [t.buffer, grid.buffer],
        });
        return grid;
      };
      const a = asMap(run.tensor(layer.name));
      const g = grads ? asMap(grads.tensor(layer.name)) : a;
      // The channel sum, or with eigen smoothing the terms' first-component projection.
      // The second binding: the gradient, or the layer's slice of the weights.
      const combine = async (sumKernel: KernelSpec, termsKernel: KernelSpec, second: GpuTensor, secondOffset = 0) => {
        if (!opts.eigenSmooth)
          return void dispatches.push({
            kernel: sumKernel,
            buffers: [a.buffer, second.buffer, raw.buffer],
            offsets: [0, secondOffset * 4, rawOffsets[k] * 4],
          });
        const terms = rt.createTensor([ln * c * positions(layer)], 'cam:terms');
        try {
          await rt.run(
            [
              ...dispatches.splice(0),
              { kernel: termsKernel, buffers: [a.buffer, second.buffer, terms.buffer], offsets: [0, secondOffset * 4, 0] },
            ],
            `cam:${method.id}`,
          );
          rt.writeBuffer(raw.buffer, projectEach((await rt.read(terms, 'cam:terms')).data, flatShape(layer)), rawOffsets[k] * 4);
        } finally {
          rt.release(terms);
        }
      };
      const weighted = () => combine(weightedSumKernel(d), weightedTermsKernel(d), weights, weightOffsets[k]);
      if (method.kind === 'channel') {
        const sums = (method.sums ?? []).map((s) => {
          const t = rt.createTensor([ln * c], 'cam:sum');
          temps.push(t);
          return { spec: s, t };
        });
        sums.forEach(({ spec, t }, j) =>
          dispatches.push({
            kernel: channelReduceKernel(d, spec.expr, spec.reduce, j),
            buffers: [a.buffer, g.buffer, ...sums.slice(0, j).map((x) => x.t.buffer), t.buffer],
          }),
        );
        dispatches.push({
          kernel: channelReduceKernel(d, method.weights.expr, method.weights.reduce, sums.length),
          buffers: [a.buffer, g.buffer, ...sums.map((x) => x.t.buffer), weights.buffer],
          offsets: [0, 0, ...sums.map(() => 0), weightOffsets[k] * 4],
        });
        await weighted();
        hasWeights.add(k);
      } else if (method.kind === 'element') {
        await combine(elementSumKernel(d, method.element), elementTermsKernel(d, method.element), g);
      } else {
        if (layer.tokens)
          throw new CamanimError(
            'bad-input',
            `CAM method '${method.id}' computes its maps from the layer itself (extra forwards or its own terms), which token layers do not support yet`,
            { layer: layer.name },
            'Use a gradient method (gradcam, hirescam, gradcam++, xgradcam, layercam, …) for transformer layers, or select only 4-D layers (--layers with a filter)',
          );
        checkVolumeMethod(layer, method.id);
        const result = await method.compute(
          contextFor(run, layer, layers, a, grads?.tensor(layer.name), opts, scores, inputName),
        );
        if ('weights' in result) {
          checkLength(result.weights, ln * c, method.id, layer, 'weights');
          rt.writeBuffer(weights.buffer, result.weights, weightOffsets[k] * 4);
          await weighted();
          hasWeights.add(k);
        } else {
          if (opts.eigenSmooth) throw notEigenSmoothable(method, layer.name);
          checkLength(result.map, sizes[k], method.id, layer, 'map');
          rt.writeBuffer(raw.buffer, result.map, rawOffsets[k] * 4);
          if (result.concepts) concepts.set(k, result.concepts);
        }
        opts.onProgress?.(k + 1, layers.length, layer);
      }
      dispatches.push(...upsampleDispatches(rt, layer, grid, raw, rawOffsets[k], up, upOffsets[k], temps));
    }
    await rt.run(dispatches, `cam:${method.id}`);
    const [rawHost, upHost, weightHost] = await Promise.all([
      rt.read(raw, 'cam:raw'),
      rt.read(up, 'cam:upsampled'),
      rt.read(weights, 'cam:weights'),
    ]);
    return {
      method: method.id,
      target: opts.target,
      scores,
      inputShape,
      layers: layers.map((l, k) => ({
        ...l,
        raw: rawHost.data.slice(rawOffsets[k], rawOffsets[k] + sizes[k]),
        upsampled: upHost.data.slice(upOffsets[k], upOffsets[k] + n * upSize),
        weights: hasWeights.has(k) ? weightHost.data.slice(weightOffsets[k], weightOffsets[k] + channels[k]) : undefined,
        ...(concepts.has(k) ? { concepts: concepts.get(k) } : {}),
      })),
    };
  } finally {
    temps.forEach((t) => rt.release(t));
    grads?.dispose();
  }
}

/** Whether eigen smoothing applies: methods that weigh channels or elements, not those that return their own map. */
export function eigenSmoothable(method: CamMethod): boolean {
  return method.kind !== 'custom' || method.returns !== 'map';
}

function notEigenSmoothable(method: CamMethod, layer?: string): CamanimError {
  return new CamanimError(
    'bad-input',
    `Eigen smoothing does not apply to CAM method '${method.id}': it computes each layer's map itself, not a sum over channels`,
    layer ? { layer } : {},
    'Drop eigenSmooth (--eigen-smooth) for this method, or use a method that weighs channels or elements',
  );
}

function layersOf(model: Run['model'], sel: CamOptions['layers'], method: CamMethod): LayerInfo[] {
  if (!Array.isArray(sel)) return layersFor(model, method, sel as LayerSelection | undefined);
  const list = sel as readonly (string | LayerInfo)[];
  if (list.every((l) => typeof l === 'string')) return layersFor(model, method, { names: list as string[] });
  if (list.every((l) => typeof l === 'object' && l !== null && typeof l.name === 'string' && Array.isArray(l.shape)))
    return [...(list as LayerInfo[])];
  throw new CamanimError(
    'bad-input',
    'computeCams: layers mixes names and other values',
    { file: model.source },
    "Give layer names (['/layer4/layer4.1/relu_1/Relu_output_0', …]), selectLayers' LayerInfo, or a selection such as { kinds: 'spatial' }",
  );
}

function withBatch(l: LayerInfo, n: number): LayerInfo {
  return { ...l, shape: [n, l.shape[1], l.shape[2], l.shape[3]] };
}

/** Where each of `sizes` starts when laid end to end, each start a multiple of `align`; and the total. */
function offsets(sizes: readonly number[], align: number): [number[], number] {
  const out: number[] = [];
  let acc = 0;
  for (const s of sizes) {
    out.push(acc);
    acc += Math.ceil(s / align) * align;
  }
  return [out, Math.max(acc, 1)];
}

function checkLength(x: Float32Array, want: number, method: string, layer: LayerInfo, what: string): void {
  if (x.length !== want)
    throw new CamanimError(
      'bad-input',
      `CAM method '${method}' returned ${x.length} ${what} values, expected ${want}`,
      { layer: layer.name },
      'Fix the plugin',
    );
}

function contextFor(
  run: Run,
  layer: LayerInfo,
  layers: readonly LayerInfo[],
  activation: GpuTensor,
  gradient: GpuTensor | undefined,
  opts: CamOptions,
  scores: number[],
  inputName: string,
): CamContext {
  const model = run.model;
  const output = model.graph.outputs[0].name;
  const targetFor = (item: number): Target =>
    Array.isArray(opts.target) ? (opts.target as Target[])[item] : (opts.target as Target);
  const scoreOf = async (r: Run, count: number, item: number) => {
    const out = await r.read(output);
    r.dispose();
    return seedGradient(
      Array.from({ length: count }, () => targetFor(item)),
      out.data,
      out.shape,
      output,
    ).scores;
  };
  const layerShape = run.shape(layer.name);
  return {
    run,
    layer,
    layers,
    activation,
    gradient,
    target: opts.target,
    scores,
    inputName,
    seed: opts.seed ?? 0,
    options: opts.options ?? {},
    scoreLayerVariants: async (variants, count, item) =>
      scoreOf(
        await run.runFrom({ [layer.name]: { data: variants, shape: [count, ...layerShape.slice(1)] } }, { retain: 'outputs' }),
        count,
        item,
      ),
    scoreInputs: async (inputs, count, item) =>
      scoreOf(
        await model.run({ data: inputs, shape: [count, ...run.shape(inputName).slice(1)] }, { retain: 'outputs' }),
        count,
        item,
      ),
    readActivation: async () => (await model.runtime.read(activation, layer.name)).data,
    readGradient: async () => {
      if (!gradient)
        throw new CamanimError(
          'bad-input',
          'This CAM method did not declare needs.gradients',
          { layer: layer.name },
          'Add needs: { gradients: true } to the plugin',
        );
      return (await model.runtime.read(gradient, layer.name)).data;
    },
  };
}
