/**
 * `camanim layers <model>`: every layer of a model (index, ONNX name, op type, shape) at the
 * input size `explain` would use (the same contract flags), which get a CAM, and what the output
 * contract makes of the model's outputs.
 */
import { resolve } from 'node:path';
import { selectLayers, type LayerInfo } from '@camanim/cam-methods';
import {
  acquireDevice,
  describeInput,
  describeOutput,
  isCamanimError,
  modelFromGraph,
  resolveOutputContract,
} from '@camanim/core';
import { defaultImage } from '../assets.ts';
import { inputOnly, readContract, type ContractFlags } from '../contract.ts';
import { readImage } from '../image.ts';
import type { Io } from '../io.ts';
import { table } from '../table.ts';

export interface LayersOptions {
  readonly contract: ContractFlags;
  /** The image whose size explain would use where the model leaves it open (default: the bundled sample). */
  readonly image?: string;
  readonly maxPixels: number;
}

export async function layers(modelPath: string, opts: LayersOptions, io: Io): Promise<void> {
  const notice = (m: string) => io.err(`${m}\n`);
  const image =
    opts.contract.inputSize === undefined
      ? await readImage(opts.image ?? defaultImage(), { maxPixels: opts.maxPixels, onNotice: notice })
      : undefined;
  const contracted = await readContract(resolve(modelPath), opts.contract, image, notice, false);
  const { graph, shape } = inputOnly(contracted);
  const device = await acquireDevice({ onNotice: notice });
  try {
    const model = await modelFromGraph(graph, { device, inputShape: shape });
    try {
      const spatial = new Map(safeSelect(() => selectLayers(model, { kinds: 'spatial' })).map((l) => [l.name, l]));
      const all = new Set(safeSelect(() => selectLayers(model, { kinds: 'all' })).map((l) => l.name));
      // How each layer is read: a map (channels-last ones with their channel axis last), tokens on a grid, a stripe.
      const kind = (name: string, rank: number) => {
        const l = spatial.get(name);
        if (!l) return all.has(name) ? 'stripe' : '';
        if (l.frames) return `video, ${l.frames} frame${l.frames > 1 ? 's' : ''}`;
        if (!l.tokens) return 'spatial';
        return rank === 4
          ? 'spatial, NHWC'
          : `tokens ${l.shape[2]}×${l.shape[3]}${l.tokens.prefix ? `, ${l.tokens.prefix} dropped` : ''}`;
      };
      const rows = model.layers.map((l) => [
        String(l.index),
        l.name,
        l.opType,
        `[${l.shape.join(', ')}]`,
        kind(l.name, l.shape.length),
      ]);
      io.out(table(['index', 'name', 'op', 'shape', 'cam'], rows, [0]));
      io.out(
        `${model.layers.length} layers; ${spatial.size} spatial (CAM by default), ${all.size - spatial.size} more with --layers all\n`,
      );
      const i = contracted.input;
      const stated = !i.sources.mean.startsWith('not needed');
      io.out(
        `input: ${stated ? describeInput(i) : `${i.size[0]}×${i.size[1]} ${i.layout}, normalization not stated (explain will need --preset or --mean/--std)`} (size: ${i.sources.size})\n`,
      );
      const values = model.planFor(model.defaultShapes()).inferred.values;
      io.out(
        `output: ${outputLine(() => describeOutput(resolveOutputContract(graph, (t) => values.get(t)?.shape, contracted.output)))}\n`,
      );
    } finally {
      model.dispose();
    }
  } finally {
    device.destroy();
  }
}

/** The output contract, or why explain would refuse it. */
function outputLine(describe: () => string): string {
  try {
    return describe();
  } catch (e) {
    if (isCamanimError(e)) return `explain would refuse it: ${e.message}`;
    throw e;
  }
}

function safeSelect(fn: () => LayerInfo[]): LayerInfo[] {
  try {
    return fn();
  } catch {
    return [];
  }
}
