/**
 * The transport bar and the keyboard: play/pause (space), step (←/→), first/last (Home/End),
 * (a video's time has its own bar and keys: TimeControl),
 * scrub, speed, global/local normalization, overlay and alpha, colormap, which explanation of
 * the bundle, PNG, WebM and GIF export.
 */
import type { Normalization } from '@camanim/cam-methods';
import type { ColormapName } from '@camanim/shaders';
import { Colormap, type PaintStyle } from './Colormap.ts';
import { PASS_LAYERS } from './Playback.ts';

export interface ControlEvents {
  toggle(): void;
  step(delta: number): void;
  seek(layer: number): void;
  speed(layersPerSecond: number): void;
  normalization(mode: Normalization): void;
  style(style: PaintStyle): void;
  explanation(id: string): void;
  /** Side by side: every explanation of the bundle (up to 4), or back to one. */
  compare(): void;
  png(): void;
  webm(): void;
  gif(): void;
}

const SPEEDS = [0.5, 1, 2, 4, 8, 16];

export class Controls {
  private readonly q: <T extends HTMLElement>(role: string) => T;
  private count = 0;

  constructor(
    readonly root: HTMLElement,
    private readonly events: ControlEvents,
  ) {
    root.innerHTML = `
      <button data-role="first" title="First layer (Home)" aria-label="First layer">«</button>
      <button data-role="back" title="Previous layer (←)" aria-label="Previous layer">‹</button>
      <button data-role="play" title="Play / pause (space)" aria-label="Play">▶</button>
      <button data-role="forward" title="Next layer (→)" aria-label="Next layer">›</button>
      <button data-role="last" title="Last layer (End)" aria-label="Last layer">»</button>
      <input data-role="scrub" type="range" min="0" max="0" value="0" step="1" aria-label="Layer">
      <span data-role="readout" class="readout">–</span>
      <label title="layers per second; a stack deeper than ${PASS_LAYERS} layers flies faster, a whole pass taking ${PASS_LAYERS} s ÷ speed">speed <select data-role="speed">${SPEEDS.map((s) => `<option value="${s}">${s}/s</option>`).join('')}</select></label>
      <span class="seg" role="group" aria-label="Normalization">
        <button data-role="norm-global" data-norm="global" title="One range over all layers: layers compare with each other">global</button><button data-role="norm-local" data-norm="local" title="Each layer's own range">local</button>
      </span>
      <label title="Show the CAM over the input image"><input data-role="overlay" type="checkbox" checked> overlay</label>
      <input data-role="alpha" type="range" min="0" max="1" step="0.05" value="0.5" aria-label="Overlay alpha" title="Weight of the colour over the image">
      <select data-role="colormap" aria-label="Colormap">${Colormap.names.map((n) => `<option>${n}</option>`).join('')}</select>
      <select data-role="explanation" aria-label="Explanation" hidden></select>
      <button data-role="compare" title="Explanations side by side: one camera, one layer, one colour scale under global normalization" hidden>side by side</button>
      <button data-role="png" title="Save the view as PNG, at the input's aspect">PNG</button>
      <button data-role="webm" title="Record the flythrough as WebM, at the input's aspect">WebM</button>
      <button data-role="gif" title="An animated GIF as the CLI makes: the 2D frame of every layer with its caption">GIF</button>`;
    this.q = <T extends HTMLElement>(role: string) => root.querySelector(`[data-role="${role}"]`) as T;
    this.q('first').onclick = () => events.seek(0);
    this.q('last').onclick = () => events.seek(this.count - 1);
    this.q('back').onclick = () => events.step(-1);
    this.q('forward').onclick = () => events.step(1);
    this.q('play').onclick = () => events.toggle();
    this.q<HTMLInputElement>('scrub').oninput = (e) => events.seek(Number((e.target as HTMLInputElement).value));
    this.q<HTMLSelectElement>('speed').onchange = (e) => events.speed(Number((e.target as HTMLSelectElement).value));
    root
      .querySelectorAll<HTMLButtonElement>('[data-norm]')
      .forEach((b) => (b.onclick = () => events.normalization(b.dataset.norm as Normalization)));
    const style = () => events.style(this.style());
    this.q<HTMLInputElement>('overlay').onchange = style;
    this.q<HTMLInputElement>('alpha').oninput = style;
    this.q<HTMLSelectElement>('colormap').onchange = style;
    this.q<HTMLSelectElement>('explanation').onchange = (e) => events.explanation((e.target as HTMLSelectElement).value);
    this.q('compare').onclick = () => events.compare();
    this.q('png').onclick = () => events.png();
    this.q('webm').onclick = () => events.webm();
    this.q('gif').onclick = () => events.gif();
    // Buttons give focus back, so that space plays instead of pressing the last button again.
    root.querySelectorAll('button').forEach((b) => b.addEventListener('click', () => b.blur()));
    document.addEventListener('keydown', (e) => this.key(e));
  }

