/**
 * The 3D stack: one instanced mesh draws every layer's plane (shared geometry, one atlas
 * texture, per-instance tile rectangle and index); the input image opens the stack, the
 * prediction card closes it, stage titles hang above each stage. For a video the input plane
 * shows the frame the tiles do. The current layer gets a
 * bright frame; planes far from the camera are thinned out. The planes' captions are DOM
 * labels (PlaneLabels), laid out around `cards`.
 */
import {
  CanvasTexture,
  Color,
  DoubleSide,
  InstancedBufferAttribute,
  InstancedMesh,
  Matrix4,
  Mesh,
  MeshBasicNodeMaterial,
  PlaneGeometry,
  Quaternion,
  Scene,
  Vector3,
  type Texture,
} from 'three/webgpu';
import { attribute, float, min, select, texture, uniform, uv, vec2, vec3 } from 'three/tsl';
import type { CamAtlas } from './AtlasLayout.ts';
import { CardTexture } from './CardTexture.ts';
import type { CamSet } from './CamSet.ts';
import type { PlaneSpot, StackLayout } from './StackLayout.ts';

/** The view's background: the renderer's clear colour (one clear for every side-by-side panel). */
export const BACKGROUND = new Color(0x0d0f13);

export class StackScene {
  readonly scene = new Scene();
  private readonly current = uniform(0);
  private readonly planes: InstancedMesh;
  /** The prediction card's texture (its canvas is read by tests). */
  readonly predictionCard: CanvasTexture;
  /** The input plane's texture: the input image, or the video frame shown (its canvas is read by tests). */
  readonly inputImage: CanvasTexture;
  private shownFrame = 0;
  private readonly owned: { dispose(): void }[] = [];
  private readonly stageFirsts: Set<number>;
  private visibleKey = '';
  /** The cards in the scene (input caption, prediction, stage titles): labels keep clear of them. */
  readonly cards: PlaneSpot[] = [];
  /** Which planes are drawn now (setVisible). */
  drawn: readonly boolean[] = [];

  constructor(
    private readonly set: CamSet,
    atlas: CamAtlas,
    readonly layout: StackLayout,
  ) {
    const L = set.layers.length;
    this.stageFirsts = new Set(set.stages().map((s) => s.first));

    // Planes: a unit quad scaled per instance; the tile rectangle picks the layer's CAM.
    const quad = this.own(new PlaneGeometry(1, 1));
    const tiles = new Float32Array(L * 4);
    const index = new Float32Array(L);
    set.layers.forEach((_, k) => {
      tiles.set(atlas.layout.rect(k), k * 4);
      index[k] = k;
    });
    quad.setAttribute('tileRect', new InstancedBufferAttribute(tiles, 4));
    quad.setAttribute('layerIndex', new InstancedBufferAttribute(index, 1));
    const planeMat = this.own(new MeshBasicNodeMaterial({ side: DoubleSide }));
    const rect = attribute('tileRect', 'vec4');
    const isCurrent = attribute('layerIndex', 'float').sub(this.current).abs().lessThan(0.5);
    const st = vec2(rect.x.add(uv().x.mul(rect.z)), rect.y.add(uv().y.oneMinus().mul(rect.w)));
    // Distance to the nearest edge in units of the plane's shorter side, so the frame is as
    // wide on every side of a non-square plane.
    const short = Math.min(set.width, set.height);
    const edge = min(
      min(uv().x, uv().x.oneMinus()).mul(set.width / short),
      min(uv().y, uv().y.oneMinus()).mul(set.height / short),
    );
    const frame = select(isCurrent, vec3(1.0, 0.82, 0.25), vec3(0.32, 0.35, 0.4));
    const width = select(isCurrent, float(0.035), float(0.012));
    planeMat.colorNode = select(
      edge.lessThan(width),
      frame,
      texture(atlas.texture, st).rgb.mul(select(isCurrent, float(1), float(0.8))),
    );
    this.planes = new InstancedMesh(quad, planeMat, L);
    this.planes.frustumCulled = false;
    this.scene.add(this.planes);

    // The input image, the prediction and the stage titles.
    const input = layout.input;
    this.inputImage = this.own(new CanvasTexture(set.image.toCanvas()));
    this.addQuad(this.inputImage, input.center, input.width, input.height);
    this.addCard(
      CardTexture.text('input', `${set.height}×${set.width} · ${set.info.model}`, '#8fd3ff'),
      [input.center[0], input.center[1] - input.height / 2 - 0.45, 0],
      2.6,
    );
    const pred = layout.prediction;
    this.predictionCard = this.own(CardTexture.prediction(set.prediction, set.info.target, set.info.score));
    this.addQuad(this.predictionCard, pred.center, pred.width, pred.height);
    this.cards.push(pred);
    for (const s of set.stages()) {
      const [h, w] = s.mapShape;
      const title = `stage ${s.index + 1} · ${h}×${w}`;
      const sub = s.first === s.last ? `layer ${s.first + 1}` : `layers ${s.first + 1}–${s.last + 1}`;
      const b = layout.banner(s.first);
      this.addCard(CardTexture.text(title, sub), b.center, b.width);
    }
    this.setVisible(0);
  }

  /** Frames the current layer. */
  setCurrent(k: number): void {
    this.current.value = k;
  }

  /** Shows input frame t on the input plane (a video; the planes' tiles are the atlas's, painted at t). */
  showFrame(t: number): void {
    if (t === this.shownFrame || !this.set.images[t]) return;
    this.shownFrame = t;
    const canvas = this.inputImage.image as HTMLCanvasElement;
    canvas.getContext('2d')!.putImageData(this.set.images[t].toImageData(), 0, 0);
    this.inputImage.needsUpdate = true;
  }

  get currentLayer(): number {
    return this.current.value;
  }

  /** Draws every plane near station u, fewer further away. */
  setVisible(u: number): void {
    const show = this.layout.visible(u, this.stageFirsts);
    const key = show.join();
    if (key === this.visibleKey) return;
    this.visibleKey = key;
    this.drawn = show;
    const m = new Matrix4();
    const q = new Quaternion();
    const zero = new Vector3(0, 0, 0);
    this.layout.planes.forEach((p, k) => {
      const at = new Vector3(...p.center);
      m.compose(at, q, show[k] ? new Vector3(p.width, p.height, 1) : zero);
      this.planes.setMatrixAt(k, m);
    });
    this.planes.instanceMatrix.needsUpdate = true;
  }

  /** Planes in the stack (one instance per layer). */
  get planeCount(): number {
    return this.planes.count;
  }

  /** How many planes are drawn now (for tests and the frame-time report). */
  visibleCount(): number {
    return this.drawn.filter(Boolean).length;
  }

  dispose(): void {
    this.owned.forEach((o) => o.dispose());
    this.planes.dispose();
  }

  private addQuad(tex: Texture, center: readonly number[], w: number, h: number): void {
    const mat = this.own(new MeshBasicNodeMaterial({ map: tex, side: DoubleSide }));
    const mesh = new Mesh(this.own(new PlaneGeometry(w, h)), mat);
    mesh.position.set(center[0], center[1], center[2]);
    this.scene.add(mesh);
  }

  private addCard(tex: CanvasTexture, center: readonly [number, number, number], width: number): void {
    this.own(tex);
    const height = (width * tex.image.height) / tex.image.width;
    this.addQuad(tex, center, width, height);
    this.cards.push({ center, width, height });
  }

  private own<T extends { dispose(): void }>(x: T): T {
    this.owned.push(x);
    return x;
  }
}
