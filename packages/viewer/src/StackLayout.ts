/**
 * Where everything sits in the flythrough, as plain numbers (no three.js): the input image
 * opens the stack at z = 0, layers follow along −z in network order with a gap between
 * stages (runs of equal resolution), the prediction closes it. A plane's size follows its
 * map's resolution (square root, so that 7×7 maps stay visible next to 224×224 ones); every
 * plane has the input's aspect with its longer side that size, so a tall input stays in view.
 * The camera's path visits one station per plane: station −1 is the input, L the prediction.
 */
import type { Stage } from './CamSet.ts';

export interface PlaneSpot {
  readonly center: readonly [number, number, number];
  readonly width: number;
  readonly height: number;
}

export interface LayoutInput {
  readonly inputW: number;
  readonly inputH: number;
  readonly mapShapes: readonly (readonly [number, number])[];
  readonly stages: readonly Stage[];
}

export const BASE_WIDTH = 4;
/** A stage title's widest, and its card's height over width (CardTexture.text is 640×110). */
export const BANNER_WIDTH = 2.4;
export const BANNER_ASPECT = 110 / 640;
/** Camera distance in front of a plane, in plane widths (sees the plane and its caption). */
const VIEW = 1.45;
/** Gap before a plane, in its widths: more than VIEW, so the plane before is behind the camera. */
const GAP = 1.75;
const STAGE_GAP = 1.5;
/** A stage title stands this far behind its first plane, in the plane's view widths (< GAP). */
const BANNER_BACK = 0.6;
const MIN_SCALE = 0.22;
/** Planes narrower than this are viewed as if they were this wide (context stays in view). */
const MIN_VIEW_WIDTH = 1.6;

export class StackLayout {
  readonly input: PlaneSpot;
  readonly planes: readonly PlaneSpot[];
  readonly prediction: PlaneSpot;
  readonly stageOf: readonly number[];

  constructor(readonly spec: LayoutInput) {
    // A plane of size 1: the longer side 1, the input's aspect.
    const unitW = Math.min(1, spec.inputW / spec.inputH);
    const unitH = Math.min(1, spec.inputH / spec.inputW);
    const stageOf: number[] = [];
    spec.stages.forEach((s) => {
      for (let k = s.first; k <= s.last; k++) stageOf[k] = s.index;
    });
    this.stageOf = stageOf;
    this.input = { center: [0, 0, 0], width: BASE_WIDTH * unitW, height: BASE_WIDTH * unitH };
    let z = 0;
    this.planes = spec.mapShapes.map(([h, w], k) => {
      const s = Math.min(1, Math.max(MIN_SCALE, Math.sqrt(Math.max(h / spec.inputH, w / spec.inputW))));
      const size = BASE_WIDTH * s;
      z -= GAP * viewWidth(size) + (k > 0 && stageOf[k] !== stageOf[k - 1] ? STAGE_GAP : 0);
      return { center: [0, 0, z], width: size * unitW, height: size * unitH };
    });
    // The prediction's top no higher than the camera's eye at the last layer: stage titles
    // hang above that eye line (see banner), so from there none of them covers the card's title.
    const pw = BASE_WIDTH * 0.8;
    const last = this.planes[this.planes.length - 1];
    const eye = last ? eyeHeight(last) : 0;
    this.prediction = {
      center: [0, Math.min(0, eye - (pw * 0.75) / 2 - 0.1), z - GAP * pw - STAGE_GAP],
      width: pw,
      height: pw * 0.75,
    };
  }

  get count(): number {
    return this.planes.length;
  }

  /** The plane at station j (−1 input, 0..L−1 layers, L prediction). */
  spot(j: number): PlaneSpot {
    if (j < 0) return this.input;
    if (j >= this.planes.length) return this.prediction;
    return this.planes[j];
  }

  /**
   * Camera position and look-at target for station j: in front of the plane (between it and
   * the plane before, so flying on passes through the stack), a little up and to the right,
   * so that the planes further on show beside it rather than hidden behind it.
   */
  station(j: number): { position: [number, number, number]; target: [number, number, number] } {
    const p = this.spot(j);
    const size = viewWidth(Math.max(p.width, p.height));
    const [x, y, z] = p.center;
    return {
      position: [x + 0.85 * size, y + EYE * size, z + VIEW * size],
      target: [x + 0.3 * size, y + 0.02 * size, z - 0.45 * size],
    };
  }

  /**
   * The title card of the stage starting at plane k: above the plane and a little behind it,
   * its bottom above the camera's eye at the stage's stations, so seen from there it covers
   * nothing further on; no wider than the plane is viewed (a small plane's station is close: a
   * wider card ran off the view's left edge).
   */
  banner(k: number): PlaneSpot {
    const p = this.planes[k];
    const view = viewWidth(Math.max(p.width, p.height));
    const width = Math.min(BANNER_WIDTH, view);
    const height = width * BANNER_ASPECT;
    const bottom = Math.max(p.center[1] + Math.max(p.height, 1) / 2 + 0.3, eyeHeight(p) + 0.1);
    // Set back behind the plane (less than the gap to the next one), so that from the stage's
    // first station, close by, its top stays in the view.
    return { center: [p.center[0], bottom + height / 2, p.center[2] - BANNER_BACK * view], width, height };
  }

  /** Which planes to draw from station u: all near ones, every 2nd/4th/8th further away. */
  visible(u: number, stageFirsts: ReadonlySet<number>): boolean[] {
    return this.planes.map((_, k) => {
      const d = Math.abs(k - u);
      if (d <= 24 || stageFirsts.has(k) || k === this.planes.length - 1) return true;
      const step = d <= 48 ? 2 : d <= 96 ? 4 : 8;
      return k % step === 0;
    });
  }
}

/** The camera's height above a plane's centre at its station, in plane sizes. */
const EYE = 0.4;

function eyeHeight(p: PlaneSpot): number {
  return p.center[1] + EYE * viewWidth(Math.max(p.width, p.height));
}

function viewWidth(width: number): number {
  return Math.max(width, MIN_VIEW_WIDTH);
}
