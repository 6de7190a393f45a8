/**
 * CAMs computed in the page: @camanim/core loads the ONNX model and runs it on the page's
 * GPUDevice (the one three.js renders with), @camanim/cam-methods computes every layer's CAM
 * and, on request, ybROAD. Nothing leaves the page.
 */
import {
  computeCams,
  defaultCamRegistry,
  eigenSmoothable,
  layersFor,
  listCamMethods,
  smoothingSuffix,
  ybroad,
  type LayerSelection,
  type TargetKind,
} from '@camanim/cam-methods';
import {
  CamanimError,
  classProbabilities,
  contractModel,
  describeContract,
  imageInputOf,
  loadGraph,
  modelFromGraph,
  resolveInputContract,
  symbolicSize,
  type ContractSource,
  type Device,
  type Graph,
  type Model,
  type Run,
  type Sidecar,
} from '@camanim/core';
import { CamSet, ybroadView, type Prediction } from './CamSet.ts';
import { preprocessInPage } from './Preprocessor.ts';
import type { RgbImage } from './RgbImage.ts';

export interface ExplainRequest {
  readonly method: string;
  /** Class index; default the predicted one. */
  readonly class?: number;
  /** The score explained; default the logit. */
  readonly kind?: TargetKind;
  readonly layers?: LayerSelection;
  /** pytorch-grad-cam's eigen_smooth and aug_smooth (computeCams' options). */
  readonly eigenSmooth?: boolean;
  readonly augSmooth?: boolean;
}

export type Progress = (stage: string, done?: number, total?: number) => void;

export class BrowserCompute {
  private graph?: Graph;
  /** The model under the contract of the last image (a symbolic-size model: that image's size). */
  private model?: Model;
  private contractKey = '';
  private name = 'model.onnx';
  private sidecar?: Sidecar;
  /** The page's preprocessing menu: a preset, as `camanim --preset`. */
  private preset?: string;
  private run?: Run;
  private crop?: RgbImage;
  private logits?: Float32Array;
  private lastStack?: { set: CamSet; stack: Awaited<ReturnType<typeof computeCams>> };

  constructor(readonly device: Device) {}

  /** `eigenSmoothable`: false for methods that compute each map themselves (computeCams refuses eigenSmooth). */
  static methods(): { id: string; title: string; eigenSmoothable: boolean }[] {
    return listCamMethods().map((m) => ({ id: m.id, title: m.title, eigenSmoothable: eigenSmoothable(m) }));
  }

  get loaded(): boolean {
    return this.graph !== undefined;
  }

  get modelName(): string {
    return this.name;
  }

  /**
   * Loads and checks a model: bad files, unsupported ops and, where the input size is fixed, the
   * whole contract fail here, with their names. `sidecar`: its JSON; `preset`: the page's menu.
   */
  async load(bytes: Uint8Array, name: string, sidecar?: Sidecar, preset?: string): Promise<void> {
    this.dispose();
    const graph = await loadGraph(bytes, { name });
    imageInputOf(graph);
    (await modelFromGraph(graph, { device: this.device })).dispose(); // every op supported, or a clear error
    this.graph = graph;
    this.name = name;
    this.sidecar = sidecar;
    this.preset = preset;
    if (this.sizeKnown()) await this.modelFor(undefined);
  }

  /** A new preset from the page's menu: the contract is read again (and the image run again by the caller). */
  async setPreset(preset: string | undefined): Promise<void> {
    this.preset = preset;
    this.reset();
    if (this.graph && this.sizeKnown()) await this.modelFor(undefined);
  }

  /** One forward on the image; returns the top classes. The run is kept for explain(). */
  async predict(image: RgbImage, k = 5): Promise<Prediction[]> {
    this.reset();
    const model = await this.modelFor(image);
    const c = model.contract!;
    const { crop, data } = preprocessInPage(image, c.input);
    this.run = await model.run({ data, shape: [1, c.input.channels, ...c.input.size] });
    const read = await this.run.read(model.graph.outputs[0].name);
    this.logits = read.data.slice(0, c.output.classes);
    this.crop = crop;
    return this.top(k);
  }

  /** The contract the last image ran under, with its summary (shown beside the frames). */
  get contract() {
    const c = this.model?.contract;
    return c && { ...c, summary: describeContract(c) };
  }

  top(k = 5): Prediction[] {
    const logits = this.logits;
    if (!logits) return [];
    const p = classProbabilities(logits, this.model?.contract?.output.activation ?? 'none');
    const order = [...logits.keys()].sort((a, b) => logits[b] - logits[a] || a - b).slice(0, Math.min(k, logits.length));
    return order.map((c) => ({ class: c, label: this.label(c, logits.length), probability: p[c], logit: logits[c] }));
  }

