/** Text cut to fit: by canvas pixel width (cards), or by a count of monospace characters (labels). */

/** Text cut to a pixel width with an ellipsis (at the start for names, whose end matters). */
export function fit(ctx: CanvasRenderingContext2D, text: string, width: number, keepEnd = false): string {
  if (ctx.measureText(text).width <= width) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    const t = keepEnd ? `…${text.slice(text.length - mid)}` : `${text.slice(0, mid)}…`;
    if (ctx.measureText(t).width <= width) lo = mid;
    else hi = mid - 1;
  }
  return keepEnd ? `…${text.slice(text.length - lo)}` : `${text.slice(0, lo)}…`;
}

/**
 * At most `chars` characters, the middle replaced by an ellipsis: a layer name's start (its
 * block) and end (its op) both stay ("/layer4/layer4.2/…/relu_2/Relu_output_0").
 */
export function elideMiddle(text: string, chars: number): string {
  if (text.length <= chars) return text;
  if (chars <= 1) return '…'.slice(0, Math.max(0, chars));
  const tail = Math.ceil((chars - 1) / 2);
  const head = chars - 1 - tail;
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
}
