/**
 * MP4 (H.264) and WebM (VP9) through the `ffmpeg` program when it is on the PATH: raw RGBA
 * frames are piped to its standard input.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cliError } from './errors.ts';

export type VideoFormat = 'mp4' | 'webm';

/** The ffmpeg to run, or a clear error naming the missing program. */
export function requireFfmpeg(env: NodeJS.ProcessEnv, formats: readonly VideoFormat[]): string {
  const program = env.CAMANIM_FFMPEG || 'ffmpeg';
  const probe = spawnSync(program, ['-hide_banner', '-version'], { env, stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw cliError(
      `${formats.join(' and ')} output needs the program '${program}', which was not found on the PATH`,
      {},
      `Install ffmpeg (e.g. apt-get install ffmpeg), or drop ${formats.join(' and ')} from --format (gif and png need nothing else)`,
      'not-found',
    );
  }
  return program;
}

const CODECS: Record<VideoFormat, string[]> = {
  mp4: ['-c:v', 'libx264', '-preset', 'medium', '-crf', '18', '-pix_fmt', 'yuv420p', '-movflags', '+faststart'],
  webm: ['-c:v', 'libvpx-vp9', '-b:v', '0', '-crf', '30', '-pix_fmt', 'yuv420p'],
};

export function encodeVideo(
  ffmpeg: string,
  env: NodeJS.ProcessEnv,
  frames: readonly Uint8Array[],
  width: number,
  height: number,
  fps: number,
  format: VideoFormat,
  file: string,
): Promise<void> {
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    '-s',
    `${width}x${height}`,
    '-framerate',
    String(fps),
    '-i',
    '-',
    ...CODECS[format],
    '-f',
    format,
    file,
  ];
  return new Promise((resolveDone, reject) => {
    const child = spawn(ffmpeg, args, { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
    child.on('error', (e) =>
      reject(cliError(`Could not run ${ffmpeg}: ${e.message}`, { file }, 'Check the ffmpeg installation')),
    );
    child.on('close', (code) => {
      if (code === 0) resolveDone();
      else
        reject(
          cliError(
            `ffmpeg failed to write the ${format} (exit ${code}): ${stderr.trim().split('\n').slice(-2).join(' ')}`,
            { file },
            `Check that your ffmpeg has the ${CODECS[format][1]} encoder, or drop ${format} from --format`,
          ),
        );
    });
    child.stdin.on('error', () => undefined); // reported through 'close'
    (async () => {
      for (const f of frames) {
        if (!child.stdin.write(f)) await new Promise((r) => child.stdin.once('drain', r));
      }
      child.stdin.end();
    })();
  });
}
