/**
 * In-browser compute: an ONNX model (dropped, picked, or the bundled fashion-canvas model) and
 * an image (dropped, picked, or one of the bundled samples) → top-5 classes with labels and
 * scores → method, target class and score (logit, softmax, ReST), smoothing, and layers → CAMs
 * for every layer, with progress. Everything
 * runs in the page (BrowserCompute); nothing is uploaded.
 */
import { TARGET_KINDS, targetKindName, type TargetKind } from '@camanim/cam-methods';
import { PRESET_NAMES, parseSidecar, type Sidecar } from '@camanim/core';
import { BrowserCompute } from './BrowserCompute.ts';
import type { CamSet, Prediction } from './CamSet.ts';
import type { ComputeFiles } from './DropZone.ts';
import { RgbImage } from './RgbImage.ts';
import { ViewerError } from './ViewerError.ts';

/** dist/default/index.json, written by the build from packages/cli/assets. */
export interface DefaultAssets {
  readonly model: string | null;
  readonly meta: string | null;
  readonly samples: readonly string[];
}

export interface ComputeHooks {
  busy(stage: string, done?: number, total?: number): void;
  result(set: CamSet): void;
  error(e: unknown): void;
}

export interface ComputeRequest {
  /** 'default', a URL, or bytes. */
  readonly model?: string | { bytes: Uint8Array; name: string };
  /** 'sample:<k>', a URL, or a blob. */
  readonly image?: string | { blob: Blob; name: string };
  readonly meta?: string;
  /** Preprocessing preset (camanim --preset), for a model whose JSON and metadata say nothing. */
  readonly preset?: string;
  readonly method?: string;
  readonly class?: number;
  /** The score explained (camanim explain --target). */
  readonly kind?: TargetKind;
  /** pytorch-grad-cam's eigen_smooth / aug_smooth (--eigen-smooth, --aug-smooth). */
  readonly eigenSmooth?: boolean;
  readonly augSmooth?: boolean;
  readonly layers?: 'spatial' | 'all';
  readonly filter?: string;
  /** Keep the layers at these percentiles of depth (as camanim explain --percentiles). */
  readonly percentiles?: readonly number[];
  readonly ybroad?: boolean;
}

export class ComputePanel {
  private compute?: BrowserCompute;
  private assets: DefaultAssets = { model: null, meta: null, samples: [] };
  private image?: RgbImage;
  private imageName = '';
  private readonly q: <T extends HTMLElement>(role: string) => T;

