/**
 * `camanim eval --queue` and `camanim worker` on a real Redis (the Debian package's redis-server, on
 * 127.0.0.1 at a free port, nothing saved): a coordinator and three worker processes score the 6
 * bundled samples, one job per image; the first worker to start a second job is SIGKILLed then (it
 * holds the job's lock) and a fourth is started. BullMQ's stalled-job check gives the killed job to another
 * worker, and the store equals the single-process run's on the same images: every row once, none
 * missing. A worker whose model file is not the coordinator's fails the job, saying so, and stops.
 * Every process the test starts is killed at the end, also on failure; the test bounds its own time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, bundledSamples } from '../src/assets.ts';
import { connectRedis, openQueue, registerRun } from '../src/eval/queue.ts';
import { EvalStore } from '../src/eval/store.ts';
import { camanim, scratch } from './helpers/cli.ts';
import { exited, startRedis } from './helpers/redis.ts';

const BIN = resolve(import.meta.dirname, '../bin/camanim.js');
const FLAGS = ['--layers', 'stages\\.3\\.0/relu2/Relu_output_0$', '--percentiles', '50', '--batch', '1'];
/** Short locks, so that a killed worker's job is back in the queue within seconds (defaults: 30 s each). */
const WORKER_FLAGS = ['--lock-duration', '4000', '--stalled-interval', '1000'];
/** The distributed run's own bound (the single-process run takes about 25 s of it on 2 cores). */
const DEADLINE_MS = 150_000;
/** The bundled samples, one job each. */
const IMAGES = 6;

const started = new Set<ChildProcess>();
let root: string;
let tmp: string;
let url: string;

function start(args: readonly string[], onErr?: (text: string) => void): { child: ChildProcess; err: () => string } {
  // CAMANIM_RAW_STDERR: no filtering parent process, so that a signal reaches the worker itself.
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, CAMANIM_RAW_STDERR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.add(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d;
    onErr?.(err);
  });
  child.stdout!.resume();
  return { child, err: () => err };
}

/** The store's rows, keyed: a key seen twice fails the test. */
function rows(dir: string): { images: Map<string, unknown>; scores: Map<string, number> } {
  const store = EvalStore.open(join(dir, 'eval.sqlite'));
  try {
    const [key] = store.runs();
    const images = new Map<string, unknown>();
    for (const i of store.images(key)) {
      expect(images.has(i.imageHash), `image ${i.path} twice`).toBe(false);
      images.set(i.imageHash, i);
    }
    const scores = new Map<string, number>();
    for (const s of store.scores(key)) {
      const k = `${s.imageHash}|${s.method}|${s.layer}|${s.metric}`;
      expect(scores.has(k), `score ${k} twice`).toBe(false);
      scores.set(k, s.value);
    }
    return { images, scores };
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  const version = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (version.error || version.status !== 0)
    throw new Error(
      'redis-server is not installed: the queue test needs a real Redis. Install it with `apt-get install redis-server` (tools/setup.sh does)',
    );
  tmp = scratch('camanim-eval-queue-');
  root = join(tmp, 'dataset');
  // The bundled samples in class folders.
  for (const sample of bundledSamples()) {
    const cls = basename(sample, extname(sample)).replace(/-\d+$/, '');
    mkdirSync(join(root, cls), { recursive: true });
    copyFileSync(sample, join(root, cls, basename(sample)));
  }
  url = await startRedis(started);
}, 60_000);

afterAll(async () => {
  for (const child of started) child.kill('SIGKILL');
  await Promise.all([...started].map(exited));
});

