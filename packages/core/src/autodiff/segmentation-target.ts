/**
 * pytorch-grad-cam's SemanticSegmentationTarget (utils/model_targets.py): the class's scores
 * summed over a mask, `(model_output[category, :, :] * mask).sum()`, on one item's [K, H, W]
 * output. Without a mask, the pixels the model predicts as that class (the argmax over K, the
 * first of equal maxima as numpy's argmax), as the library's tutorial builds it.
 */
import { CamanimError } from '../errors.ts';
import type { CustomTarget } from './targets.ts';

export function segmentationTarget(category: number, classes: number, mask?: ArrayLike<number>): CustomTarget {
  if (!(Number.isInteger(category) && category >= 0 && category < classes)) {
    throw new CamanimError(
      'bad-target',
      `Class ${category} is out of range: the segmentation output has ${classes} classes (0 to ${classes - 1})`,
      {},
      'Pick a class within range',
    );
  }
  return {
    describe: `SemanticSegmentationTarget(${category})`,
    score(row: Float32Array) {
      const hw = row.length / classes;
      if (!Number.isInteger(hw))
        throw new CamanimError(
          'bad-target',
          `A segmentation output row of ${row.length} values does not split into ${classes} classes`,
          {},
          'Explain an [N, K, H, W] output',
        );
      if (mask && mask.length !== hw)
        throw new CamanimError(
          'bad-target',
          `The segmentation mask has ${mask.length} values for a ${hw}-pixel output`,
          {},
          'Give one mask value per output pixel',
        );
      const m = mask ?? predictedMask(row, classes, category);
      const grad = new Float32Array(row.length);
      let value = 0;
      for (let p = 0; p < hw; p++) {
        value += row[category * hw + p] * m[p];
        grad[category * hw + p] = m[p];
      }
      return { value, grad };
    },
  };
}

/** 1 where `category` is the argmax over the K classes (first maximum wins), else 0. */
export function predictedMask(row: Float32Array, classes: number, category: number): Float32Array {
  const hw = row.length / classes;
  const mask = new Float32Array(hw);
  for (let p = 0; p < hw; p++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (row[k * hw + p] > row[best * hw + p]) best = k;
    mask[p] = best === category ? 1 : 0;
  }
  return mask;
}

/** The share of pixels predicted as each class. */
export function classAreas(row: Float32Array, classes: number): Float32Array {
  const areas = new Float32Array(classes);
  for (let k = 0; k < classes; k++) {
    const m = predictedMask(row, classes, k);
    areas[k] = m.reduce((a, b) => a + b, 0) / m.length;
  }
  return areas;
}
