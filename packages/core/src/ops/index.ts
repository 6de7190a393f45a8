/** The explicit list of supported ONNX ops; one line (or one table) per module. */
import { binaryOps } from './binary.ts';
import { constant } from './constant.ts';
import { flatten } from './flatten.ts';
import { dropout, identity } from './identity.ts';
import type { OpDef } from './op.ts';
import { createOpRegistry } from './registry.ts';
import { reshape } from './reshape.ts';
import { shape } from './shape.ts';
import { clipOp, unaryOps } from './unary.ts';
import { cast } from './cast.ts';
import { concat } from './concat.ts';
import { constantOfShape } from './constant-of-shape.ts';
import { expand } from './expand.ts';
import { gather } from './gather.ts';
import { pad } from './pad.ts';
import { range } from './range.ts';
import { resize, upsample } from './resize.ts';
import { slice } from './slice.ts';
import { split } from './split.ts';
import { squeeze, unsqueeze } from './squeeze.ts';
import { transpose } from './transpose.ts';
import { averagePool } from './average-pool.ts';
import { globalAveragePool, globalMaxPool } from './global-pool.ts';
import { maxPool } from './max-pool.ts';
import { batchNormalization } from './batch-norm.ts';
import { logSoftmax, softmax } from './softmax.ts';
import { reduceOps } from './reduce.ts';
import { layerNormalization } from './layer-norm.ts';
import { matmul } from './matmul.ts';
import { gemm } from './gemm.ts';
import { conv } from './conv.ts';
import { compareOps } from './compare.ts';
import { logicOps } from './logic.ts';
import { where } from './where.ts';
import { roundingOps } from './rounding.ts';
import { variadicOps } from './variadic.ts';
import { tile } from './tile.ts';
import { convTranspose } from './conv-transpose.ts';
import { groupNormalization } from './group-norm.ts';
import { instanceNormalization } from './instance-norm.ts';
import { depthToSpace } from './depth-to-space.ts';
import { spaceToDepth } from './space-to-depth.ts';
import { gatherElements } from './gather-elements.ts';
import { gatherND } from './gather-nd.ts';
import { cumsum } from './cumsum.ts';
import { einsum } from './einsum.ts';
import { scatterND } from './scatter-nd.ts';
import { roiAlign } from './roi-align.ts';
import { nonZeroOp } from './non-zero.ts';
import { scatter, scatterElements } from './scatter-elements.ts';
import { argMax, argMin } from './arg-extreme.ts';
import { topk } from './topk.ts';
import { ifOp } from './if.ts';

export const ops: readonly OpDef[] = [
  ...unaryOps,
  clipOp,
  ...binaryOps,
  constant,
  identity,
  dropout,
  reshape,
  flatten,
  shape,
  concat,
  split,
  slice,
  transpose,
  squeeze,
  unsqueeze,
  pad,
  gather,
  cast,
  constantOfShape,
  expand,
  range,
  resize,
  upsample,
  maxPool,
  averagePool,
  globalAveragePool,
  globalMaxPool,
  batchNormalization,
  softmax,
  logSoftmax,
  ...reduceOps,
  layerNormalization,
  matmul,
  gemm,
  conv,
  ...compareOps,
  ...logicOps,
  where,
  ...roundingOps,
  ...variadicOps,
  tile,
  convTranspose,
  groupNormalization,
  instanceNormalization,
  depthToSpace,
  spaceToDepth,
  gatherElements,
  gatherND,
  cumsum,
  einsum,
  scatterND,
  roiAlign,
  nonZeroOp,
  scatterElements,
  scatter,
  argMax,
  argMin,
  topk,
  ifOp,
];

export const defaultRegistry = createOpRegistry(ops);
