/**
 * The model contract on the command line: the flags (--input-size, --mean, --std, --scale,
 * --resize, --bgr, --layout, --preset, --output), the sidecar JSON beside the model, then what
 * the model itself says, resolved by core's contract/ the same way the library and the viewer
 * resolve it. Every run prints what it used.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Option, type Command } from 'commander';
import {
  PRESET_NAMES,
  RESIZE_POLICIES,
  adaptInput,
  contractModel,
  describeContract,
  describeSources,
  hfLabels,
  isTwoStage,
  loadGraph,
  parseHfPreprocessor,
  parseNumbers,
  parseSidecar,
  parseSize,
  resolveInputContract,
  Runtime,
  twoStageDetector,
  type ContractSource,
  type Graph,
  type InputContract,
  type InputRequest,
  type Model,
  type OutputRequest,
  type RuntimeOptions,
  type Sidecar,
  type TensorData,
} from '@camanim/core';
import { cliError } from './errors.ts';
import { GpuSession } from './gpu-session.ts';
import type { Progress } from './progress.ts';
import { addTaskOptions, taskRequest, type TaskFlags } from './task-flags.ts';

export interface ContractFlags extends TaskFlags {
  readonly inputSize?: string;
  readonly frames?: string;
  readonly mean?: string;
  readonly std?: string;
  readonly scale?: string;
  readonly resize?: string;
  readonly bgr?: boolean;
  readonly layout?: string;
  readonly preset?: string;
  readonly output?: string;
}

/** What a command needs to load the model under its contract, on any device (again after a loss). */
export interface ContractedModel {
  readonly graph: Graph;
  readonly input: InputContract;
  readonly output: OutputRequest;
  readonly sidecar?: Sidecar;
}

/** The contract options, the same on explain, road and layers. */
export function addContractOptions(cmd: Command): Command {
  return addTaskOptions(cmd)
    .option(
      '--input-size <HxW>',
      "model input size, e.g. 48x192 (default: the model's fixed size, else the image's, rounded to the model's stride)",
    )
    .option(
      '--frames <T>',
      "video models: the frames the model takes, where its input [N, C, T, H, W] leaves T symbolic (default: the model's fixed T)",
    )
    .option('--mean <r,g,b>', 'per-channel mean, after --scale (default: the sidecar JSON, the model metadata, or --preset)')
    .option('--std <r,g,b>', 'per-channel std, after --scale')
    .addOption(
      new Option('--scale <s>', 'pixel scale before mean/std: 1 (pixels / 255) or 255 (pixels as they are)').choices([
        '1',
        '255',
      ]),
    )
    .addOption(
      new Option(
        '--resize <policy>',
        'fit the image to the input: crop (centre crop), pad (letterbox) or stretch (default crop)',
      ).choices([...RESIZE_POLICIES]),
    )
    .option('--bgr', 'the model takes BGR channels (Caffe, OpenCV-trained models)')
    .addOption(new Option('--layout <layout>', "the input's layout, when the model's dims do not tell").choices(['nchw', 'nhwc']))
    .addOption(
      new Option(
        '--preset <name>',
        'named preprocessing (fills what nothing else gives): imagenet (torchvision/timm), inception (timm/Keras [-1, 1]), paddle (PaddleOCR), caffe (BGR 0..255 − mean), clip (OpenAI CLIP), raw (0..255)',
      ).choices([...PRESET_NAMES]),
    )
    .option('--output <name>', 'the output to explain, when the model has several');
}

export function flagSources(f: ContractFlags): ContractSource[] {
  const sources: ContractSource[] = [];
  const add = (from: string, request: InputRequest) => sources.push({ from, request });
  if (f.inputSize !== undefined) {
    const size = parseSize(f.inputSize);
    if (!size)
      throw cliError(
        `--input-size expects HxW, got '${f.inputSize}'`,
        {},
        'For example --input-size 48x192 (height × width), or --input-size 224',
      );
    add('--input-size', { size });
  }
  if (f.frames !== undefined) {
    const frames = Number(f.frames);
    if (!Number.isInteger(frames) || frames < 1)
      throw cliError(`--frames expects a positive whole number, got '${f.frames}'`, {}, 'For example --frames 16');
    add('--frames', { frames });
  }
  if (f.mean !== undefined) add('--mean', { mean: parseNumbers(f.mean, '--mean') });
  if (f.std !== undefined) add('--std', { std: parseNumbers(f.std, '--std') });
  if (f.scale !== undefined) add('--scale', { scale: Number(f.scale) as 1 | 255 });
  if (f.resize !== undefined) add('--resize', { resize: f.resize as InputRequest['resize'] });
  if (f.bgr) add('--bgr', { order: 'BGR' });
  if (f.layout !== undefined) add('--layout', { layout: f.layout.toUpperCase() as 'NCHW' | 'NHWC' });
  if (f.preset !== undefined) add('--preset', { preset: f.preset });
  return sources;
}