  constructor(
    readonly root: HTMLElement,
    private readonly hooks: ComputeHooks,
  ) {
    root.innerHTML = `
      <h2>Compute in the page</h2>
      <p class="note" data-role="gpu-note"></p>
      <div class="row"><span class="key">model</span><span data-role="model-name" class="value">none</span></div>
      <div class="row"><span class="key">preset</span><select data-role="preset" aria-label="Preprocessing preset"></select></div>
      <div class="row"><label class="pick">ONNX…<input data-role="model-file" type="file" accept=".onnx,.json" multiple hidden></label>
        <button data-role="default-model" hidden>bundled fashion-canvas</button></div>
      <div class="row"><span class="key">image</span><span data-role="image-name" class="value">none</span></div>
      <div class="row"><label class="pick">image…<input data-role="image-file" type="file" accept="image/*" hidden></label>
        <select data-role="samples" hidden aria-label="Bundled sample images"></select></div>
      <ol data-role="top" class="top"></ol>
      <div class="row"><span class="key">method</span><select data-role="method"></select></div>
      <div class="row"><span class="key">target</span><select data-role="kind" aria-label="Score explained"></select>
        <label><input data-role="eigen-smooth" type="checkbox"> eigen-smooth</label><label><input data-role="aug-smooth" type="checkbox"> aug-smooth</label></div>
      <p class="note" data-role="eigen-note" hidden></p>
      <div class="row"><span class="key">layers</span><select data-role="layers"><option value="spatial">spatial (4-D)</option><option value="all">all (2-D too)</option></select>
        <input data-role="filter" type="text" placeholder="regex on name/op" size="12" aria-label="Layer filter"></div>
      <div class="row"><button data-role="explain" disabled>Explain</button><button data-role="ybroad" disabled title="ROAD for every layer (many extra forwards)">Score layers (ybROAD)</button></div>`;
    this.q = <T extends HTMLElement>(role: string) => root.querySelector(`[data-role="${role}"]`) as T;
    this.q<HTMLSelectElement>('method').replaceChildren(...BrowserCompute.methods().map((m) => new Option(m.title, m.id)));
    this.q<HTMLSelectElement>('method').onchange = () => this.syncEigen();
    this.q<HTMLSelectElement>('preset').replaceChildren(
      new Option("the model's own (JSON, metadata)", ''),
      ...PRESET_NAMES.map((p) => new Option(`preset ${p}`, p)),
    );
    this.q<HTMLSelectElement>('preset').onchange = (e) =>
      this.guard(() => this.setPreset((e.target as HTMLSelectElement).value || undefined));
    this.q<HTMLSelectElement>('kind').replaceChildren(...TARGET_KINDS.map((k) => new Option(targetKindName(k), k)));
    this.q<HTMLInputElement>('model-file').onchange = (e) => this.fromInput(e.target as HTMLInputElement);
    this.q<HTMLInputElement>('image-file').onchange = (e) => this.fromInput(e.target as HTMLInputElement);
    this.q('default-model').onclick = () => this.guard(() => this.loadModel('default'));
    this.q<HTMLSelectElement>('samples').onchange = (e) =>
      this.guard(() => this.loadImage(`sample:${(e.target as HTMLSelectElement).value}`));
    this.q('explain').onclick = () => this.guard(() => this.explain({}));
    this.q('ybroad').onclick = () => this.guard(() => this.ybroad());
  }

  /** With a device the panel computes; without one it says why it cannot. */
  setDevice(compute: BrowserCompute | undefined, why?: string): void {
    this.compute = compute;
    this.root.classList.toggle('disabled', !compute);
    this.q('gpu-note').textContent = compute
      ? `WebGPU: ${compute.device.adapterInfo}. Nothing is uploaded: the model runs in this page.`
      : (why ?? 'Computing CAMs in the page needs WebGPU, which this browser does not offer. Result bundles still open.');
    this.root
      .querySelectorAll<HTMLInputElement | HTMLButtonElement | HTMLSelectElement>('input, button, select')
      .forEach((el) => (el.disabled = !compute || el.dataset.role === 'explain' || el.dataset.role === 'ybroad'));
    this.syncEigen();
  }

  /** Whether the bundled model and a sample can be explained here at one click. */
  get canTryBundled(): boolean {
    return this.compute !== undefined && this.assets.model !== null && this.assets.samples.length > 0;
  }

  async setAssets(assets: DefaultAssets): Promise<void> {
    this.assets = assets;
    this.q('default-model').hidden = !assets.model;
    const s = this.q<HTMLSelectElement>('samples');
    s.hidden = assets.samples.length === 0;
    s.replaceChildren(new Option('sample…', ''), ...assets.samples.map((p, k) => new Option(p.split('/').pop()!, String(k))));
  }

  /** Files dropped on the page or picked. */
  async take(files: ComputeFiles): Promise<void> {
    this.needDevice();
    if (files.model) await this.loadModel(files.model, files.meta?.text, files.meta?.name);
    if (files.image) await this.loadImage(files.image);
    if (!files.model && !files.image && files.meta)
      throw new ViewerError(
        'bad-bundle',
        `'${files.meta.name}' alone is neither a bundle nor a model`,
        undefined,
        'Drop a bundle folder (with manifest.json), or the .json together with its .onnx model',
      );
  }

  /** The whole chain in one call (window.camanim.compute, tools, tests). */
  async run(req: ComputeRequest): Promise<void> {
    this.needDevice();
    if (req.preset !== undefined) this.q<HTMLSelectElement>('preset').value = req.preset;
    if (req.model) await this.loadModel(req.model, req.meta);
    else if (req.preset !== undefined) await this.setPreset(req.preset || undefined);
    if (req.image) await this.loadImage(req.image);
    await this.explain(req);
    if (req.ybroad) await this.ybroad();
  }

