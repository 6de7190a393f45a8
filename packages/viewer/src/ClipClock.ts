/**
 * The clock of a video's clip playing at the current layer: while it plays, how many input
 * frames each rendered frame moves on (at Playback's clipFps), the fractions carried over so
 * that a slow renderer (a software GPU) still plays in real time.
 */
export class ClipClock {
  playing = false;
  private carry = 0;

  /** Starts or stops; a start begins a whole frame from now. */
  setPlaying(playing: boolean): void {
    this.playing = playing;
    this.carry = 0;
  }

  /** Frames to move on after `dt` seconds at `fps` frames a second (0 while stopped). */
  advance(dt: number, fps: number): number {
    if (!this.playing) return 0;
    this.carry += dt * fps;
    const n = Math.floor(this.carry);
    this.carry -= n;
    return n;
  }
}
