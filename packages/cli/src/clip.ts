/**
 * Video inputs on the command line (`explain --video`): a clip is a video file, decoded to frames
 * by ffmpeg, or a folder of frame images (JPEG/PNG/WebP, in natural name order: frame-2 before
 * frame-10). The model's contract gives T (core's contract/frames.ts: its fixed dim or
 * --frames); the clip's first T frames are used, a clip with fewer is refused. Each frame is
 * read, placed and tensorized as an image is (image.ts, preprocess.ts), then stacked on T.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { stackFrames, type InputContract } from '@camanim/core';
import { cliError } from './errors.ts';
import { readImage, type ReadImageOptions, type RgbImage } from './image.ts';
import type { MetricsChoice } from './metrics.ts';
import { displayImage, preprocess, type Preprocessed } from './preprocess.ts';

/** A clip: its first frame as the image (for the contract, crop notices, names), and its frames. */
export interface Clip extends RgbImage {
  readonly clip: readonly RgbImage[];
}

export interface ClipOptions extends ReadImageOptions {
  readonly env: NodeJS.ProcessEnv;
}

const FRAME_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp']);

export const isClip = (image: RgbImage): image is Clip => 'clip' in image;

/** The first `count` frames of `source` (a video file or a folder of images). */
export async function readClip(source: string, count: number, opts: ClipOptions): Promise<Clip> {
  const info = await stat(source).catch(() => undefined);
  if (!info) throw cliError('Video file or frame folder not found', { file: source }, 'Check the --video path', 'not-found');
  const frames = info.isDirectory() ? await readFolder(source, count, opts) : await decodeVideo(source, count, opts);
  if (frames.length < count) {
    throw cliError(
      `The clip has ${frames.length} frame${frames.length === 1 ? '' : 's'}, but the model takes ${count}`,
      { file: source },
      'Give a longer clip, or (for a model with a symbolic frame count) a smaller --frames',
    );
  }
  const sizes = new Set(frames.map((f) => `${f.width}×${f.height}`));
  if (sizes.size > 1)
    throw cliError(`The clip's frames differ in size (${[...sizes].join(', ')})`, { file: source }, 'Give frames of one size');
  return { ...frames[0], file: source, clip: frames };
}

async function readFolder(dir: string, count: number, opts: ClipOptions): Promise<RgbImage[]> {
  const names = (await readdir(dir))
    .filter((n) => FRAME_EXTENSIONS.has(extname(n).toLowerCase()))
    .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (names.length === 0)
    throw cliError(
      'The frame folder holds no JPEG, PNG or WebP images',
      { file: dir },
      'Give a folder of frame images, or a video file',
    );
  if (names.length > count)
    opts.onNotice?.(`${dir}: ${names.length} frames; explaining the first ${count} (${names[0]} to ${names[count - 1]})`);
  return Promise.all(names.slice(0, count).map((n) => readImage(join(dir, n), opts)));
}

/** The first `count` frames through ffmpeg, as PNGs in a temporary folder read back like images. */
async function decodeVideo(file: string, count: number, opts: ClipOptions): Promise<RgbImage[]> {
  const ffmpeg = opts.env.CAMANIM_FFMPEG || 'ffmpeg';
  const dir = await mkdtemp(join(tmpdir(), 'camanim-clip-'));
  try {
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-nostdin',
      '-i',
      file,
      '-frames:v',
      String(count),
      '-vsync',
      '0',
      join(dir, 'frame-%05d.png'),
    ];
    await new Promise<void>((done, fail) => {
      const p = spawn(ffmpeg, args, { env: opts.env, stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      p.stderr.on('data', (d) => (err += d));
      p.on('error', () =>
        fail(
          cliError(
            `Decoding a video needs the program '${ffmpeg}', which was not found on the PATH`,
            { file },
            'Install ffmpeg (e.g. apt-get install ffmpeg), or give a folder of frame images',
            'not-found',
          ),
        ),
      );
      p.on('close', (code) =>
        code === 0
          ? done()
          : fail(
              cliError(
                `ffmpeg could not decode the video (${err.trim().split('\n').pop() || `exit ${code}`})`,
                { file },
                'Check that the file is a video ffmpeg reads, or give a folder of frame images',
              ),
            ),
      );
    });
    return await readFolder(dir, count, { ...opts, onNotice: undefined });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The clip as the model input [1, C, T, H, W], `crop` its first frame and `frames` every frame as the model sees it. */
export async function preprocessClip(clip: Clip, c: InputContract): Promise<Preprocessed> {
  const each = await Promise.all(clip.clip.map((f) => preprocess(f, c)));
  const [, C, H, W] = each[0].shape;
  return {
    ...each[0],
    data: stackFrames(
      each.map((x) => x.data),
      C,
    ),
    shape: [1, C, each.length, H, W],
    frames: each.map((x) => x.crop),
  };
}

/** Each frame at display size (preprocess.ts' displayImage). */
export function displayFrames(clip: Clip, c: InputContract, width: number, height: number): Promise<Float32Array[]> {
  return Promise.all(clip.clip.map((f) => displayImage(f, c, width, height)));
}

/**
 * What a video model needs on the command line, checked before any work: --video (not --image),
 * and none of the outputs that are images-only yet.
 */
export function checkClipRun(
  pre: InputContract,
  opts: {
    videos: readonly string[];
    images: readonly string[];
    ybroad?: boolean;
    metrics?: MetricsChoice;
    formats: ReadonlySet<string>;
  },
  model: string,
): void {
  const where = { file: model };
  if (!pre.frames) {
    if (opts.videos.length)
      throw cliError(
        '--video is for video models [N, C, T, H, W]; this model takes images',
        where,
        'Pass the images with --image',
      );
    return;
  }
  if (!opts.videos.length)
    throw cliError(
      `This model takes video: ${pre.frames.count} frames [N, C, T, H, W]`,
      where,
      'Pass a video file or a folder of frames with --video',
    );
  if (opts.images.length) throw cliError('--image and --video together: this video model explains clips', where, 'Drop --image');
  const scoring = opts.ybroad ? '--ybroad' : opts.metrics ? '--metrics' : undefined;
  if (scoring)
    throw cliError(
      `${scoring} is not supported for video models yet (${opts.ybroad ? 'ROAD imputes' : 'the metrics perturb'} 2-D images)`,
      where,
      `Drop ${scoring}`,
    );
  for (const f of ['grid', 'html']) {
    if (opts.formats.has(f))
      throw cliError(`--format ${f} is not supported for video models yet`, where, 'Use gif, mp4, webm, png or bundle');
  }
}