  private async loadModel(model: NonNullable<ComputeRequest['model']>, metaText?: string, metaName?: string): Promise<void> {
    const compute = this.needDevice();
    let bytes: Uint8Array;
    let name: string;
    let sidecar: Sidecar | undefined;
    if (typeof model === 'string') {
      const url = model === 'default' ? this.assets.model : model;
      if (!url)
        throw new ViewerError(
          'missing-file',
          'This build of the viewer has no bundled model',
          undefined,
          'packages/cli/assets/fashion-canvas.onnx was missing when it was built; drop an .onnx model instead',
        );
      this.hooks.busy('downloading the model');
      bytes = await fetchBytes(url);
      name = url.split('/').pop() ?? url;
      const metaUrl = model === 'default' ? this.assets.meta : url.replace(/\.onnx$/i, '.json');
      if (metaText === undefined && metaUrl)
        metaText = await fetch(metaUrl)
          .then((r) => (r.ok ? r.text() : undefined))
          .catch(() => undefined);
    } else {
      bytes = model.bytes;
      name = model.name;
    }
    if (metaText !== undefined) sidecar = parseSidecar(metaText, metaName ?? name.replace(/\.onnx$/i, '.json'));
    this.hooks.busy(`loading ${name}`);
    this.q('model-name').textContent = `${name} (loading…)`;
    try {
      await compute.load(bytes, name, sidecar, this.q<HTMLSelectElement>('preset').value || undefined);
    } catch (e) {
      this.q('model-name').textContent = 'none';
      throw e;
    }
    this.q('model-name').textContent = name;
    if (this.image) await this.predict();
    else this.hooks.busy('');
  }

  private async setPreset(preset: string | undefined): Promise<void> {
    const compute = this.needDevice();
    if (!compute.loaded) return;
    await compute.setPreset(preset);
    if (this.image) await this.predict();
  }

  private async loadImage(image: NonNullable<ComputeRequest['image']>): Promise<void> {
    let blob: Blob;
    let name: string;
    if (typeof image === 'string') {
      const sample = /^sample:(\d+)$/.exec(image);
      const url = sample ? this.assets.samples[Number(sample[1])] : image;
      if (!url) throw new ViewerError('missing-file', `No bundled sample image '${image}'`, undefined, 'Drop an image instead');
      blob = new Blob([(await fetchBytes(url)) as BlobPart]);
      name = url.split('/').pop() ?? url;
    } else {
      blob = image.blob;
      name = image.name;
    }
    this.image = await RgbImage.decode(blob, name);
    this.imageName = name;
    this.q('image-name').textContent = `${name} (${this.image.width}×${this.image.height})`;
    if (this.compute?.loaded) await this.predict();
  }

  private async predict(): Promise<void> {
    const compute = this.needDevice();
    this.hooks.busy(`forward pass on ${this.imageName}`);
    const top = await compute.predict(this.image!);
    this.showTop(top);
    this.q<HTMLButtonElement>('explain').disabled = false;
    this.q<HTMLButtonElement>('ybroad').disabled = true;
    this.hooks.busy('');
  }

