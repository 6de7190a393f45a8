/**
 * The time bar of a video or volume bundle (hidden for an image): the input frame shown,
 * "frame t / T", a slider, step buttons, play/pause of the clip at the current layer, and
 * whether the flythrough plays each layer's clip as it passes (the CLI's animation: layer
 * after layer, each through time). Keys: ',' / '.' or Shift+←/→ step a frame, Shift+space
 * plays the clip.
 */
import { transportKey } from './Controls.ts';

export interface TimeEvents {
  /** Shows input frame t (0-based). */
  seek(frame: number): void;
  step(delta: number): void;
  /** Plays or pauses the clip at the current layer. */
  toggle(): void;
  /** Whether the flythrough plays each layer's clip. */
  clipFlythrough(on: boolean): void;
}

export class TimeControl {
  private readonly q: <T extends HTMLElement>(role: string) => T;
  private count = 0;

  constructor(
    readonly root: HTMLElement,
    private readonly events: TimeEvents,
  ) {
    root.innerHTML = `
      <span class="time-title">time</span>
      <button data-role="frame-back" title="Previous frame (, or Shift+←)" aria-label="Previous frame">‹</button>
      <button data-role="frame-play" title="Play / pause the clip at this layer (Shift+space)" aria-label="Play the clip">▶</button>
      <button data-role="frame-forward" title="Next frame (. or Shift+→)" aria-label="Next frame">›</button>
      <input data-role="frame-scrub" type="range" min="0" max="0" value="0" step="1" aria-label="Input frame">
      <span data-role="frame-readout" class="readout">–</span>
      <label title="Play: each layer's clip as the camera passes it, layer after layer, as camanim explain's animation"><input data-role="clip-flythrough" type="checkbox"> flythrough plays each layer's clip</label>`;
    this.q = <T extends HTMLElement>(role: string) => root.querySelector(`[data-role="${role}"]`) as T;
    this.q('frame-back').onclick = () => events.step(-1);
    this.q('frame-forward').onclick = () => events.step(1);
    this.q('frame-play').onclick = () => events.toggle();
    this.q<HTMLInputElement>('frame-scrub').oninput = (e) => events.seek(Number((e.target as HTMLInputElement).value));
    this.q<HTMLInputElement>('clip-flythrough').onchange = (e) => events.clipFlythrough((e.target as HTMLInputElement).checked);
    root.querySelectorAll('button').forEach((b) => b.addEventListener('click', () => b.blur()));
    document.addEventListener('keydown', (e) => this.key(e));
    this.setFrames(1);
  }

  /** The input frames of what is shown: the bar shows for more than one. */
  setFrames(count: number): void {
    this.count = count;
    this.q<HTMLInputElement>('frame-scrub').max = String(Math.max(0, count - 1));
    this.root.hidden = count < 2;
  }

  setCurrent(t: number): void {
    this.q<HTMLInputElement>('frame-scrub').value = String(t);
    this.q('frame-readout').textContent = `frame ${t + 1} / ${this.count}`;
  }

  setPlaying(playing: boolean): void {
    const b = this.q('frame-play');
    b.textContent = playing ? '❚❚' : '▶';
    b.setAttribute('aria-label', playing ? 'Pause the clip' : 'Play the clip');
  }

  get clipFlythrough(): boolean {
    return this.q<HTMLInputElement>('clip-flythrough').checked;
  }

  setClipFlythrough(on: boolean): void {
    this.q<HTMLInputElement>('clip-flythrough').checked = on;
  }

  private key(e: KeyboardEvent): void {
    if (this.count < 2 || !transportKey(e)) return;
    const shifted: Record<string, () => void> = {
      ArrowRight: () => this.events.step(1),
      ArrowLeft: () => this.events.step(-1),
      ' ': () => this.events.toggle(),
    };
    const plain: Record<string, () => void> = {
      '.': () => this.events.step(1),
      ',': () => this.events.step(-1),
    };
    const f = (e.shiftKey ? shifted : {})[e.key] ?? plain[e.key];
    if (!f) return;
    e.preventDefault();
    f();
  }
}
