/**
 * pytorch-grad-cam's SimilarityToConceptTarget (its embeddings tutorial, "Pixel Attribution for
 * embeddings"): the cosine similarity
 * of one item's embedding to a reference embedding, `torch.nn.CosineSimilarity(dim=0)(output,
 * features)` = x·r / max(‖x‖‖r‖, 1e-8). Its gradient is r / (‖x‖‖r‖) − cos · x / ‖x‖².
 */
import { CamanimError } from '../errors.ts';
import type { CustomTarget } from './targets.ts';

const EPS = 1e-8;

export function similarityTarget(reference: ArrayLike<number>): CustomTarget {
  const r = Float64Array.from(reference);
  const rNorm = Math.hypot(...r);
  if (!(rNorm > 0))
    throw new CamanimError(
      'bad-target',
      'The reference embedding is all zeros: every cosine similarity to it is 0',
      {},
      'Pick another --reference image, or check --output is the embedding',
    );
  return {
    describe: `SimilarityToConceptTarget(${r.length} features)`,
    score(row) {
      if (row.length !== r.length) {
        throw new CamanimError(
          'bad-target',
          `The embedding has ${row.length} values and the reference ${r.length}`,
          {},
          'Embed the reference with the same model and output',
        );
      }
      let dot = 0;
      let xx = 0;
      for (let i = 0; i < row.length; i++) [dot, xx] = [dot + row[i] * r[i], xx + row[i] * row[i]];
      const xNorm = Math.sqrt(xx);
      const denom = Math.max(xNorm * rNorm, EPS);
      const cos = dot / denom;
      const grad = new Float32Array(row.length);
      // Below eps the denominator is a constant: the gradient is r / eps.
      for (let i = 0; i < row.length; i++) grad[i] = xNorm * rNorm > EPS ? r[i] / denom - (cos * row[i]) / xx : r[i] / EPS;
      return { value: cos, grad };
    },
  };
}
