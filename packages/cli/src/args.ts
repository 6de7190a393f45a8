/**
 * The command line: `camanim explain`, `camanim layers`, `camanim methods`, parsed with
 * commander into typed options. Values are checked here, before anything heavy runs.
 */
import { Command, Option } from 'commander';
import { TARGET_KINDS, type LayerSelection, type TargetKind, type TokenOptions } from '@camanim/cam-methods';
import { parseSize } from '@camanim/core';
import { colormapNames, type ColormapName } from '@camanim/shaders';
import { explain } from './commands/explain.ts';
import { layers } from './commands/layers.ts';
import { methods } from './commands/methods.ts';
import { view } from './commands/view.ts';
import { roadCommand, type RoadCommandOptions } from './commands/road.ts';
import { evalCommand, type EvalOptions } from './commands/eval.ts';
import { workerCommand, type WorkerOptions } from './commands/worker.ts';
import { METRIC_IDS, parseMetricList, type MetricsChoice } from './metrics.ts';
import { addContractOptions, type ContractFlags } from './contract.ts';
import { taskFlags } from './task-flags.ts';
import { cliError } from './errors.ts';
import type { Io } from './io.ts';
import { DEFAULT_MAX_PIXELS } from './image.ts';
import { parseRoad, type RawRoadFlags } from './road.ts';
import { FORMATS, type ExplainOptions, type Format, type NormalizationChoice, type TargetChoice } from './options.ts';

/** --metrics, --causal-step, --mprt-seed (explain and metrics). */
interface RawMetricFlags {
  metrics?: string;
  causalStep?: string;
  mprtSeed?: string;
}

interface RawExplain extends ContractFlags, RawRoadFlags, RawMetricFlags {
  model?: string;
  image?: string[];
  video?: string[];
  maxPixels: string;
  method: string;
  eigenSmooth?: boolean;
  augSmooth?: boolean;
  kpcaKernel?: string;
  kpcaGamma?: string;
  femK?: string;
  finerAlpha?: string;
  fusion?: string;
  dffComponents?: string;
  dffTop?: string;
  headFusion?: string;
  discardRatio?: string;
  renormalize?: string;
  class?: string;
  topK?: string;
  target?: string;
  layers: string;
  every?: string;
  tokenGrid?: string;
  prefixTokens?: string;
  percentiles?: string;
  normalization: string;
  colormap: string;
  alpha: string;
  fps: string;
  size: string;
  labels?: string;
  out: string;
  format: string;
  quiet?: boolean;
  ybroad?: boolean;
}

const MAX_PIXELS = [
  '--max-pixels <n>',
  'refuse images larger than n pixels (width·height), checked before decoding',
  String(DEFAULT_MAX_PIXELS),
] as const;
const TARGET_KIND = [
  '--target <kind>',
  "score the CAMs explain: logit (the class logit), softmax (its probability) or rest (ReST = logit + log softmax, pytorch-grad-cam's ClassifierOutputReST); shapleycam needs softmax or rest, with logit it is gradcam",
  'logit',
] as const;

