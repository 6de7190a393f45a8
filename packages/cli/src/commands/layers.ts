/** `camanim layers <model>`: every layer of a model (index, ONNX name, op type, shape), and which get a CAM. */
import { resolve } from 'node:path';
import { selectLayers } from '@camanim/cam-methods';
import { acquireDevice, loadModel } from '@camanim/core';
import type { Io } from '../io.ts';
import { table } from '../table.ts';

export async function layers(modelPath: string, io: Io): Promise<void> {
  const device = await acquireDevice({ onNotice: (m) => io.err(`${m}\n`) });
  try {
    const model = await loadModel(resolve(modelPath), { device });
    try {
      const spatial = new Set(safeSelect(() => selectLayers(model, { kinds: 'spatial' })));
      const all = new Set(safeSelect(() => selectLayers(model, { kinds: 'all' })));
      const rows = model.layers.map((l) => [String(l.index), l.name, l.opType, `[${l.shape.join(', ')}]`, spatial.has(l.name) ? 'spatial' : all.has(l.name) ? 'stripe' : '']);
      io.out(table(['index', 'name', 'op', 'shape', 'cam'], rows, [0]));
      io.out(`${model.layers.length} layers; ${spatial.size} spatial (CAM by default), ${all.size - spatial.size} more with --layers all\n`);
    } finally {
      model.dispose();
    }
  } finally {
    device.destroy();
  }
}

function safeSelect(fn: () => { name: string }[]): string[] {
  try {
    return fn().map((l) => l.name);
  } catch {
    return [];
  }
}
