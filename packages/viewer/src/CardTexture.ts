/** Small canvas textures for the scene: stage titles, the input's caption, the prediction. */
import { CanvasTexture, LinearFilter } from 'three/webgpu';
import { targetCaption, type CamTarget, type Prediction } from './CamSet.ts';
import { fit } from './LabelAtlas.ts';

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
    ctx.fillText(fit(ctx, `explaining ${targetCaption(target)}${Number.isFinite(score) ? ` · score ${score.toFixed(3)}` : ''}`, 590), 28, 100);
    const rows = top.slice(0, 5);
    rows.forEach((p, k) => {
      const y = 140 + k * 64;
      const w = Number.isFinite(p.probability) ? Math.max(2, p.probability * 400) : 2;
      ctx.fillStyle = p.class === target.class ? '#ffd23f' : '#4f6d9a';
      ctx.fillRect(200, y, w, 40);
      ctx.fillStyle = '#f2f2f2';
      ctx.font = '26px "DejaVu Sans", sans-serif';
      ctx.fillText(fit(ctx, p.label, 165), 28, y + 30);
      ctx.fillText(Number.isFinite(p.probability) ? p.probability.toFixed(3) : '', 210 + Math.min(w, 330), y + 30);
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

  private static finish(ctx: CanvasRenderingContext2D): CanvasTexture {
    const t = new CanvasTexture(ctx.canvas);
    t.minFilter = LinearFilter;
    t.generateMipmaps = false;
    return t;
  }
}