export function buildProgram(io: Io): Command {
  const program = new Command('camanim')
    .description('Explain what a CNN sees, layer by layer: a Class Activation Map for every layer, animated (CAManim)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run camanim --help for usage)');
  addContractOptions(
    addMetricOptions(
      addRoadOptions(
        program
          .command('explain')
          .description('Compute CAMs for every layer of a model on images and write animations, frames and a result bundle')
          .option('--model <file>', 'ONNX model (default: the bundled fashion-canvas model)')
          .option('--image <files...>', 'JPEG/PNG/WebP/GIF images (default: the bundled sample); animations: the first frame')
          .option(
            '--video <clips...>',
            'video models [N, C, T, H, W]: video files (decoded with ffmpeg) or folders of frame images; the first T frames of each',
          )
          .option(...MAX_PIXELS)
          .option('--method <ids>', 'CAM methods, comma-separated (see `camanim methods`)', 'gradcam')
          .option(
            '--eigen-smooth',
            "each layer's CAM is the first principal component of its weighted channels, not their sum (pytorch-grad-cam's eigen_smooth)",
          )
          .option(
            '--aug-smooth',
            "average the CAMs of the image flipped × brightness 0.9/1/1.1, one batched pass (pytorch-grad-cam's aug_smooth)",
          )
          .addOption(
            new Option('--kpca-kernel <name>', 'kpcacam: the kernel (default sigmoid)').choices([
              'sigmoid',
              'rbf',
              'poly',
              'linear',
            ]),
          )
          .option('--kpca-gamma <g>', 'kpcacam: the kernel coefficient (default 1/channels)')
          .option('--fem-k <k>', 'fem: the threshold is mean + k·std per channel (default 2)')
          .option('--finer-alpha <a>', 'finercam: the weight of the compared classes (default 1)')
          .addOption(
            new Option('--fusion <how>', 'layercam-fusion: mean (pytorch-grad-cam) or max (the paper, tanh-scaled)').choices([
              'mean',
              'max',
            ]),
          )
          .option('--dff-components <k>', 'dff: concepts per layer (default 5)')
          .option('--dff-top <n>', 'dff: top classes per concept (default 2)')
          .addOption(
            new Option('--head-fusion <how>', 'attention-rollout: how the heads are fused (default mean)').choices([
              'mean',
              'max',
              'min',
            ]),
          )
          .option(
            '--discard-ratio <r>',
            "attention-rollout: share of the smallest fused attentions set to 0, vit-explain's discard_ratio (default 0)",
          )
          .addOption(
            new Option(
              '--renormalize <how>',
              'attention-rollout: rows (the paper, default) or vit-explain (its a / a.sum(dim=-1) broadcast)',
            ).choices(['rows', 'vit-explain']),
          )
          .option(
            '--class <n>',
            'explain this class index, or several (3,5: each explained, as for a multi-label model; default: the predicted class)',
          )
          .option('--top-k <k>', 'explain each of the k best-scoring classes')
          .option(...TARGET_KIND)
          .option(
            '--layers <which>',
            "'spatial' (4-D outputs), 'all' (also 2-D outputs as stripes), or a regex on ONNX name / op type",
            'spatial',
          )
          .option('--every <k>', 'keep every k-th selected layer (the last always)')
          .option('--token-grid <HxW>', "transformer token layers: the patch grid (default: the patch embedding's)")
          .option(
            '--prefix-tokens <k>',
            'transformer token layers: tokens before the patches, dropped (default: what the grid leaves, at most 2)',
          )
          .option('--percentiles <list>', 'keep the layers at these percentiles of depth, e.g. 0,25,50,75,100')
          .addOption(
            new Option('--normalization <mode>', 'one min/max over all layers, per layer, or both side by side')
              .choices(['global', 'local', 'both'])
              .default('global'),
          )
          .addOption(new Option('--colormap <name>', 'colormap of the overlay').choices(colormapNames).default('jet'))
          .option('--alpha <a>', 'weight of the colormap over the image, 0..1', '0.5')
          .option('--fps <n>', 'frames per second of GIF and video', '4')
          .option('--size <px>', 'width of each image panel in pixels', '448')
          .option('--labels <file>', 'class names, one per line')
          .option('--out <dir>', 'output folder', 'camanim-out')
          .option('--format <list>', `outputs, comma-separated: ${FORMATS.join(', ')}`, 'gif,bundle')
          .option('-q, --quiet', 'no progress bars and no timing summary')
          .option(
            '--ybroad',
            'score every layer with ROAD (ybROAD): frame labels, bundle, ybroad.svg/png/json (= --metrics road)',
          ),
        '--road-percentiles',
      ),
      'score every layer with these metrics too: a table each on stderr, <id>.svg/png/json, the bundle charts them',
    ),
  ).action(async (raw: RawExplain) => explain(parseExplain(raw), io));
  for (const name of ['road', 'metrics'] as const) {
    const cmd =
      name === 'road'
        ? program
            .command('road')
            .description(
              "Score every layer's CAM with ROAD (ybROAD): a table, ybROAD_max and ybROAD_mean; the chart with --out (camanim metrics --metrics road)",
            )
        : addMetricOptions(
            program
              .command('metrics')
              .description(
                `Score every layer's CAM with metrics (${METRIC_IDS.join(', ')}): a table each; a chart and a JSON each with --out`,
              ),
            'the metrics',
            'road',
          );
    addContractOptions(
      addRoadOptions(
        cmd
          .option('--model <file>', 'ONNX model (default: the bundled fashion-canvas model)')
          .option('--image <file>', 'JPEG/PNG/WebP/GIF image (default: the bundled sample); animations: the first frame')
          .option(...MAX_PIXELS)
          .option('--method <id>', 'CAM method (see `camanim methods`)', 'gradcam')
          .option('--class <n>', 'explain this class index (default: the predicted class)')
          .option(...TARGET_KIND)
          .option('--layers <which>', "'spatial', 'all', or a regex on ONNX name / op type", 'spatial')
          .option('--every <k>', 'keep every k-th selected layer (the last always)')
          .option('--token-grid <HxW>', "transformer token layers: the patch grid (default: the patch embedding's)")
          .option(
            '--prefix-tokens <k>',
            'transformer token layers: tokens before the patches, dropped (default: what the grid leaves, at most 2)',
          )
          .option('--labels <file>', 'class names, one per line')
          .option('--out <dir>', "write ybroad.svg, ybroad.png and ybroad.json (and each metric's <id>.svg/.png/.json) here")
          .option('-q, --quiet', 'no progress bars and no timing summary'),
        '--percentiles',
      ),
    ).action(async (raw: RawRoad) => roadCommand(parseRoadCommand(raw), io));
  }
  program
    .command('view')
    .description('Serve the viewer (packages/viewer/dist) and a bundle or an eval folder on 127.0.0.1 and print the URL')
    .argument(
      '<folder>',
      'a bundle folder (with manifest.json), an image folder holding bundle/, or the --out folder of camanim eval',
    )
    .option('--port <n>', 'port (default: a free one)')
    .action(async (dir: string, o: { port?: string }) => view(dir, o, io));
  addContractOptions(
    program
      .command('layers')
      .description('List the layers of a model (index, ONNX name, op type, shape) at the input size explain would use')
      .argument('<model>', 'ONNX model file')
      .option(
        '--image <file>',
        'where the model leaves its input size open: the image whose size explain would use (default: the bundled sample)',
      )
      .option(...MAX_PIXELS),
  ).action(async (model: string, raw: ContractFlags & { image?: string; maxPixels: string }) =>
    layers(model, { contract: contractFlags(raw), image: raw.image, maxPixels: int(raw.maxPixels, '--max-pixels', 1) }, io),
  );
  program
    .command('methods')
    .description('List the registered CAM methods and their references')
    .action(async () => methods(io));
  addContractOptions(
    addRoadOptions(
      program
        .command('eval')
        .description(
          'ybROAD of every image of a dataset into a resumable SQLite store; CSV, Parquet, aggregates and report.html (docs/eval.md)',
        )
        .argument('<model>', 'ONNX model file')
        .argument('<dataset>', 'an ImageFolder (class subfolders), a CSV/JSONL list of path,label, or a quoted glob')
        .option('--out <dir>', 'the store (eval.sqlite) and the exports; rerun with the same folder to resume', 'camanim-eval')
        .option('--method <ids>', 'CAM methods, comma-separated (see `camanim methods`)', 'gradcam')
        .option(...TARGET_KIND)
        .option('--layers <which>', "'spatial', 'all', or a regex on ONNX name / op type", 'spatial')
        .option('--every <k>', 'keep every k-th selected layer (the last always)')
        .option('--batch <n>', 'at most n images per batch (the memory plan may choose fewer)', '16')
        .option(...MAX_PIXELS)
        .option('--labels <file>', 'class names, one per line')
        .option(
          '--queue <redis-url>',
          'score on `camanim worker`s through a BullMQ queue at this Redis, e.g. redis://127.0.0.1:6379; --batch images per job',
        )
        .option('-q, --quiet', 'no progress lines and no timing summary'),
      '--percentiles',
    ),
  ).action(async (model: string, dataset: string, raw: RawEval) => evalCommand(parseEval(model, dataset, raw), io));
  program
    .command('worker')
    .description(
      "Score the jobs of `camanim eval --queue` from Redis; reads the model and images at the coordinator's paths (docs/eval.md)",
    )
    .option('--queue <redis-url>', 'the Redis the coordinator uses, e.g. redis://127.0.0.1:6379')
    .option(
      '--lock-duration <ms>',
      'a job whose worker gave no sign of life for this long is retried elsewhere (BullMQ lockDuration)',
      '30000',
    )
    .option('--stalled-interval <ms>', 'how often to look for jobs whose worker died (BullMQ stalledInterval)', '30000')
    .option('-q, --quiet', 'no progress lines')
    .action(async (raw: RawWorker) => workerCommand(parseWorker(raw), io));
  return program;
}

