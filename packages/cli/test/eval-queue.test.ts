/**
 * `camanim eval --queue` and `camanim worker` on a real Redis (the Debian package's redis-server, on
 * 127.0.0.1 at a free port, nothing saved): a coordinator and three worker processes score the 6
 * bundled samples, one job per image; the first worker to start a second job is SIGKILLed then (it
 * holds the job's lock) and a fourth is started. BullMQ's stalled-job check gives the killed job to another
 * worker, and the store equals the single-process run's on the same images: every row once, none
 * missing. A worker whose model file is not the coordinator's fails the job, saying so, and stops.
 *
 * Restarting the coordinator (docs/eval.md): one SIGKILLed after its first result is stored while its
 * worker goes on; the worker is frozen (SIGSTOP) in its fourth job, so that the restarted coordinator
 * finds jobs completed meanwhile, one running and two waiting: it adds none again, collects the
 * completed ones without their being redone, and the store equals the single-process run's. And a job
 * that failed on three workers (a model file that is not the coordinator's) stops the coordinator with
 * that reason; the same command again retries it with its tries anew, and a good worker completes it.
 *
 * Every process a test starts is killed at its end, also on failure; the tests bound their own time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODEL, bundledSamples } from '../src/assets.ts';
import { PREFIX, RUNS, connectRedis, openQueue, queueName, registerRun } from '../src/eval/queue.ts';
import { GALLERY_DIR } from '../src/eval/gallery-folder.ts';
import { EvalStore, runId, sha256, type RunKey } from '../src/eval/store.ts';
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
/**
 * Bounds of the restart tests' steps, 4-6× what they took on 2 cores shared with a CI run: a
 * coordinator started to its jobs queued, collected or retried (3.4-5.8 s), or a coordinator and a
 * worker's first job, pipelines compiled (15.5-16.3 s), or a few jobs on a warm worker, a worker with
 * the wrong model, a process stopping (at most 2.4 s).
 */
const COORDINATOR_MS = 30_000;
const FIRST_JOB_MS = 90_000;
const STEP_MS = 15_000;

/** redis-server, for the whole file. */
const servers = new Set<ChildProcess>();
/** The processes of the test running, killed when it ends. */
const started = new Set<ChildProcess>();
let root: string;
let tmp: string;
let url: string;

interface Proc {
  readonly child: ChildProcess;
  err(): string;
}