/** Sidecars are small; a huge one is a wrong file. */
const MAX_SIDECAR_BYTES = 16 << 20;

/**
 * `m.json` beside `m.onnx`, when there is one; else a Hugging Face export's
 * preprocessor_config.json (and config.json's id2label) in the model's folder.
 */
export function readSidecar(modelPath: string): Sidecar | undefined {
  const file = `${modelPath.replace(/\.onnx$/i, '')}.json`;
  const own = readSmall(file);
  if (own !== undefined) return parseSidecar(own, file);
  const hf = join(dirname(modelPath), 'preprocessor_config.json');
  const processor = readSmall(hf);
  if (processor === undefined) return undefined;
  const config = join(dirname(modelPath), 'config.json');
  const labels = readSmall(config);
  return {
    file: hf,
    input: parseHfPreprocessor(processor, hf),
    labels: labels === undefined ? undefined : hfLabels(labels, config),
  };
}

/** A small text file's contents, undefined when it does not exist; a huge one is a wrong file. */
function readSmall(file: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const size = fstatSync(fd).size;
    if (size > MAX_SIDECAR_BYTES)
      throw cliError(
        `${basename(file)} is ${size} bytes, more than a model's sidecar holds`,
        { file },
        "Check that it is the model's sidecar JSON (labels and preprocess), or remove it",
      );
    const bytes = Buffer.alloc(size);
    readSync(fd, bytes, 0, size, 0);
    return bytes.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Reads the model and its contract; `image` gives the size where the model leaves it open. */
export async function readContract(
  modelPath: string,
  flags: ContractFlags,
  image: { width: number; height: number } | undefined,
  onNotice: (m: string) => void,
  requireNormalization = true,
): Promise<ContractedModel> {
  const graph = await loadGraph(modelPath);
  const sidecar = readSidecar(modelPath);
  const sources = [...flagSources(flags), ...(sidecar ? [{ from: `model JSON ${sidecar.file}`, request: sidecar.input }] : [])];
  const input = resolveInputContract(graph, sources, { image, onNotice, requireNormalization });
  const named =
    flags.output !== undefined
      ? { output: flags.output, from: '--output' }
      : sidecar?.output !== undefined
        ? { output: sidecar.output, from: `model JSON ${sidecar.file}` }
        : {};
  const output: OutputRequest = { ...named, ...taskRequest(flags) };
  return { graph, input, output, sidecar };
}

/**
 * The model under its contract on a GPU session (gpu-session.ts: loaded again on a new device
 * after a device loss), the contract's lines printed once. `runtime`: how the device's runtime
 * builds its kernels (e.g. `unroll: 'startup'` for a command that runs the model once or twice).
 */
export async function openSession(
  c: ContractedModel,
  progress: Progress,
  env: NodeJS.ProcessEnv,
  runtime: RuntimeOptions = {},
  proposalsOf?: TensorData,
): Promise<GpuSession> {
  const session = await GpuSession.open(
    (device) =>
      progress.time('load model', () =>
        proposalsOf
          ? secondStageModel(c, proposalsOf, new Runtime(device, runtime), progress)
          : contractModel(c.graph, c.input, c.output, { runtime: new Runtime(device, runtime) }),
      ),
    { onNotice: (m) => progress.notice(m), env },
  );
  progress.notice(contractLines(session.model).trimEnd());
  return session;
}

/**
 * A two-stage detector (Faster R-CNN): its first stage on `image` (the preprocessed input), the
 * proposals chosen on the host as torchvision's RPN does, and the second stage on them, the model
 * explained for that image (core's twoStageDetector).
 */
async function secondStageModel(c: ContractedModel, image: TensorData, runtime: Runtime, progress: Progress): Promise<Model> {
  using detector = await twoStageDetector(c.graph, c.input, c.output, { runtime });
  const proposals = await detector.proposals(image);
  const s = detector.rpn.settings;
  const f = (v: number) => Number(v.toPrecision(6));
  progress.notice(
    `proposals: ${proposals.length}, chosen on the host as the graph's RPN does (top ${s.topK.join('/')} per level, sigmoid ≥ ${f(s.scoreThreshold)}, sides ≥ ${f(s.minSize)}, NMS IoU ${f(s.iou)} per level, ${s.keep} kept)`,
  );
  return detector.second(proposals);
}

/** Whether explaining the model needs each image's proposals first (a two-stage detector, with --task detect). */
export function needsProposals(c: ContractedModel): boolean {
  return c.output.task === 'detect' && c.output.detectFormat === undefined && isTwoStage(c.graph);
}

/** The graph with the contract's input (adapter, size), any output: for listing layers. */
export function inputOnly(c: ContractedModel): { graph: Graph; shape: number[] } {
  return adaptInput(c.graph, c.input);
}

/** The lines every run prints: the contract, and where each input field came from. */
function contractLines(model: Model): string {
  const c = model.contract!;
  return `contract: ${describeContract(c)}\n${describeSources(c.input)
    .map((l) => `  ${l}`)
    .join('\n')}\n`;
}