/** eval takes road's layer, target and ROAD flags, several methods and a batch cap. */
type RawEval = RawRoad & { batch: string; out: string; queue?: string };

function parseEval(model: string, dataset: string, raw: RawEval): EvalOptions {
  const r = parseRoadCommand(raw);
  const ids = [...new Set(list(raw.method).map((m) => m.toLowerCase()))];
  if (ids.length === 0) throw cliError('--method is empty', {}, 'Give a method id such as gradcam (see `camanim methods`)');
  return {
    model,
    dataset,
    out: raw.out,
    methods: ids,
    layers: r.layers,
    targetKind: r.targetKind,
    road: r.road,
    batch: int(raw.batch, '--batch', 1),
    maxPixels: r.maxPixels,
    labels: r.labels,
    quiet: r.quiet,
    contract: r.contract,
    queue: raw.queue,
  };
}

interface RawWorker {
  queue?: string;
  lockDuration: string;
  stalledInterval: string;
  quiet?: boolean;
}

function parseWorker(raw: RawWorker): WorkerOptions {
  if (raw.queue === undefined)
    throw cliError(
      'camanim worker needs --queue',
      {},
      'Give the Redis of camanim eval --queue, e.g. --queue redis://127.0.0.1:6379',
    );
  return {
    queue: raw.queue,
    lockDuration: int(raw.lockDuration, '--lock-duration', 1),
    stalledInterval: int(raw.stalledInterval, '--stalled-interval', 1),
    quiet: Boolean(raw.quiet),
  };
}