function start(args: readonly string[], onErr?: (text: string) => void): Proc {
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

/** Resolves as soon as `p`'s stderr has `times` lines matching `pattern` (a line-anchored pattern); fails if `p` ends first. */
function seen(p: Proc, pattern: RegExp, times = 1): Promise<void> {
  const all = new RegExp(pattern.source, 'gm');
  return new Promise((ok, fail) => {
    const check = () => {
      if ((p.err().match(all)?.length ?? 0) < times) return;
      p.child.stderr!.off('data', check);
      p.child.off('close', ended);
      ok();
    };
    const ended = () => fail(new Error(`the process ended before ${times} × ${pattern}:\n${p.err()}`));
    // After start()'s own listener, so that err() holds the chunk.
    p.child.stderr!.on('data', check);
    p.child.once('close', ended);
    check();
  });
}

/** `promise`, or a failure naming `what` with the processes' stderr after `ms`. */
async function within<T>(ms: number, what: string, logs: () => string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, fail) => {
        timer = setTimeout(() => fail(new Error(`${what} took more than ${ms / 1000} s:\n${logs()}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const logsOf = (procs: readonly Proc[]) => () => procs.map((p) => p.err()).join('\n----\n');

/** The ids of the jobs a worker started, in order. */
const jobsStarted = (w: Proc) => [...w.err().matchAll(/^worker: job (\S+) of /gm)].map((m) => m[1]);

interface Rows {
  images: Map<string, unknown>;
  scores: Map<string, number>;
  /** The run's gallery items (the maps the coordinator writes), by image hash: their bytes' SHA-256. */
  gallery: Map<string, string>;
}

/** `read` on the store in `dir` and its run. */
function inStore<T>(dir: string, read: (store: EvalStore, key: RunKey) => T): T {
  const store = EvalStore.open(join(dir, 'eval.sqlite'));
  try {
    return read(store, store.runs()[0]);
  } finally {
    store.close();
  }
}

const runKey = (dir: string) => inStore(dir, (_, key) => key);

/** The store's rows, keyed: a key seen twice fails the test. */
function rows(dir: string): Rows {
  return inStore(dir, (store, key) => {
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
    const folder = join(dir, GALLERY_DIR, runId(key));
    const gallery = new Map(
      readdirSync(folder).map((f) => [basename(f, '.bin'), sha256(readFileSync(join(folder, f)))] as const),
    );
    return { images, scores, gallery };
  });
}

let single: Promise<Rows> | undefined;
/** The single-process run's rows on the dataset (run once, by the first test that needs them). */
function reference(): Promise<Rows> {
  single ??= (async () => {
    const r = await camanim(['eval', BUNDLED_MODEL, root, '--out', join(tmp, 'single'), ...FLAGS, '--quiet']);
    expect(r.code, r.err).toBe(0);
    return rows(join(tmp, 'single'));
  })();
  return single;
}

interface JobState {
  state: string;
  /** When it was added. */
  timestamp: number;
  finishedOn?: number;
  attemptsMade: number;
}

/** Every job of the queue, by id. */
async function jobStates(queue: Queue): Promise<Map<string, JobState>> {
  const jobs = await queue.getJobs();
  return new Map(
    await Promise.all(
      jobs.map(
        async (j) =>
          [
            j.id!,
            { state: await j.getState(), timestamp: j.timestamp, finishedOn: j.finishedOn, attemptsMade: j.attemptsMade },
          ] as const,
      ),
    ),
  );
}

/** Nothing of the run is left in Redis: neither its queue's keys nor its entry in the list of runs. */
async function expectRemoved(redis: Redis, key: RunKey): Promise<void> {
  expect(await redis.keys(`${PREFIX}:${queueName(key)}:*`)).toEqual([]);
  expect(await redis.zscore(RUNS, queueName(key))).toBeNull();
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
  url = await startRedis(servers);
}, 60_000);

afterEach(async () => {
  for (const child of started) child.kill('SIGKILL');
  await Promise.all([...started].map(exited));
  started.clear();
});

afterAll(async () => {
  for (const child of servers) child.kill('SIGKILL');
  await Promise.all([...servers].map(exited));
});

describe('camanim eval --queue', () => {
  it('equals the single-process run with a worker SIGKILLed mid-job and another started later', async () => {
    const t0 = performance.now();
    const expected = await reference();
    const t1 = performance.now();
    const coordinator = start(['eval', BUNDLED_MODEL, root, '--out', join(tmp, 'queued'), ...FLAGS, '--queue', url]);
    const workers: Proc[] = [];
    let victim: { worker: Proc; job: string } | undefined;
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
    const logs = logsOf([coordinator, ...workers]);
    const end = await within(DEADLINE_MS, 'the queued run', logs, exited(coordinator.child));
    const t2 = performance.now();
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
    expect(queued.images.size).toBe(IMAGES);
    expect(queued.images).toEqual(expected.images);
    expect(queued.scores.size).toBe(IMAGES);
    expect(queued.scores).toEqual(expected.scores);
    // The maps came back with the scores, and the coordinator wrote the same gallery items.
    expect(queued.gallery).toEqual(expected.gallery);
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

describe('restarting camanim eval --queue', () => {
  it('adds no job twice, collects what the workers finished meanwhile, and equals the single-process run', async () => {
    const t0 = performance.now();
    const expected = await reference();
    const t1 = performance.now();
    const out = join(tmp, 'restarted');
    const args = ['eval', BUNDLED_MODEL, root, '--out', out, ...FLAGS, '--queue', url];
    const first = start(args);
    // A long lock: the job it holds while frozen is not taken for stalled.
    const worker = start(['worker', '--queue', url, '--lock-duration', '60000']);
    const procs = [first, worker];
    const logs = logsOf(procs);
    const redis = await connectRedis(url);
    try {
      await within(FIRST_JOB_MS, "the first coordinator's first result", logs, seen(first, /^eval: 1\/6 images/));
      first.child.kill('SIGKILL');
      const killedAt = Date.now();
      expect(await exited(first.child)).toEqual({ code: null, signal: 'SIGKILL' });
      expect(first.err()).toMatch(/^eval: 6 jobs on queue /m);
      // The worker goes on alone: two more jobs completed, none collected; frozen in its fourth.
      await within(STEP_MS, "the worker's fourth job", logs, seen(worker, /^worker: job \S+ of /, 4));
      worker.child.kill('SIGSTOP');
      const key = runKey(out);
      expect(rows(out).images.size).toBe(1);
      const queue = openQueue(redis, key);
      try {
        const before = await jobStates(queue);
        const [stored, ...meanwhile] = jobsStarted(worker).slice(0, 3);
        const states = (m: Map<string, JobState>) => [...m.values()].map((j) => j.state).sort();
        expect(states(before)).toEqual(['active', 'completed', 'completed', 'completed', 'waiting', 'waiting']);
        expect(before.get(stored)?.state).toBe('completed');
        for (const id of meanwhile) {
          expect(before.get(id)).toMatchObject({ state: 'completed', attemptsMade: 1 });
          expect(before.get(id)!.finishedOn).toBeGreaterThan(killedAt);
        }

        const second = start(args);
        procs.push(second);
        // The two completed meanwhile are collected from BullMQ, with the worker still frozen.
        await within(COORDINATOR_MS, 'the restarted coordinator collecting', logs, seen(second, /^eval: 2\/5 images/));
        expect(second.err()).toMatch(/^eval: 6 images \(1 already in the store\), 5 to score in 5 jobs of at most 1$/m);
        // The same jobs, none added again: same ids, same times added; the completed ones not redone.
        expect(await jobStates(queue)).toEqual(before);
        worker.child.kill('SIGCONT');
        const end = await within(COORDINATOR_MS, 'the restarted coordinator', logs, exited(second.child));
        const t2 = performance.now();
        expect(end.code, logs()).toBe(0);
        expect(second.err()).toMatch(/^eval: 5\/5 images · [\d.]+ images\/s · ETA 0 s · jobs left: 0$/m);
        expect(second.err()).not.toContain('stalled');
        // Each of the 6 jobs done once, by the one worker.
        expect(new Set(jobsStarted(worker)).size, logs()).toBe(6);
        expect(jobsStarted(worker)).toHaveLength(6);
        const restarted = rows(out);
        expect(restarted.images).toEqual(expected.images);
        expect(restarted.scores).toEqual(expected.scores);
        expect(restarted.gallery).toEqual(expected.gallery);
        // SIGTERM: an idle worker stops at once, cleanly.
        worker.child.kill('SIGTERM');
        expect(await within(STEP_MS, 'the worker stopping', logs, exited(worker.child))).toEqual({ code: 0, signal: null });
        await expectRemoved(redis, key);
        console.log(
          `eval restart: reference ${((t1 - t0) / 1000).toFixed(1)} s; killed, frozen, restarted: ${((t2 - t1) / 1000).toFixed(1)} s`,
        );
      } finally {
        await queue.close();
      }
    } finally {
      redis.disconnect();
    }
  }, 240_000);

  it('stops on a job that failed on every try, and retries it when run again', async () => {
    const t0 = performance.now();
    const expected = await reference();
    // A model file that can change under the workers, and a dataset of one image: one job.
    const model = join(tmp, 'model', basename(BUNDLED_MODEL));
    mkdirSync(join(tmp, 'model'), { recursive: true });
    const restore = () => copyFileSync(BUNDLED_MODEL, model);
    restore();
    copyFileSync(BUNDLED_MODEL.replace(/\.onnx$/, '.json'), model.replace(/\.onnx$/, '.json'));
    const image = join(tmp, 'one', 'bag', 'bag-0.png');
    mkdirSync(join(tmp, 'one', 'bag'), { recursive: true });
    copyFileSync(join(root, 'bag', 'bag-0.png'), image);
    const out = join(tmp, 'failed');
    const args = ['eval', model, join(tmp, 'one'), '--out', out, ...FLAGS, '--queue', url];
    /** A worker (in this process) that finds another model file at the coordinator's path, fails its job and stops. */
    const wrongModelWorker = async () => {
      writeFileSync(model, 'not the model the coordinator hashed');
      try {
        const r = await camanim(['worker', '--queue', url, '--quiet']);
        expect(r.code).toBe(1);
        expect(r.err).toMatch(/^camanim: The model file here has SHA-256/);
      } finally {
        restore();
      }
    };
    const first = start(args);
    const procs = [first];
    const logs = logsOf(procs);
    const redis = await connectRedis(url);
    try {
      await within(COORDINATOR_MS, 'the first coordinator queueing', logs, seen(first, /^eval: 1 jobs on queue /));
      for (let k = 0; k < 3; k++) await within(STEP_MS, `wrong-model worker ${k + 1}`, logs, wrongModelWorker());
      const end = await within(STEP_MS, 'the first coordinator stopping', logs, exited(first.child));
      expect(end.code, logs()).toBe(1);
      expect(first.err()).toMatch(
        /^camanim: Job images-[0-9a-f]+ \(bag\/bag-0\.png\) failed on the workers, retries included: The model file here has SHA-256/m,
      );
      const key = runKey(out);
      const queue = openQueue(redis, key);
      try {
        const [failed] = await queue.getJobs();
        expect(await failed.getState()).toBe('failed');
        expect(failed.attemptsMade).toBe(3);

        const second = start(args);
        procs.push(second);
        await within(
          COORDINATOR_MS,
          'the restarted coordinator',
          logs,
          seen(second, /^eval: job \S+ failed before \(.*\): retrying it$/),
        );
        // The retried job has its tries anew: one more failure gives it to the next worker, not stopping the run.
        await within(STEP_MS, 'a wrong-model worker after the restart', logs, wrongModelWorker());
        const good = start(['worker', '--queue', url]);
        procs.push(good);
        const end2 = await within(FIRST_JOB_MS, 'the restarted coordinator and a new worker', logs, exited(second.child));
        const t1 = performance.now();
        expect(end2.code, logs()).toBe(0);
        expect(good.err()).toContain(`worker: job ${failed.id} done`);
        const hash = sha256(readFileSync(image));
        const restarted = rows(out);
        expect(restarted.images).toEqual(new Map([[hash, expected.images.get(hash)]]));
        expect(restarted.scores).toEqual(new Map([...expected.scores].filter(([k]) => k.startsWith(`${hash}|`))));
        expect(restarted.gallery).toEqual(new Map([[hash, expected.gallery.get(hash)]]));
        good.child.kill('SIGTERM');
        expect(await within(STEP_MS, 'the worker stopping', logs, exited(good.child))).toEqual({ code: 0, signal: null });
        await expectRemoved(redis, key);
        console.log(`eval failed job: stopped, restarted, done: ${((t1 - t0) / 1000).toFixed(1)} s`);
      } finally {
        await queue.close();
      }
    } finally {
      redis.disconnect();
    }
  }, 240_000);
});
