/**
 * The flythrough camera: a smooth path (centripetal Catmull–Rom through one pose per plane),
 * a position u along it (−1 input … L prediction), playback at a chosen speed in layers per
 * second, eased flights to a layer (goTo), and free orbit around the current plane while
 * paused. After an orbit, the next flight blends from where the user left the camera.
 */
import { CatmullRomCurve3, PerspectiveCamera, Vector3 } from 'three/webgpu';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { clipFlythroughRate, playbackRate } from './Playback.ts';
import type { StackLayout } from './StackLayout.ts';

interface Flight {
  from: number;
  to: number;
  fromPos: Vector3;
  fromTarget: Vector3;
  t: number;
  duration: number;
  done: (() => void)[];
}

export class CameraRig {
  readonly camera: PerspectiveCamera;
  readonly controls: OrbitControls;
  /** Position along the path (station index, fractional while moving). */
  u = 0;
  playing = false;
  /** Layers per second chosen (deep stacks fly faster: Playback.ts). */
  speed = 2;
  /** A video's input frames when playback plays each layer's clip as it passes (Playback's clipFlythroughRate); 1 flies at `speed`. */
  clipFrames = 1;
  private readonly posCurve: CatmullRomCurve3;
  private readonly targetCurve: CatmullRomCurve3;
  private flight?: Flight;
  private orbited = false;
  private moved = true;
  private stopWaiters: (() => void)[] = [];
  private readonly scratch = new PerspectiveCamera();
  onPlayingChange?: (playing: boolean) => void;

  constructor(
    readonly layout: StackLayout,
    dom: HTMLElement,
    aspect: number,
  ) {
    this.camera = new PerspectiveCamera(50, aspect, 0.05, 2000);
    const stations = Array.from({ length: layout.count + 2 }, (_, i) => layout.station(i - 1));
    this.posCurve = new CatmullRomCurve3(
      stations.map((s) => new Vector3(...s.position)),
      false,
      'centripetal',
    );
    this.targetCurve = new CatmullRomCurve3(
      stations.map((s) => new Vector3(...s.target)),
      false,
      'centripetal',
    );
    this.controls = new OrbitControls(this.camera, dom);
    this.controls.enableDamping = false;
    this.controls.addEventListener('start', () => {
      this.orbited = true;
      this.setPlaying(false);
    });
    this.controls.addEventListener('change', () => (this.moved = true));
    this.place(this.u);
  }

  get last(): number {
    return this.layout.count;
  }

  /** The layer the camera is at (0..L−1). */
  get layer(): number {
    return Math.min(this.layout.count - 1, Math.max(0, Math.round(this.u)));
  }

  get busy(): boolean {
    return this.playing || this.flight !== undefined;
  }

  setPlaying(playing: boolean): void {
    if (playing && this.u >= this.last - 0.001) this.u = -1;
    if (playing === this.playing) return;
    if (playing) {
      this.flight?.done.forEach((f) => f());
      this.flight = undefined;
      if (this.orbited) this.flyTo(this.u, 0.5);
    }
    this.playing = playing;
    this.controls.enabled = !playing;
    this.onPlayingChange?.(playing);
    if (!playing) {
      const waiters = this.stopWaiters;
      this.stopWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  /** Resolves the next time playback stops (at the end of the path, or paused). */
  whenStopped(): Promise<void> {
    return new Promise((resolve) => this.stopWaiters.push(resolve));
  }

  /** Flies to station `to`; resolves when there. */
  flyTo(to: number, duration?: number): Promise<void> {
    const target = Math.min(this.last, Math.max(-1, to));
    const d = duration ?? Math.min(1.2, 0.35 + 0.12 * Math.sqrt(Math.abs(target - this.u)));
    const done: (() => void)[] = this.flight ? this.flight.done : [];
    this.flight = {
      from: this.u,
      to: target,
      fromPos: this.camera.position.clone(),
      fromTarget: this.controls.target.clone(),
      t: 0,
      duration: Math.max(1e-3, d),
      done,
    };
    this.moved = true;
    return new Promise((resolve) => done.push(resolve));
  }

  /** Advances time; true when the camera moved (the frame needs drawing). */
  update(dt: number): boolean {
    if (this.flight) {
      const f = this.flight;
      f.t = Math.min(1, f.t + dt / f.duration);
      const e = f.t < 0.5 ? 4 * f.t ** 3 : 1 - (-2 * f.t + 2) ** 3 / 2;
      this.u = f.from + (f.to - f.from) * e;
      this.place(this.u, f, e);
      if (f.t >= 1) {
        this.flight = undefined;
        this.orbited = false;
        f.done.forEach((r) => r());
      }
      return true;
    }
    if (this.playing) {
      const rate =
        this.clipFrames > 1
          ? clipFlythroughRate(this.speed, this.last + 1, this.clipFrames)
          : playbackRate(this.speed, this.last + 1);
      this.u = Math.min(this.last, this.u + rate * dt);
      this.place(this.u);
      if (this.u >= this.last) this.setPlaying(false);
      return true;
    }
    const moved = this.moved;
    this.moved = false;
    return moved;
  }

  /**
   * A camera with this one's lens, posed as the flythrough's at station j (−1 input … L
   * prediction): one scratch camera, posed anew each call (a recording asks twice a frame).
   */
  stationCamera(j: number): PerspectiveCamera {
    const cam = this.scratch.copy(this.camera);
    const s = this.layout.station(j);
    cam.position.set(...s.position);
    cam.lookAt(...s.target);
    cam.updateMatrixWorld();
    return cam;
  }

  resize(aspect: number): void {
    this.camera.aspect = aspect;
    this.camera.updateProjectionMatrix();
    this.moved = true;
  }

  dispose(): void {
    this.controls.dispose();
  }

  private place(u: number, blend?: Flight, e = 1): void {
    const t = (u + 1) / (this.layout.count + 1);
    const pos = this.posCurve.getPoint(Math.min(1, Math.max(0, t)));
    const target = this.targetCurve.getPoint(Math.min(1, Math.max(0, t)));
    if (blend && this.orbited) {
      pos.lerpVectors(blend.fromPos, pos, e);
      target.lerpVectors(blend.fromTarget, target, e);
    }
    this.camera.position.copy(pos);
    this.controls.target.copy(target);
    this.camera.lookAt(target);
    this.moved = true;
  }
}