interface RawRoad extends ContractFlags, Omit<RawRoadFlags, 'roadPercentiles'>, RawMetricFlags {
  model?: string;
  image?: string;
  maxPixels: string;
  method: string;
  class?: string;
  target?: string;
  layers: string;
  every?: string;
  tokenGrid?: string;
  prefixTokens?: string;
  percentiles?: string;
  labels?: string;
  out?: string;
  quiet?: boolean;
}

export function parseRoadCommand(raw: RawRoad): RoadCommandOptions {
  const which = raw.layers.trim();
  return {
    metrics: metricsChoice(raw),
    model: raw.model,
    image: raw.image,
    maxPixels: int(raw.maxPixels, '--max-pixels', 1),
    method: raw.method.trim().toLowerCase(),
    target: raw.class !== undefined ? { kind: 'class', class: int(raw.class, '--class', 0) } : { kind: 'predicted' },
    targetKind: targetKind(raw.target),
    layers: {
      kinds: which === 'all' ? 'all' : 'spatial',
      filter: which === 'all' || which === 'spatial' || which === '' ? undefined : which,
      every: raw.every === undefined ? undefined : int(raw.every, '--every', 1),
      tokens: tokenOptions(raw),
    },
    road: parseRoad({ ...raw, roadPercentiles: raw.percentiles }),
    contract: contractFlags(raw),
    out: raw.out,
    labels: raw.labels,
    quiet: Boolean(raw.quiet),
  };
}

