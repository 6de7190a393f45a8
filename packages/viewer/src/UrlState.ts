/**
 * What the address bar keeps: ?bundle=<url>&layer=<1-based, as in the captions>&method=<id>&norm=global|local
 * (and &speed=<layers per second>, and for a video &frame=<1-based input frame>), or for an eval folder ?eval=<url>&layer=…&method=<curve id>.
 * Written with replaceState, so sharing the address reopens the same view.
 */
import type { Normalization } from '@camanim/cam-methods';

export interface ViewState {
  bundle?: string;
  /** An eval folder (camanim eval's --out). */
  eval?: string;
  /** 0-based layer index. */
  layer?: number;
  /** A video's input frame shown, 0-based. */
  frame?: number;
  method?: string;
  norm?: Normalization;
  speed?: number;
}

export class UrlState {
  static read(search = location.search): ViewState {
    const q = new URLSearchParams(search);
    const layer = Number(q.get('layer'));
    const frame = Number(q.get('frame'));
    const speed = Number(q.get('speed'));
    const norm = q.get('norm');
    return {
      bundle: q.get('bundle') ?? undefined,
      eval: q.get('eval') ?? undefined,
      layer: Number.isInteger(layer) && layer >= 1 ? layer - 1 : undefined,
      frame: Number.isInteger(frame) && frame >= 1 ? frame - 1 : undefined,
      method: q.get('method') ?? undefined,
      norm: norm === 'local' || norm === 'global' ? norm : undefined,
      speed: Number.isFinite(speed) && speed > 0 ? speed : undefined,
    };
  }

  static write(state: ViewState): void {
    const q = new URLSearchParams(location.search);
    const set = (k: string, v: string | undefined) => (v === undefined ? q.delete(k) : q.set(k, v));
    set('bundle', state.bundle);
    set('eval', state.eval);
    set('layer', state.layer === undefined ? undefined : String(state.layer + 1));
    set('frame', state.frame === undefined ? undefined : String(state.frame + 1));
    set('method', state.method);
    set('norm', state.norm);
    set('speed', state.speed === undefined ? undefined : String(state.speed));
    const search = q.toString().replace(/%2F/g, '/').replace(/%3A/g, ':');
    const url = `${location.pathname}${search ? `?${search}` : ''}${location.hash}`;
    if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
  }
}
