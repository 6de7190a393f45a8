/**
 * `camanim metrics` and its alias `camanim road` (ROAD only): the CAMs of the selected layers of one
 * image and one CAM method, then each metric per layer — ROAD (cam-methods' ybroad: a table of
 * MoRF/LeRF per percentile and ROAD, ybROAD_max / ybROAD_mean) and the metrics beside it
 * (../metrics.ts: drop, increase, multconf, insertion, deletion, mprt). With --out, writes
 * ybroad.svg / .png / .json and <metric>.svg / .png / .json.
 */
import { resolve } from 'node:path';
import { defaultCamRegistry, layersFor, targetKindName, type LayerSelection, type TargetKind } from '@camanim/cam-methods';
import { cropNotice } from '@camanim/core';
import type { TargetChoice } from '../options.ts';
import { bundledModel, defaultImage } from '../assets.ts';
import { Staging } from '../staging.ts';
import { readImage } from '../image.ts';
import type { Io } from '../io.ts';
import { loadLabels } from '../labels.ts';
import { openSession, readContract, type ContractFlags } from '../contract.ts';
import { cliError } from '../errors.ts';
import { preprocess } from '../preprocess.ts';
import { explainTargets } from '../explain/explanations.ts';
import type { GpuSession } from '../gpu-session.ts';
import { Progress } from '../progress.ts';
import { scoreFiles } from '../layer-scores.ts';
import type { MetricsChoice } from '../metrics.ts';
import { roadSummary, roadTable, roadTargetKind, type RoadChoice } from '../road.ts';
import { checkClassRange, predictionLine } from '../target.ts';
import { taskFor } from '../task.ts';

export interface RoadCommandOptions {
  readonly model?: string;
  readonly image?: string;
  /** Largest image (width·height) decoded. */
  readonly maxPixels: number;
  readonly method: string;
  readonly target: TargetChoice;
  readonly targetKind: TargetKind;
  readonly layers: LayerSelection;
  readonly road: RoadChoice;
  readonly out?: string;
  readonly labels?: string;
  readonly quiet: boolean;
  readonly contract: ContractFlags;
  /** camanim metrics: which metrics and their options (default: ROAD only, camanim road). */
  readonly metrics?: MetricsChoice;
}

export async function roadCommand(opts: RoadCommandOptions, io: Io): Promise<void> {
  const progress = new Progress(io, opts.quiet);
  const method = defaultCamRegistry.get(opts.method);
  const modelPath = resolve(opts.model ?? bundledModel());
  const image = await readImage(opts.image ?? defaultImage(), { maxPixels: opts.maxPixels, onNotice: (m) => progress.notice(m) });
  const contracted = await readContract(modelPath, opts.contract, image, (m) => progress.notice(m));
  if (contracted.input.frames)
    throw cliError(
      'camanim road does not score video models [N, C, T, H, W] yet: ROAD imputes 2-D images',
      { file: modelPath },
      'Explain it with camanim explain --video',
    );
  const kind = contracted.output.task ?? 'classify';
  if (kind !== 'classify')
    throw cliError(
      `camanim road does not score --task ${kind} yet: ROAD measures a classifier's confidence`,
      {},
      `Explain it with camanim explain --task ${kind}`,
    );
  let session: GpuSession | undefined;
  let text = '';
  try {
    session = await openSession(contracted, progress, io.env);
    const gpu = session;
    const contract = gpu.model.contract!;
    const explained = gpu.model.graph.outputs[0].name;
    const numClasses = contract.output.classes;
    checkClassRange(opts.target, numClasses, gpu.model.source);
    const labels = loadLabels(numClasses, opts.labels, contracted.sidecar?.labels);
    const task = taskFor(contract.output, labels);
    const settings = {
      methods: [method],
      layers: new Map([[method.id, layersFor(gpu.model, method, opts.layers)]]),
      task,
      activation: contract.output.activation,
      road: opts.road,
      scoring: opts.metrics ?? { ids: ['road' as const] },
      progress,
    };
    const cropped = cropNotice(image, contract.input, 'the image');
    if (cropped) progress.notice(cropped);
    const x = await preprocess(image, contract.input);
    const confidence = roadTargetKind(opts.road, contract.output.activation);
    // One step from the forward to the scores: after a device loss it runs again on the new device.
    const { scores, target, names } = await gpu.step('scoring the layers', async (model) => {
      const run = await progress.time('forward', () => model.run({ data: x.data, shape: x.shape }));
      try {
        await gpu.faultPoint();
        const classScores = task.scores((await run.read(explained)).data);
        progress.notice(`prediction: ${predictionLine(task.top(classScores))}`);
        const targets = task.targets(
          classScores,
          opts.target.kind === 'top-k' ? { kind: 'predicted' } : opts.target,
          opts.targetKind,
        );
        const [ex] = (await explainTargets(run, targets.slice(0, 1), settings)).explanations;
        return {
          scores: { ybroad: ex.ybroad, metrics: ex.metrics ?? [] },
          target: ex.target,
          names: ex.stack.layers.map((l) => l.name),
        };
      } finally {
        run.dispose();
      }
    });
    const yb = scores.ybroad;
    text = `${method.title} · ${target.label} (class ${target.class}) · CAM target: ${targetKindName(target.kind)} · ${yb ? 'ROAD' : 'metrics'} target: ${confidence}\n`;
    if (yb) text += roadTable(yb, names) + roadSummary(yb);
    text += scores.metrics.map((m) => m.text).join('');
    if (opts.out) {
      const outputs = await scoreFiles(
        scores,
        { contract, method: method.id, target, confidence, layers: names },
        `${method.title} · ${target.label} (class ${target.class})`,
      );
      const staging = await Staging.open(opts.out);
      try {
        const files = [];
        for (const f of outputs) files.push(await staging.write([f.name], f.data));
        await staging.commit();
        text += files.map((f) => `${staging.finalPath(f)}\n`).join('');
      } catch (e) {
        await staging.abort();
        throw e;
      }
    }
  } finally {
    session?.dispose();
  }
  io.out(text);
  progress.printSummary();
}