export function parseExplain(raw: RawExplain): ExplainOptions {
  if (raw.class !== undefined && raw.topK !== undefined)
    throw cliError('--class and --top-k cannot be used together', {}, 'Give one of them');
  const target: TargetChoice =
    raw.class !== undefined
      ? classChoice(raw.class)
      : raw.topK !== undefined
        ? { kind: 'top-k', k: int(raw.topK, '--top-k', 1) }
        : { kind: 'predicted' };
  const methods = list(raw.method).map((m) => m.toLowerCase());
  if (methods.length === 0) throw cliError('--method is empty', {}, 'Give a method id such as gradcam (see `camanim methods`)');
  const formats = list(raw.format).map((f) => f.toLowerCase());
  const unknown = formats.filter((f) => !(FORMATS as readonly string[]).includes(f));
  if (unknown.length) throw cliError(`Unknown output format '${unknown[0]}'`, {}, `Known formats: ${FORMATS.join(', ')}`);
  if (formats.length === 0) throw cliError('--format is empty', {}, `Give some of: ${FORMATS.join(', ')}`);
  const alpha = num(raw.alpha, '--alpha');
  if (alpha < 0 || alpha > 1) throw cliError(`--alpha must be within 0..1, got ${raw.alpha}`, {}, 'For example --alpha 0.5');
  const fps = num(raw.fps, '--fps');
  if (!(fps > 0 && fps <= 60)) throw cliError(`--fps must be within (0, 60], got ${raw.fps}`, {}, 'For example --fps 4');
  const size = int(raw.size, '--size', 32);
  if (size > 4096) throw cliError(`--size ${size} is too large`, {}, 'Use at most 4096 pixels');
  const which = raw.layers.trim();
  const layers: LayerSelection = {
    kinds: which === 'all' ? 'all' : 'spatial',
    filter: which === 'all' || which === 'spatial' || which === '' ? undefined : which,
    every: raw.every === undefined ? undefined : int(raw.every, '--every', 1),
    tokens: tokenOptions(raw),
    percentiles:
      raw.percentiles === undefined
        ? undefined
        : list(raw.percentiles).map((p) => {
            const v = num(p, '--percentiles');
            if (v < 0 || v > 100) throw cliError(`--percentiles values must be within 0..100, got ${p}`);
            return v;
          }),
  };
  return {
    model: raw.model,
    images: raw.image ?? [],
    videos: raw.video ?? [],
    maxPixels: int(raw.maxPixels, '--max-pixels', 1),
    methods: [...new Set(methods)],
    eigenSmooth: Boolean(raw.eigenSmooth),
    augSmooth: Boolean(raw.augSmooth),
    methodOptions: {
      ...(raw.kpcaKernel === undefined ? {} : { kernel: raw.kpcaKernel }),
      ...(raw.kpcaGamma === undefined ? {} : { gamma: positive(raw.kpcaGamma, '--kpca-gamma') }),
      ...(raw.femK === undefined ? {} : { k: num(raw.femK, '--fem-k') }),
      ...(raw.finerAlpha === undefined ? {} : { alpha: num(raw.finerAlpha, '--finer-alpha') }),
      ...(raw.fusion === undefined ? {} : { fusion: raw.fusion }),
      ...(raw.dffComponents === undefined ? {} : { components: int(raw.dffComponents, '--dff-components', 1) }),
      ...(raw.dffTop === undefined ? {} : { top: int(raw.dffTop, '--dff-top', 1) }),
      ...(raw.headFusion === undefined ? {} : { headFusion: raw.headFusion }),
      ...(raw.discardRatio === undefined ? {} : { discardRatio: num(raw.discardRatio, '--discard-ratio') }),
      ...(raw.renormalize === undefined ? {} : { renormalize: raw.renormalize }),
    },
    target,
    targetKind: targetKind(raw.target),
    layers,
    normalization: raw.normalization as NormalizationChoice,
    colormap: raw.colormap as ColormapName,
    alpha,
    fps,
    size: size + (size % 2),
    labels: raw.labels,
    out: raw.out,
    formats: new Set(formats as Format[]),
    quiet: Boolean(raw.quiet),
    ybroad: Boolean(raw.ybroad),
    metrics: metricsChoice(raw),
    contract: contractFlags(raw),
    road: parseRoad(raw),
  };
}

/** --class n, or --class a,b,… (each explained, as a multi-label classifier's several classes). */
function classChoice(v: string): TargetChoice {
  const classes = [...new Set(list(v).map((c) => int(c, '--class', 0)))];
  if (classes.length === 0) throw cliError('--class is empty', {}, 'Give a class index, or several separated by commas');
  return classes.length === 1 ? { kind: 'class', class: classes[0] } : { kind: 'classes', classes };
}

/** --token-grid and --prefix-tokens (cam-methods' TokenOptions). */
function tokenOptions(raw: { tokenGrid?: string; prefixTokens?: string }): TokenOptions | undefined {
  if (raw.tokenGrid === undefined && raw.prefixTokens === undefined) return undefined;
  const grid = raw.tokenGrid === undefined ? undefined : parseSize(raw.tokenGrid);
  if (raw.tokenGrid !== undefined && !grid)
    throw cliError(`--token-grid expects HxW, got '${raw.tokenGrid}'`, {}, 'For example --token-grid 14x14 (ViT-B/16 at 224)');
  return {
    ...(grid ? { grid } : {}),
    ...(raw.prefixTokens === undefined ? {} : { prefix: int(raw.prefixTokens, '--prefix-tokens', 0) }),
  };
}

