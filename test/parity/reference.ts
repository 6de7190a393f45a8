/**
 * onnxruntime-node as the forward reference: the model is re-encoded with every float node
 * output added as a graph output, so every intermediate tensor can be compared, not only the
 * logits.
 */
import { readFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

export async function referenceActivations(
  file: string,
  inputName: string,
  input: Float32Array,
  shape: number[],
  names: readonly string[],
): Promise<Map<string, Float32Array>> {
  const model = onnx.ModelProto.decode(readFileSync(file));
  const graph = model.graph!;
  const existing = new Set((graph.output ?? []).map((o) => o.name));
  for (const name of names) {
    if (existing.has(name)) continue;
    graph.output!.push(onnx.ValueInfoProto.create({ name, type: { tensorType: { elemType: 1 } } }));
  }
  const bytes = onnx.ModelProto.encode(model).finish();
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    const out = await session.run({ [inputName]: new ort.Tensor('float32', input, shape) });
    return new Map(Object.entries(out).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await session.release();
  }
}