  private async explain(req: ComputeRequest): Promise<void> {
    const compute = this.needDevice();
    if (!compute.loaded)
      throw new ViewerError('bad-model', 'No model loaded', undefined, 'Drop an .onnx file or pick the bundled one first');
    if (!this.image) throw new ViewerError('bad-image', 'No image chosen', undefined, 'Drop an image or pick a sample first');
    const method = req.method ?? this.q<HTMLSelectElement>('method').value;
    this.q<HTMLSelectElement>('method').value = method;
    const kind = req.kind ?? (this.q<HTMLSelectElement>('kind').value as TargetKind);
    this.q<HTMLSelectElement>('kind').value = kind;
    const eigen = this.syncEigen();
    const eigenSmooth = req.eigenSmooth ?? eigen.checked;
    if (!eigen.disabled) eigen.checked = eigenSmooth;
    const augSmooth = req.augSmooth ?? this.q<HTMLInputElement>('aug-smooth').checked;
    this.q<HTMLInputElement>('aug-smooth').checked = augSmooth;
    const checked = this.root.querySelector<HTMLInputElement>('input[name=target]:checked');
    const cls = req.class ?? (checked ? Number(checked.value) : undefined);
    if (req.class !== undefined)
      this.root
        .querySelectorAll<HTMLInputElement>('input[name=target]')
        .forEach((r) => (r.checked = Number(r.value) === req.class));
    const kinds = req.layers ?? (this.q<HTMLSelectElement>('layers').value as 'spatial' | 'all');
    const filter = req.filter ?? (this.q<HTMLInputElement>('filter').value.trim() || undefined);
    this.hooks.busy('computing CAMs');
    const set = await compute.explain(
      { method, class: cls, kind, eigenSmooth, augSmooth, layers: { kinds, filter, percentiles: req.percentiles } },
      (stage, done, total) => this.hooks.busy(stage, done, total),
    );
    this.q<HTMLButtonElement>('ybroad').disabled = false;
    this.hooks.result(set);
  }

  private async ybroad(): Promise<void> {
    const compute = this.needDevice();
    this.hooks.busy('ybROAD', 0, 1);
    const set = await compute.scoreYbroad((stage, done, total) => this.hooks.busy(stage, done, total));
    this.hooks.result(set);
  }

  /**
   * Eigen smoothing only for methods that sum channel or element terms: for the others
   * (Eigen-CAM, KPCA-CAM, …) the box is cleared and disabled and a note says why.
   */
  private syncEigen(): HTMLInputElement {
    const eigen = this.q<HTMLInputElement>('eigen-smooth');
    const method = BrowserCompute.methods().find((m) => m.id === this.q<HTMLSelectElement>('method').value);
    const refused = method !== undefined && !method.eigenSmoothable;
    if (refused) eigen.checked = false;
    eigen.disabled = !this.compute || refused;
    const note = this.q('eigen-note');
    note.hidden = !refused;
    note.textContent = refused ? `${method.title} computes each layer's map itself: eigen smoothing does not apply` : '';
    return eigen;
  }

  private showTop(top: readonly Prediction[]): void {
    const list = this.q('top');
    list.replaceChildren(
      ...top.map((p, k) => {
        const li = document.createElement('li');
        li.innerHTML = `<label><input type="radio" name="target" value="${p.class}" ${k === 0 ? 'checked' : ''}> <span class="label"></span> <span class="score"></span></label>`;
        li.querySelector('.label')!.textContent = `${p.label} (${p.class})`;
        li.querySelector('.score')!.textContent = `p ${p.probability.toFixed(3)} · logit ${p.logit?.toFixed(2)}`;
        return li;
      }),
    );
  }

  private fromInput(input: HTMLInputElement): void {
    const files = Array.from(input.files ?? []);
    this.guard(async () => {
      const model = files.find((f) => !/\.json$/i.test(f.name) && input.dataset.role === 'model-file');
      const meta = files.find((f) => /\.json$/i.test(f.name));
      const image = input.dataset.role === 'image-file' ? files[0] : undefined;
      await this.take({
        model: model ? { bytes: new Uint8Array(await model.arrayBuffer()), name: model.name } : undefined,
        meta: meta ? { text: await meta.text(), name: meta.name } : undefined,
        image: image ? { blob: image, name: image.name } : undefined,
      });
      input.value = '';
    });
  }

  private guard(f: () => Promise<void>): void {
    f().catch((e) => this.hooks.error(e));
  }

  private needDevice(): BrowserCompute {
    if (!this.compute)
      throw new ViewerError(
        'no-webgpu',
        'Computing CAMs in the page needs WebGPU, which this browser does not offer',
        undefined,
        'Open a result bundle from `camanim explain --format bundle` instead, or use a browser with WebGPU',
      );
    return this.compute;
  }
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new ViewerError('fetch', `Could not fetch ${url}: HTTP ${res.status}`, undefined, 'Check the URL');
  return new Uint8Array(await res.arrayBuffer());
}
