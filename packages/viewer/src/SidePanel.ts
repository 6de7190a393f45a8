/**
 * One explanation's view in the stage: its atlas, its 3D stack, its plane labels and its
 * caption, drawn into its column of the canvas. Side by side (2–4 explanations of one
 * bundle), panels sit in one row in the bundle's order — the CLI's grid.gif arrangement — and
 * share the camera, the layer cursor and, under global normalization, one colour scale.
 */
import type { PerspectiveCamera, WebGPURenderer } from 'three/webgpu';
import { AtlasLayout, type CamAtlas } from './AtlasLayout.ts';
import { targetCaption, type CamSet } from './CamSet.ts';
import type { PaintStyle } from './Colormap.ts';
import { CpuAtlas } from './CpuAtlas.ts';
import { GpuAtlas } from './GpuAtlas.ts';
import type { Rect } from './LabelPacking.ts';
import { PlaneLabels, screenRect } from './PlaneLabels.ts';
import type { PlaneSpot, StackLayout } from './StackLayout.ts';
import { StackScene } from './StackScene.ts';

/** The most explanations shown side by side. */
export const MAX_PANELS = 4;

/** Column `i` of `n` across `width` pixels: its left edge and width, in whole pixels. */
export function column(i: number, n: number, width: number): [number, number] {
  const x0 = Math.round((i * width) / n);
  return [x0, Math.round(((i + 1) * width) / n) - x0];
}

export class SidePanel {
  readonly atlas: CamAtlas;
  readonly stack: StackScene;
  readonly labels: PlaneLabels;
  /** The panel's box over the canvas: holds its caption and labels. */
  readonly el: HTMLDivElement;
  private readonly planes: readonly PlaneSpot[];

  constructor(
    readonly set: CamSet,
    readonly id: string,
    stackLayout: StackLayout,
    stage: HTMLElement,
    gpu: GPUDevice | undefined,
    /** Its column and the number of columns. */
    column: readonly [number, number],
  ) {
    const maxDim = gpu?.limits.maxTextureDimension2D ?? 8192;
    const layout = new AtlasLayout(set.layers.length, set.width, set.height, Math.min(8192, maxDim));
    this.atlas = gpu ? new GpuAtlas(gpu, set, layout) : new CpuAtlas(set, layout);
    this.stack = new StackScene(set, this.atlas, stackLayout);
    this.el = document.createElement('div');
    this.el.className = 'side-panel';
    this.el.dataset.explanation = id;
    const [i, n] = column;
    Object.assign(this.el.style, { left: `${(100 * i) / n}%`, width: `${100 / n}%` });
    if (n > 1) {
      const caption = document.createElement('div');
      caption.className = 'side-caption';
      caption.textContent = `${set.info.method} · ${targetCaption(set.info.target)}`;
      this.el.append(caption);
    }
    stage.append(this.el);
    this.planes = stackLayout.planes;
    this.labels = new PlaneLabels(this.el, set.layers, stackLayout.planes, this.stack.cards);
  }

  /** The colour range per layer of the last paint. */
  painted: readonly { min: number; max: number }[] = [];

  /** Colours the tiles in `ranges` and `style`; a video's tiles and input plane at input frame `frame`. */
  paint(ranges: readonly { min: number; max: number }[], style: PaintStyle, frame = 0): void {
    this.painted = ranges;
    this.atlas.paint(ranges, style, frame);
    this.stack.showFrame(frame);
  }

  /**
   * Draws the stack from `camera` into `box` of the canvas (CSS pixels) and places its labels.
   * An export's framing instead: `crop` of the camera's full×full view (exportCrop, around the
   * current plane) drawn into `box`, without the DOM labels, which no export holds.
   */
  draw(
    renderer: WebGPURenderer,
    camera: PerspectiveCamera,
    u: number,
    current: number,
    box: Rect,
    framing?: { full: readonly [number, number]; crop: Rect },
  ): void {
    this.stack.setVisible(u);
    renderer.setViewport(box.x, box.y, box.width, box.height);
    renderer.setScissor(box.x, box.y, box.width, box.height);
    if (framing) camera.setViewOffset(...framing.full, framing.crop.x, framing.crop.y, framing.crop.width, framing.crop.height);
    renderer.render(this.stack.scene, camera);
    if (framing) camera.clearViewOffset();
    this.el.style.visibility = framing ? 'hidden' : '';
    if (!framing) this.labels.update(camera, u, current, this.stack.drawn, box.width, box.height);
  }

  /** Layer k's plane as `camera` sees it in a w×h view. */
  planeRect(camera: PerspectiveCamera, k: number, w: number, h: number): Rect | undefined {
    camera.updateMatrixWorld();
    return screenRect(camera, this.planes[k], w, h);
  }

  dispose(): void {
    this.labels.dispose();
    this.el.remove();
    this.stack.dispose();
    this.atlas.dispose();
  }
}