describe('camanim eval --queue', () => {
  it('equals the single-process run with a worker SIGKILLed mid-job and another started later', async () => {
    const t0 = performance.now();
    const single = await camanim(['eval', BUNDLED_MODEL, root, '--out', join(tmp, 'single'), ...FLAGS, '--quiet']);
    expect(single.code, single.err).toBe(0);
    const t1 = performance.now();
    const coordinator = start(['eval', BUNDLED_MODEL, root, '--out', join(tmp, 'queued'), ...FLAGS, '--queue', url]);
    const workers: ReturnType<typeof start>[] = [];
    let victim: { worker: ReturnType<typeof start>; job: string } | undefined;
    const worker = (watch: boolean) => {
      const w = start(['worker', '--queue', url, ...WORKER_FLAGS], (err) => {
        // The first worker to start a second job: its model is loaded and it holds the job's lock.
        const jobs = [...err.matchAll(/^worker: job (\S+) of /gm)];
        if (watch && victim === undefined && jobs.length === 2) {
          victim = { worker: w, job: jobs[1][1] };
          w.child.kill('SIGKILL');
          workers.push(worker(false));
        }
      });
      return w;
    };
    for (let k = 0; k < 3; k++) workers.push(worker(true));
    let timer: NodeJS.Timeout | undefined;
    const end = await Promise.race([
      exited(coordinator.child),
      new Promise<never>((_, fail) => {
        timer = setTimeout(
          () => fail(new Error(`the queued run took more than ${DEADLINE_MS / 1000} s:\n${coordinator.err()}`)),
          DEADLINE_MS,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const t2 = performance.now();
    const logs = () => [coordinator, ...workers].map((p) => p.err()).join('\n----\n');
    expect(end.code, logs()).toBe(0);
    expect(victim, logs()).toBeDefined();
    const { worker: killed, job } = victim!;
    expect(await exited(killed.child)).toEqual({ code: null, signal: 'SIGKILL' });
    // Killed before it finished that job; another worker did it after BullMQ found it stalled.
    expect(killed.err()).not.toContain(`job ${job} done`);
    expect(coordinator.err(), logs()).toContain(`job ${job} stalled`);
    expect(
      workers.some((w) => w !== killed && w.err().includes(`job ${job} done`)),
      logs(),
    ).toBe(true);
    expect(coordinator.err()).toMatch(new RegExp(`^eval: ${IMAGES}/${IMAGES} images · [\\d.]+ images/s · ETA 0 s`, 'm'));
    const queued = rows(join(tmp, 'queued'));
    const reference = rows(join(tmp, 'single'));
    expect(queued.images.size).toBe(IMAGES);
    expect(queued.images).toEqual(reference.images);
    expect(queued.scores.size).toBe(IMAGES);
    expect(queued.scores).toEqual(reference.scores);
    const s = (a: number, b: number) => `${((b - a) / 1000).toFixed(1)} s`;
    console.log(`eval: ${IMAGES} images in one process ${s(t0, t1)}; on the queue, 3 + 1 workers, one killed: ${s(t1, t2)}`);
  }, 240_000);

  it('has a worker whose model file differs fail the job, saying so, and stop', async () => {
    const redis = await connectRedis(url);
    const key = { modelHash: 'f'.repeat(64), settingsHash: '0'.repeat(64) };
    const queue = openQueue(redis, key);
    try {
      await registerRun(redis, key);
      const spec = {
        model: BUNDLED_MODEL,
        methods: ['gradcam'],
        layers: {},
        targetKind: 'softmax' as const,
        road: { target: 'softmax' as const },
        batch: 1,
        maxPixels: 1e7,
        contract: {},
        imageSize: { width: 96, height: 96 },
      };
      await queue.add('score', { key, spec, items: [] }, { jobId: 'wrong-model', attempts: 1 });
      const r = await camanim(['worker', '--queue', url, '--quiet']);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/^camanim: The model file here has SHA-256 [0-9a-f]{12}…, the coordinator's ffffffffffff…/);
      expect(r.err).toContain('Give every worker the same model file at the same path as the coordinator');
      const job = await queue.getJob('wrong-model');
      expect(await job?.getState()).toBe('failed');
      expect(job?.failedReason).toContain('The model file here has SHA-256');
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
      redis.disconnect();
    }
  }, 60_000);
});
