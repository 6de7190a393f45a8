/**
 * The model contract a bundle records (manifest.contract, cam-methods' BundleContract: core's
 * ModelContract as the CLI resolved it, and its summary), or the page's own after computing:
 * how the image became the model's input and which output, after which activation, was
 * explained. The bundle validator checks it field by field.
 */
import type { BundleContract } from '@camanim/cam-methods';

export type ModelContract = BundleContract;

/** The whole contract, one fact a line: the hover text of the summary. */
export function contractDetail(c: ModelContract): string {
  const i = c.input;
  const list = (xs: readonly number[]) => xs.map((x) => String(Number(x.toPrecision(6)))).join(', ');
  const lines = [
    `input ${i.size[0]}×${i.size[1]} (H×W) · ${i.layout} · ${i.channels === 1 ? 'grey' : i.order}`,
    `pixels ${i.scale === 1 ? '/ 255 (0..1)' : 'as they are (0..255)'}, then (x − mean) / std: mean ${list(i.mean)} · std ${list(i.std)}`,
    `resize: ${RESIZE[i.resize]}`,
    ...Object.entries(i.sources).map(([k, v]) => `  ${k}: ${v}`),
    `output '${c.output.name}' [${c.output.shape.join(', ')}] · activation ${c.output.activation} · explained: ${c.output.explained}`,
  ];
  return lines.join('\n');
}

const RESIZE: Record<ModelContract['input']['resize'], string> = {
  crop: 'crop (cover the input, centre crop)',
  pad: 'pad (fit inside, letterbox)',
  stretch: 'stretch (to H×W, aspect not kept)',
};
