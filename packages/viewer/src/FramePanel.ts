/**
 * The 2D frame of the current layer, large, beside the stack: its CAM colormapped (over the
 * input or alone) with a colorbar and the normalization range, captioned like the CLI's frames
 * (position/count, op type, shape, ONNX name, method and target), and the model contract's
 * summary (the whole contract on hover). Its image and caption are also the page's GIF's. A
 * video's frame is of one input frame: its map at that frame over it.
 */
import { Colormap, type PaintStyle } from './Colormap.ts';
import { targetCaption, type CamSet } from './CamSet.ts';
import { contractDetail } from './ModelContract.ts';

/**
 * The box the map is fitted into, in CSS pixels: 360 wide leaves the colorbar and its ticks
 * room in the 460-pixel column; as tall, so a 1:8 input is 45×360 and an 8:1 one 360×45.
 */
const MAP_BOX = 360;
/** The colorbar is never shorter than this (its three ticks stay readable beside a flat map). */
const MIN_BAR = 96;

export class FramePanel {
  private readonly canvas: HTMLCanvasElement;
  private readonly bar: HTMLCanvasElement;
  private readonly caption: HTMLElement;
  private readonly ticks: HTMLElement;

  constructor(readonly root: HTMLElement) {
    root.innerHTML = `
      <div class="frame-caption" data-role="caption"></div>
      <div class="frame-body">
        <canvas data-role="frame" aria-label="CAM of the current layer"></canvas>
        <div class="colorbar"><canvas data-role="bar" width="14" height="256"></canvas><div class="ticks" data-role="ticks"></div></div>
      </div>`;
    this.canvas = root.querySelector('[data-role=frame]')!;
    this.bar = root.querySelector('[data-role=bar]')!;
    this.caption = root.querySelector('[data-role=caption]')!;
    this.ticks = root.querySelector('[data-role=ticks]')!;
  }

  /** Layer k's frame; for a video, at input frame t (0-based). */
  show(
    set: CamSet,
    k: number,
    t: number,
    ranges: readonly { min: number; max: number }[],
    style: PaintStyle,
    normalization: string,
  ): void {
    if (!set.layers[k]) return;
    const { width: W, height: H } = set;
    this.canvas.width = W;
    this.canvas.height = H;
    // Sized here, not by CSS: a flex row would stretch the canvas to the colorbar's height
    // (a 48×192 input came out at 1.4:1), and a tall input's natural height overflows.
    const [cssW, cssH] = fitBox(W, H, MAP_BOX, MAP_BOX);
    this.canvas.style.width = `${cssW}px`;
    this.canvas.style.height = `${cssH}px`;
    this.bar.parentElement!.style.height = `${Math.max(cssH, MIN_BAR)}px`;
    this.canvas.getContext('2d')!.putImageData(frameImage(set, k, t, ranges[k], style), 0, 0);
    this.bar.getContext('2d')!.putImageData(Colormap.bar(style.colormap, this.bar.width, this.bar.height), 0, 0);
    const r = ranges[k];
    this.ticks.innerHTML = `<span>${fmt(r.max)}</span><span>${fmt((r.min + r.max) / 2)}</span><span>${fmt(r.min)}</span>`;
    const text = frameCaption(set, k, t, normalization);
    this.caption.innerHTML = '';
    const title = document.createElement('div');
    title.className = 'frame-title';
    title.textContent = text.title;
    const name = document.createElement('div');
    name.className = 'frame-name';
    name.textContent = text.name;
    name.title = text.name;
    const detail = document.createElement('div');
    detail.className = 'frame-detail';
    detail.textContent = text.detail;
    this.caption.append(title, name, detail);
    const contract = set.info.contract;
    if (contract) {
      const line = document.createElement('div');
      line.className = 'frame-contract';
      line.dataset.role = 'contract';
      line.textContent = contract.summary;
      line.title = contractDetail(contract);
      this.caption.append(line);
    }
  }
}

/** Layer k's caption, as the panel shows it above the map (and the page's GIF over it). */
export interface FrameCaption {
  /** Position/count, op type, shape, map size (and for a video the input frame, as the CLI's frames say it). */
  readonly title: string;
  /** The ONNX tensor name. */
  readonly name: string;
  /** Method (unless left to the panels' own labels), target, score, probability and normalization. */
  readonly detail: string;
}

/** Layer k's caption at input frame t; without the method where each side-by-side panel names its own. */
export function frameCaption(set: CamSet, k: number, t: number, normalization: string, withMethod = true): FrameCaption {
  const l = set.layers[k];
  const p = set.info.probability;
  const T = set.frames;
  return {
    title: `layer ${k + 1}/${set.layers.length} · ${l.opType} · [${l.shape.join(', ')}] · map ${l.mapShape[0]}×${l.mapShape[1]}${T > 1 ? ` · frame ${t + 1}/${T}` : ''}`,
    name: l.name,
    detail: `${withMethod ? `${set.info.method} · ` : ''}${targetCaption(set.info.target)}${Number.isFinite(set.info.score) ? ` · score ${set.info.score.toFixed(3)}` : ''}${p !== undefined ? ` · p ${p.toFixed(3)}` : ''} · ${normalization} normalization`,
  };
}

/** Layer k's map at input frame t coloured in `range` (over that frame when the style overlays), at the input's size. */
export function frameImage(set: CamSet, k: number, t: number, range: { min: number; max: number }, style: PaintStyle): ImageData {
  const { width: W, height: H } = set;
  const img = new ImageData(W, H);
  Colormap.paint(set.inputMap(k, t), W, H, range, style, set.images[t].rgba, W, H, img.data);
  return img;
}

/** W×H scaled to fit inside boxW×boxH, aspect kept (CSS pixels, fractional). */
export function fitBox(W: number, H: number, boxW: number, boxH: number): [number, number] {
  const s = Math.min(boxW / W, boxH / H);
  return [W * s, H * s];
}

function fmt(v: number): string {
  if (!Number.isFinite(v)) return '–';
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toExponential(1) : v.toFixed(3);
}