  async explain(req: ExplainRequest, progress: Progress = () => {}): Promise<CamSet> {
    const model = this.need();
    const run = this.run;
    if (!run || !this.logits || !this.crop)
      throw new CamanimError('bad-input', 'No image has been run yet', {}, 'Pick an image first');
    const method = defaultCamRegistry.get(req.method);
    const cls = req.class ?? this.top(1)[0].class;
    if (!Number.isInteger(cls) || cls < 0 || cls >= this.logits.length) {
      throw new CamanimError(
        'bad-target',
        `Class ${cls} is out of range: the model has ${this.logits.length} classes`,
        { file: this.name },
        'Pick one of the listed classes',
      );
    }
    const layers = layersFor(model, method, req.layers);
    progress(`${method.title}: ${layers.length} layers`, 0, layers.length);
    const kind = req.kind ?? 'logit';
    const stack = await computeCams(run, {
      method,
      target: { class: cls, kind },
      eigenSmooth: req.eigenSmooth,
      augSmooth: req.augSmooth,
      layers,
      onProgress: (done, total) => progress(`${method.title}: layer ${done}/${total}`, done, total),
    });
    const shapes = new Map(model.layers.map((l) => [l.name, l.shape]));
    const [, , H, W] = stack.inputShape;
    const p = classProbabilities(this.logits, model.contract!.output.activation);
    const set = new CamSet(
      {
        source: 'computed in the page',
        model: this.name,
        method: method.title + smoothingSuffix(req),
        alternatives: [],
        target: { class: cls, label: this.label(cls, this.logits.length), kind },
        score: stack.scores[0],
        probability: p[cls],
        ybroadNote: 'ybROAD not computed yet: press "Score layers (ybROAD)"',
        contract: this.contract,
      },
      stack.layers.map((l, k) => {
        const [, , h, w] = l.shape;
        return {
          index: k,
          name: l.name,
          opType: l.opType,
          shape: shapes.get(l.name) ?? l.shape,
          mapShape: [h, w] as const,
          raw: l.raw.slice(0, h * w),
          upsampled: l.upsampled.slice(0, H * W),
        };
      }),
      this.crop,
      this.top(5),
    );
    this.lastStack = { set, stack };
    return set;
  }

  /** ROAD for every layer of the last explanation (the CAManim paper's ybROAD). */
  async scoreYbroad(progress: Progress = () => {}): Promise<CamSet> {
    const last = this.lastStack;
    if (!last || !this.run) throw new CamanimError('bad-input', 'Nothing explained yet', {}, 'Explain first');
    const yb = await ybroad(this.run, last.stack, {
      onProgress: (done, total) => progress(`ybROAD ${done}/${total}`, done, total),
    });
    const view = ybroadView(yb);
    const s = last.set;
    const set = new CamSet({ ...s.info, ybroadNote: undefined }, s.layers, s.image, s.prediction, view);
    this.lastStack = { set, stack: last.stack };
    return set;
  }

  dispose(): void {
    this.reset();
    this.model?.dispose();
    this.model = undefined;
    this.graph = undefined;
    this.contractKey = '';
  }

  private sources(): ContractSource[] {
    return [
      ...(this.preset ? [{ from: "the page's preprocessing menu", request: { preset: this.preset } }] : []),
      ...(this.sidecar ? [{ from: `model JSON ${this.sidecar.file}`, request: this.sidecar.input }] : []),
    ];
  }

  /** A fixed-size model's contract needs no image: a wrong one is refused at load, not at the first image. */
  private sizeKnown(): boolean {
    return !symbolicSize(this.graph!) || this.sidecar?.input.size !== undefined;
  }

  /** The model under the contract for `image` (the same model while the contract stays the same). */
  private async modelFor(image: RgbImage | undefined): Promise<Model> {
    if (!this.graph) throw new CamanimError('bad-input', 'No model loaded', {}, 'Drop an .onnx model or pick the bundled one');
    const input = resolveInputContract(this.graph, this.sources(), { image });
    const key = JSON.stringify(input);
    if (this.model && key === this.contractKey) return this.model;
    const output =
      this.sidecar?.output !== undefined ? { output: this.sidecar.output, from: `model JSON ${this.sidecar.file}` } : {};
    const model = await contractModel(this.graph, input, output, { device: this.device });
    this.model?.dispose();
    this.model = model;
    this.contractKey = key;
    return model;
  }

  private label(c: number, classes: number): string {
    const names = this.sidecar?.labels;
    return names && names.length === classes && names[c] ? names[c] : `class ${c}`;
  }

  private reset(): void {
    this.run?.dispose();
    this.run = undefined;
    this.logits = undefined;
    this.crop = undefined;
    this.lastStack = undefined;
  }

  private need(): Model {
    if (!this.model) throw new CamanimError('bad-input', 'No model loaded', {}, 'Drop an .onnx model or pick the bundled one');
    return this.model;
  }
}
