/** Small canvas textures for the scene: stage titles, the input's caption, the prediction. */
import { CanvasTexture, LinearMipmapLinearFilter } from 'three/webgpu';
import { targetCaption, type CamTarget, type Prediction } from './CamSet.ts';
import { fit } from './TextFit.ts';

/** Where the probability bars start and how long a bar of 1 is, in card pixels (640 wide). */
const BAR_X = 200;
const BAR_MAX = 300;

export class CardTexture {
  /** One or two lines of text on a dark card. */
  static text(title: string, subtitle: string, accent = '#ffd23f'): CanvasTexture {
    const ctx = CardTexture.canvas(640, 110);
    ctx.fillStyle = accent;
    ctx.fillRect(0, 0, 8, 110);
    ctx.fillStyle = '#f2f2f2';
    ctx.font = 'bold 40px "DejaVu Sans", sans-serif';
    ctx.fillText(fit(ctx, title, 600), 24, 48);
    ctx.fillStyle = '#a9b4c6';
    ctx.font = '28px "DejaVu Sans", sans-serif';
    ctx.fillText(fit(ctx, subtitle, 600), 24, 92);
    return CardTexture.finish(ctx);
  }

  /** The prediction: top classes as bars, the explained class highlighted. */
  static prediction(top: readonly Prediction[], target: CamTarget, score: number): CanvasTexture {
    const ctx = CardTexture.canvas(640, 480);
    ctx.fillStyle = '#f2f2f2';
    ctx.font = 'bold 40px "DejaVu Sans", sans-serif';
    ctx.fillText('prediction', 28, 58);
    ctx.font = '26px "DejaVu Sans", sans-serif';
    ctx.fillStyle = '#a9b4c6';
    ctx.fillText(
      fit(ctx, `explaining ${targetCaption(target)}${Number.isFinite(score) ? ` · score ${score.toFixed(3)}` : ''}`, 590),
      28,
      100,
    );
    const rows = top.slice(0, 5);
    rows.forEach((p, k) => {
      const y = 140 + k * 64;
      // Bars end by x = 500, so the probability always sits after its bar on the dark card:
      // drawn over the end of a yellow bar (p > 0.82), "0." was white on yellow and the
      // point vanished ("0 905").
      const w = Number.isFinite(p.probability) ? Math.max(2, Math.min(1, p.probability) * BAR_MAX) : 2;
      ctx.fillStyle = p.class === target.class ? '#ffd23f' : '#4f6d9a';
      ctx.fillRect(BAR_X, y, w, 40);
      ctx.fillStyle = '#f2f2f2';
      ctx.font = '26px "DejaVu Sans", sans-serif';
      ctx.fillText(fit(ctx, p.label, 165), 28, y + 30);
      ctx.fillText(Number.isFinite(p.probability) ? p.probability.toFixed(3) : '', BAR_X + w + 10, y + 30);
    });
    if (!rows.length) {
      ctx.fillStyle = '#f2f2f2';
      ctx.fillText(`${target.label} (class ${target.class})`, 28, 170);
    }
    return CardTexture.finish(ctx);
  }

  private static canvas(w: number, h: number): CanvasRenderingContext2D {
    const c = document.createElement('canvas');
    c.width = w;
    c.height = h;
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = '#1d2027';
    ctx.fillRect(0, 0, w, h);
    return ctx;
  }

  /** Mipmapped: cards are seen from afar, where unfiltered text loses its thin strokes. */
  private static finish(ctx: CanvasRenderingContext2D): CanvasTexture {
    const t = new CanvasTexture(ctx.canvas);
    t.minFilter = LinearMipmapLinearFilter;
    t.generateMipmaps = true;
    return t;
  }
}
