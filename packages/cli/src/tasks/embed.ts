/**
 * --task embed: the cosine similarity of the image's embedding to --reference's, pytorch-grad-cam's
 * SimilarityToConceptTarget; the reference is embedded by the same model under the same contract.
 */
import { basename } from 'node:path';
import { similarityTarget, type Model, type OutputContract } from '@camanim/core';
import { fmt } from '../frames.ts';
import { readImage } from '../image.ts';
import { preprocess } from '../preprocess.ts';
import { builtTask, type Task } from './types.ts';

/** The model's explained output on the reference image. */
export async function referenceEmbedding(
  model: Model,
  file: string,
  maxPixels: number,
  onNotice: (m: string) => void,
): Promise<Float32Array> {
  const x = await preprocess(await readImage(file, { maxPixels, onNotice }), model.contract!.input);
  const run = await model.run({ data: x.data, shape: x.shape });
  try {
    const out = await run.read(model.graph.outputs[0].name);
    return Float32Array.from(out.data.subarray(0, out.data.length / (out.shape[0] || 1)));
  } finally {
    run.dispose();
  }
}

export function embedTask(output: OutputContract, reference: Float32Array, file: string): Task {
  const target = similarityTarget(reference);
  const item = (s: Float32Array) => {
    const cos = target.score(s).value;
    const caption = `cosine to ${basename(file)} ${fmt(cos)}`;
    return [
      {
        class: 0,
        label: `similarity to ${basename(file)}`,
        logit: cos,
        probability: cos,
        rank: 1,
        kind: 'logit' as const,
        caption,
        cam: target,
      },
    ];
  };
  return builtTask(output.classes, item, item);
}
