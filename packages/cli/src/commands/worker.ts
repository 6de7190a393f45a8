/**
 * `camanim worker --queue redis://…`: takes `camanim eval --queue` jobs and scores them with the
 * single-process eval's code (eval/scorer.ts), one job at a time, returning the rows to the
 * coordinator. It serves the oldest run listed in Redis that has work, loading that run's model
 * once. It reads the model and images at the paths the coordinator gives, and refuses a model file
 * or image whose bytes differ: it fails that job with the reason (BullMQ gives it to another
 * worker) and stops. SIGTERM or Ctrl-C lets the job in hand finish; a second one stops at once. docs/eval.md.
 */
import { Worker, type Job } from 'bullmq';
import { cliError } from '../errors.ts';
import type { Io } from '../io.ts';
import { Progress } from '../progress.ts';
import { PREFIX, connectionOf, connectRedis, hasWork, runWithWork, type JobData, type JobResult } from '../eval/queue.ts';
import { Scorer, imageHash } from '../eval/scorer.ts';

export interface WorkerOptions {
  readonly queue: string;
  /** BullMQ lockDuration: a job whose worker gave no sign of life for this long is another's. */
  readonly lockDuration: number;
  /** BullMQ stalledInterval: how often this worker looks for jobs whose worker died. */
  readonly stalledInterval: number;
  readonly quiet: boolean;
}

/** How often an idle worker looks for a run with work, and a busy one whether its run has any left. */
const POLL_MS = 1000;

export async function workerCommand(opts: WorkerOptions, io: Io): Promise<void> {
  const progress = new Progress(io, opts.quiet);
  const redis = await connectRedis(opts.queue);
  let scorer: Scorer | undefined;
  let fatal: unknown;
  let stopping = false;
  let wake = () => {};
  const stopped = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const onSignal = () => {
    // A second signal stops at once (a worker whose Redis is gone waits for it to come back).
    if (stopping) process.exit(130);
    stopping = true;
    progress.notice('worker: stopping after the job in hand (again to stop at once)');
    wake();
  };
  const pause = () => Promise.race([stopped, new Promise((r) => setTimeout(r, POLL_MS))]);
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  /** The run's scorer, loaded once per run; refuses a model or image that is not the coordinator's. */
  const scorerFor = async ({ key, spec, items }: JobData): Promise<Scorer> => {
    if (scorer?.key.modelHash !== key.modelHash || scorer.key.settingsHash !== key.settingsHash) {
      scorer?.dispose();
      scorer = undefined;
      scorer = await Scorer.open(spec, progress, io.env, key);
    }
    const other = items.find((it) => imageHash(it) !== it.hash);
    if (other)
      throw cliError(
        `'${other.path}' here is not the coordinator's image (its bytes differ)`,
        { file: other.file },
        'Give every worker the same dataset at the same path as the coordinator',
      );
    return scorer;
  };

  const score = async (job: Job<JobData, JobResult>, worker: Worker<JobData, JobResult>): Promise<JobResult> => {
    const { items } = job.data;
    const t0 = performance.now();
    progress.notice(`worker: job ${job.id} of ${job.queueName}: ${items.length} images`);
    const ready = await scorerFor(job.data).catch((e: unknown) => {
      // This worker cannot serve the run: the job fails with the reason (BullMQ gives it to another worker), and the worker stops.
      fatal = e;
      void worker.close();
      throw e;
    });
    const result = await ready.score(items);
    const s = (performance.now() - t0) / 1000;
    progress.notice(
      `worker: job ${job.id} done: ${items.length} images in ${s.toFixed(1)} s (${(items.length / s).toFixed(2)} images/s)`,
    );
    return result;
  };

  const serve = async (name: string): Promise<void> => {
    const worker: Worker<JobData, JobResult> = new Worker<JobData, JobResult>(name, (job) => score(job, worker), {
      connection: connectionOf(redis),
      prefix: PREFIX,
      concurrency: 1,
      lockDuration: opts.lockDuration,
      stalledInterval: opts.stalledInterval,
    });
    worker.on('failed', (job, e) => progress.notice(`worker: job ${job?.id} failed: ${e.message}`));
    worker.on('error', (e) => progress.notice(`worker: ${e.message}`));
    try {
      // Stays while the run has jobs waiting or running: its stalled-job check recovers a dead worker's job.
      while (!stopping && fatal === undefined && (await hasWork(redis, name))) await pause();
    } finally {
      await worker.close();
    }
  };

  try {
    progress.notice(`worker: waiting for camanim eval jobs at ${opts.queue}`);
    while (!stopping && fatal === undefined) {
      const name = await runWithWork(redis);
      if (name) await serve(name);
      else await pause();
    }
    if (fatal !== undefined) throw fatal;
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    scorer?.dispose();
    redis.disconnect();
  }
}
