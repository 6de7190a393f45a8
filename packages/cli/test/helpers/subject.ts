/**
 * The model the end-to-end tests explain: the bundled one when it exists and core supports its
 * ops, else test/fixtures/models/resnet18.onnx when supported, else the generated tiny model
 * (so the CLI's own plumbing is tested whatever state core is in).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeModel, defaultRegistry } from '@camanim/core';
import { BUNDLED_MODEL, bundledSamples } from '../../src/assets.ts';
import { writeTestImage } from './cli.ts';
import { writeTinyModel } from './tiny-model.ts';

export interface Subject {
  readonly kind: 'bundled' | 'resnet18' | 'tiny';
  readonly model: string;
  readonly image: string;
  /** Arguments selecting them (none for the bundled default). */
  readonly args: string[];
}

const RESNET18 = resolve(import.meta.dirname, '../../../../test/fixtures/models/resnet18.onnx');

function supported(file: string): boolean {
  if (!existsSync(file)) return false;
  try {
    const graph = decodeModel(new Uint8Array(readFileSync(file)), file);
    return graph.nodes.every((n) => (!n.domain || n.domain === 'ai.onnx') && defaultRegistry.get(n.opType));
  } catch {
    return false;
  }
}

export async function subject(dir: string): Promise<Subject> {
  const samples = bundledSamples();
  if (process.env.CAMANIM_TEST_MODEL !== 'tiny' && supported(BUNDLED_MODEL) && samples.length) {
    return { kind: 'bundled', model: BUNDLED_MODEL, image: samples[0], args: [] };
  }
  const image = await writeTestImage(join(dir, 'test-image.png'));
  if (process.env.CAMANIM_TEST_MODEL !== 'tiny' && supported(RESNET18))
    return { kind: 'resnet18', model: RESNET18, image, args: ['--model', RESNET18, '--image', image, '--preset', 'imagenet'] };
  const model = writeTinyModel(join(dir, 'tiny.onnx'));
  return { kind: 'tiny', model, image, args: ['--model', model, '--image', image] };
}
