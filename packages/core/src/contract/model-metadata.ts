/**
 * What a model's own metadata_props say about its image input: ONNX's image metadata
 * (onnx/docs/MetadataProps.md, "Image Category Definition", as Windows ML and its converters
 * write it): Image.BitmapPixelFormat (Gray8, Rgb8, Bgr8, Rgba8, Bgra8) gives the channel order,
 * Image.NominalPixelRange (NominalRange_0_255, Normalized_0_1, Normalized_1_1,
 * NominalRange_16_235) the pixel range. Keys and values are case-insensitive there.
 * Also the QGIS Deepness plugin's convention (its "Model metadata" docs): standardization_mean
 * and standardization_std as JSON lists, applied to pixels / 255.
 */
import { CamanimError } from '../errors.ts';
import type { Graph } from '../graph/ir.ts';
import type { InputRequest } from './input-request.ts';

const RANGES: Record<string, InputRequest> = {
  nominalrange_0_255: { scale: 255, mean: [0], std: [1] },
  normalized_0_1: { scale: 1, mean: [0], std: [1] },
  normalized_1_1: { scale: 1, mean: [0.5], std: [0.5] },
};

export function metadataRequest(graph: Graph): InputRequest | undefined {
  const props = new Map([...(graph.metadata ?? [])].map(([k, v]) => [k.toLowerCase(), v.trim().toLowerCase()]));
  const format = props.get('image.bitmappixelformat');
  const range = props.get('image.nominalpixelrange');
  const standardization = deepness(graph, props);
  if (standardization) return standardization;
  if (format === undefined && range === undefined) return undefined;
  const order =
    format === undefined
      ? undefined
      : format.startsWith('bgr')
        ? 'BGR'
        : format.startsWith('rgb') || format === 'gray8'
          ? 'RGB'
          : undefined;
  if (format !== undefined && order === undefined) {
    throw new CamanimError(
      'bad-model',
      `The model's metadata_props Image.BitmapPixelFormat is '${format}', which camanim does not know`,
      { file: graph.source },
      'Expected Gray8, Rgb8, Bgr8, Rgba8 or Bgra8; pass --bgr or leave it out to override',
    );
  }
  if (range !== undefined && !RANGES[range]) {
    throw new CamanimError(
      'bad-model',
      `The model's metadata_props Image.NominalPixelRange is '${range}', which camanim cannot produce`,
      { file: graph.source },
      "camanim feeds 0..255, 0..1 or -1..1 pixels; pass --scale, --mean and --std to state the model's input yourself",
    );
  }
  return { ...(order ? { order } : {}), ...(range ? RANGES[range] : {}) } as InputRequest;
}

function deepness(graph: Graph, props: ReadonlyMap<string, string>): InputRequest | undefined {
  const read = (key: string) => {
    const text = props.get(key);
    if (text === undefined) return undefined;
    let xs: unknown;
    try {
      xs = JSON.parse(text);
    } catch {
      xs = undefined;
    }
    if (!(Array.isArray(xs) && xs.length > 0 && xs.every((v) => typeof v === 'number' && Number.isFinite(v)))) {
      throw new CamanimError(
        'bad-model',
        `The model's metadata_props ${key} is '${text}', not a JSON list of numbers`,
        { file: graph.source },
        'Pass --mean and --std to state the normalization yourself',
      );
    }
    return xs as number[];
  };
  const mean = read('standardization_mean');
  const std = read('standardization_std');
  if (!mean && !std) return undefined;
  return { scale: 1, ...(mean ? { mean } : {}), ...(std ? { std } : {}) };
}