/** Only the contract's flags (commander gives every option in one object). */
function contractFlags(raw: ContractFlags): ContractFlags {
  const { inputSize, frames, mean, std, scale, resize, bgr, layout, preset, output } = raw;
  return { inputSize, frames, mean, std, scale, resize, bgr, layout, preset, output, ...taskFlags(raw) };
}

/** The metric options of explain and metrics (`what`: the --metrics help's subject; `ids`: its default). */
function addMetricOptions(cmd: Command, what: string, ids?: string): Command {
  return cmd
    .option('--metrics <list>', `${what}, comma-separated: ${METRIC_IDS.join(', ')}`, ids)
    .option('--causal-step <pixels>', "deletion / insertion: pixels moved per step (default: the input width, RISE's)")
    .option('--mprt-seed <n>', "mprt: seed of the randomised weights (default 42, Quantus's)");
}

/** The metrics asked for; --causal-step / --mprt-seed without --metrics are refused (they would change nothing). */
function metricsChoice(raw: RawMetricFlags): MetricsChoice | undefined {
  if (raw.metrics === undefined) {
    const stray = raw.causalStep !== undefined ? '--causal-step' : raw.mprtSeed !== undefined ? '--mprt-seed' : undefined;
    if (stray)
      throw cliError(
        `${stray} is an option of --metrics, which is not given`,
        {},
        `Add --metrics ${stray === '--mprt-seed' ? 'mprt' : 'deletion,insertion'}, or drop ${stray}`,
      );
    return undefined;
  }
  return {
    ids: parseMetricList(raw.metrics),
    step: raw.causalStep === undefined ? undefined : int(raw.causalStep, '--causal-step', 1),
    mprtSeed: raw.mprtSeed === undefined ? undefined : int(raw.mprtSeed, '--mprt-seed', 0),
  };
}

/** The ROAD options of explain and road (`percentiles`: the flag naming p, as each command calls it). */
function addRoadOptions(cmd: Command, percentiles: '--road-percentiles' | '--percentiles'): Command {
  return cmd
    .option(`${percentiles} <list>`, 'ROAD percentiles p (default 20,40,60,80; p kept or removed: --road-percent)')
    .option('--road-noise <sd>', 'ROAD: noise sd of the linear imputation (default 0; --road-preset pytorch-grad-cam: 0.01)')
    .addOption(new Option('--road-target <kind>', 'ROAD: confidence measured').choices(['softmax', 'logit']).default('softmax'))
    .addOption(
      new Option(
        '--road-preset <name>',
        "ROAD: a library's conventions in one flag; pytorch-grad-cam = its ROADCombined (p 10..90 kept, threshold ties, mean, noise 0.01)",
      ).choices(['pytorch-grad-cam', 'camanim-rank']),
    )
    .addOption(
      new Option(
        '--road-ties <rule>',
        'ROAD ties: threshold (pytorch-grad-cam: all pixels at/above the np.percentile threshold) or rank (an exact count) (default threshold)',
      ).choices(['threshold', 'rank']),
    )
    .addOption(
      new Option(
        '--road-percent <reading>',
        'ROAD: p is the share of pixels kept (pytorch-grad-cam) or removed (default kept)',
      ).choices(['kept', 'removed']),
    )
    .addOption(
      new Option(
        '--road-combine <how>',
        'ROAD per layer: sum (the CAManim paper) or mean (pytorch-grad-cam) over p (default sum)',
      ).choices(['sum', 'mean']),
    );
}

function targetKind(text = 'logit'): TargetKind {
  const kind = text.trim().toLowerCase();
  if (!(TARGET_KINDS as readonly string[]).includes(kind))
    throw cliError(`Unknown --target '${text}'`, {}, `Known targets: ${TARGET_KINDS.join(', ')}`);
  return kind as TargetKind;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function num(text: string, flag: string): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw cliError(`${flag} expects a number, got '${text}'`);
  return v;
}

function positive(text: string, flag: string): number {
  const v = num(text, flag);
  if (!(v > 0)) throw cliError(`${flag} must be positive, got '${text}'`, {}, 'For example 0.01');
  return v;
}

function int(text: string, flag: string, min: number): number {
  const v = num(text, flag);
  if (!Number.isInteger(v) || v < min) throw cliError(`${flag} expects an integer ≥ ${min}, got '${text}'`);
  return v;
}
