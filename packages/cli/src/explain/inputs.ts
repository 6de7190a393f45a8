/**
 * What `camanim explain` reads before any model loads, the cheap checks first so that nothing
 * heavy runs on a bad command line: the methods and their options, ffmpeg for the video formats,
 * the images or clips, the model's contract (contract.ts) and, for --format html, the built viewer.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { defaultCamRegistry, eigenSmoothable, type CamMethod } from '@camanim/cam-methods';
import { bundledModel, defaultImage } from '../assets.ts';
import { checkClipRun, readClip } from '../clip.ts';
import { readContract, type ContractedModel } from '../contract.ts';
import { cliError } from '../errors.ts';
import { readImage, type RgbImage } from '../image.ts';
import type { Io } from '../io.ts';
import type { ExplainOptions } from '../options.ts';
import type { Progress } from '../progress.ts';
import { checkTaskOptions } from '../task.ts';
import { parseTaskChoice, type TaskChoice } from '../task-flags.ts';
import { VIEWER_DIST } from '../commands/view.ts';
import { requireFfmpeg, type VideoFormat } from '../video.ts';

export interface ExplainInputs {
  readonly methods: readonly CamMethod[];
  readonly modelPath: string;
  /** The images, or the clips (every frame the contract asks for). */
  readonly images: readonly RgbImage[];
  readonly contracted: ContractedModel;
  readonly taskChoice: TaskChoice;
  /** ffmpeg's path, when --format asks for MP4 or WebM. */
  readonly ffmpeg?: string;
}

export async function readExplainInputs(opts: ExplainOptions, io: Io, progress: Progress): Promise<ExplainInputs> {
  const methods = opts.methods.map((id) => defaultCamRegistry.get(id));
  const unsmoothable = opts.eigenSmooth ? methods.filter((m) => !eigenSmoothable(m)) : [];
  if (unsmoothable.length)
    throw cliError(
      `--eigen-smooth does not apply to ${unsmoothable.map((m) => m.id).join(', ')}: these methods compute each layer's map themselves`,
      {},
      'Drop --eigen-smooth, or explain those methods in a separate run',
    );
  const videos = (['mp4', 'webm'] as VideoFormat[]).filter((f) => opts.formats.has(f));
  const ffmpeg = videos.length ? requireFfmpeg(io.env, videos) : undefined;
  const modelPath = resolve(opts.model ?? bundledModel());
  const imagePaths = opts.images.length || opts.videos.length ? opts.images : [defaultImage()];
  const clipOptions = { maxPixels: opts.maxPixels, env: io.env, onNotice: (m: string) => progress.notice(m) };
  // Video models: each clip's first frame until the contract says how many frames (clip.ts).
  let images: RgbImage[] = opts.videos.length
    ? await progress.time('read clips', () =>
        Promise.all(opts.videos.map((v) => readClip(v, 1, { ...clipOptions, onNotice: undefined }))),
      )
    : await progress.time('read images', () =>
        Promise.all(imagePaths.map((f) => readImage(f, { maxPixels: opts.maxPixels, onNotice: (m) => progress.notice(m) }))),
      );
  const taskChoice = parseTaskChoice(opts.contract);
  checkTaskOptions(taskChoice.task, opts);
  const contracted = await readContract(modelPath, opts.contract, images[0], (m) => progress.notice(m));
  checkClipRun(contracted.input, opts, modelPath);
  const frames = contracted.input.frames?.count;
  if (frames)
    images = await progress.time('read clips', () => Promise.all(opts.videos.map((v) => readClip(v, frames, clipOptions))));
  if (opts.formats.has('html') && !existsSync(join(VIEWER_DIST, 'index.html'))) {
    throw cliError('--format html needs the built viewer', { file: VIEWER_DIST }, 'Run pnpm --filter @camanim/viewer build');
  }
  return { methods, modelPath, images, contracted, taskChoice, ffmpeg };
}
