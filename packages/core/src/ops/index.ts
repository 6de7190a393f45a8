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
import { averagePool } from './average-pool.ts';
import { globalAveragePool, globalMaxPool } from './global-pool.ts';
import { maxPool } from './max-pool.ts';

export const ops: readonly OpDef<any>[] = [
  ...unaryOps,
  clipOp,
  ...binaryOps,
  constant,
  identity,
  dropout,
  reshape,
  flatten,
  shape,
  maxPool,
  averagePool,
  globalAveragePool,
  globalMaxPool,
];

export const defaultRegistry = createOpRegistry(ops);
