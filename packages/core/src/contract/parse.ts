/** Text forms of contract values, shared by the CLI's flags and the sidecar JSON. */
import { CamanimError } from '../errors.ts';

/** "48x192" (H×W; 'x', 'X' or '×'), or one number for a square. Undefined when malformed. */
export function parseSize(text: string): [number, number] | undefined {
  const m = /^\s*(\d+)\s*(?:[xX×,]\s*(\d+))?\s*$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[1]);
  const w = m[2] === undefined ? h : Number(m[2]);
  return h > 0 && w > 0 ? [h, w] : undefined;
}

/** "0.485,0.456,0.406" (or one number), for --mean/--std. */
export function parseNumbers(text: string, flag: string): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const xs = parts.map(Number);
  if (parts.some((s) => s === '') || xs.some((v) => !Number.isFinite(v)) || !(xs.length === 1 || xs.length === 3)) {
    throw new CamanimError(
      'bad-input',
      `${flag} expects 1 or 3 comma-separated numbers (r,g,b), got '${text}'`,
      {},
      `For example ${flag} 0.485,0.456,0.406`,
    );
  }
  return xs;
}