  style(): PaintStyle {
    const name = this.q<HTMLSelectElement>('colormap').value;
    return {
      colormap: (Colormap.isName(name) ? name : 'jet') as ColormapName,
      alpha: Number(this.q<HTMLInputElement>('alpha').value),
      overlay: this.q<HTMLInputElement>('overlay').checked,
    };
  }

  setColormap(name: string): void {
    if (Colormap.isName(name)) this.q<HTMLSelectElement>('colormap').value = name;
  }

  setLayers(count: number): void {
    this.count = count;
    const scrub = this.q<HTMLInputElement>('scrub');
    scrub.max = String(Math.max(0, count - 1));
    this.root.classList.toggle('disabled', count === 0);
  }

  setCurrent(k: number): void {
    this.q<HTMLInputElement>('scrub').value = String(k);
    this.q('readout').textContent = this.count ? `${k + 1} / ${this.count}` : '–';
  }

  setPlaying(playing: boolean): void {
    const b = this.q('play');
    b.textContent = playing ? '❚❚' : '▶';
    b.setAttribute('aria-label', playing ? 'Pause' : 'Play');
  }

  setSpeed(v: number): void {
    const s = this.q<HTMLSelectElement>('speed');
    if (!SPEEDS.includes(v)) s.append(new Option(`${v}/s`, String(v)));
    s.value = String(v);
  }

  setNormalization(mode: Normalization): void {
    this.root
      .querySelectorAll<HTMLButtonElement>('[data-norm]')
      .forEach((b) => b.classList.toggle('on', b.dataset.norm === mode));
  }

  setExplanations(list: readonly { id: string; title: string }[], current: string): void {
    const s = this.q<HTMLSelectElement>('explanation');
    s.hidden = list.length < 2;
    s.replaceChildren(...list.map((x) => new Option(x.title, x.id, false, x.id === current)));
    this.q('compare').hidden = list.length < 2;
  }

  setComparing(on: boolean): void {
    this.q('compare').classList.toggle('on', on);
  }

  setRecording(on: boolean): void {
    this.q('webm').textContent = on ? '● rec' : 'WebM';
    this.q('webm').classList.toggle('on', on);
  }

  /** While the GIF is encoded (the status bar shows how far): its button is off. */
  setEncoding(on: boolean): void {
    const b = this.q<HTMLButtonElement>('gif');
    b.disabled = on;
    b.classList.toggle('on', on);
  }

  private key(e: KeyboardEvent): void {
    // Shift with an arrow or space is the time bar's (TimeControl).
    if (this.count === 0 || e.shiftKey || !transportKey(e)) return;
    const act: Record<string, () => void> = {
      ' ': () => this.events.toggle(),
      ArrowRight: () => this.events.step(1),
      ArrowLeft: () => this.events.step(-1),
      Home: () => this.events.seek(0),
      End: () => this.events.seek(this.count - 1),
    };
    const f = act[e.key];
    if (!f) return;
    e.preventDefault();
    f();
  }
}

/** Whether a key press is for the page's transport: no Ctrl/Meta/Alt, and not typed into a form field (the sliders' arrows agree with ours anyway). */
export function transportKey(e: KeyboardEvent): boolean {
  const t = e.target as HTMLElement;
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  return !(t.closest('textarea, select') || (t instanceof HTMLInputElement && t.type !== 'range'));
}
