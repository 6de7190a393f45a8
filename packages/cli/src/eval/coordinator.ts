/**
 * `camanim eval --queue redis://…`: the coordinator. It puts the images the store lacks on the run's
 * BullMQ queue as jobs (a batch of images, every method), waits for the workers' results
 * (QueueEvents) and alone writes them to the store. A job's id comes from its images' keys, so a
 * restarted coordinator finds the jobs it queued before: those still queued or running are not
 * added again, those completed meanwhile are collected, those that failed are retried, with their
 * tries anew. A job whose worker died is put back in the queue by BullMQ's stalled-job check (run
 * by the other workers). When every result is stored the queue is removed from Redis. docs/eval.md.
 */
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { cliError } from '../errors.ts';
import type { Progress } from '../progress.ts';
import { progressLine } from './progress-line.ts';
import { PREFIX, connectionOf, jobId, openQueue, queueName, registerRun, unregisterRun, type JobResult } from './queue.ts';
import type { EvalSpec, HashedItem } from './scorer.ts';
import type { RunKey } from './store.ts';

/** Tries of a job: a worker's error (not its death, which BullMQ's stalled check handles) gives it to another. */
const ATTEMPTS = 3;

export interface QueuedRun {
  readonly redis: Redis;
  readonly url: string;
  readonly key: RunKey;
  readonly spec: EvalSpec;
  /** The images of each job, none of them in the store. */
  readonly jobs: readonly (readonly HashedItem[])[];
}

/** Resolves once every job's result went through `write`. */
export async function coordinate(run: QueuedRun, write: (result: JobResult) => void, progress: Progress): Promise<void> {
  const { redis, key, spec } = run;
  const name = queueName(key);
  const pending = new Map(run.jobs.map((items) => [jobId(items), items]));
  const total = [...pending.values()].reduce((n, items) => n + items.length, 0);
  if (total === 0) return;
  await registerRun(redis, key);
  const queue = openQueue(redis, key);
  // Events from this moment on (Redis stream ids are the server's milliseconds), also those that
  // come before QueueEvents' first read; anything earlier is found by the state scan below.
  const [sec, micro] = await redis.time();
  const events = new QueueEvents(name, {
    connection: connectionOf(redis),
    prefix: PREFIX,
    lastEventId: `${Number(sec) * 1000 + Math.floor(Number(micro) / 1000) - 1}-0`,
  });
  const started = performance.now();
  let done = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const collect = (id: string, result: JobResult) => {
        const items = pending.get(id);
        if (!items) return;
        pending.delete(id);
        write(result);
        done += items.length;
        progress.notice(progressLine(done, total, started, ` · jobs left: ${pending.size}`));
        if (pending.size === 0) resolve();
      };
      const failed = (id: string, reason: string) => {
        if (!pending.has(id)) return;
        const paths = pending.get(id)!.map((it) => it.path);
        reject(
          cliError(
            `Job ${id} (${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ', …' : ''}) failed on the workers, retries included: ${reason}`,
            {},
            'Fix what it says and run the same command again: the results stored so far are kept and the failed jobs are retried',
          ),
        );
      };
      events.on('completed', ({ jobId: id, returnvalue }) => collect(id, returnvalue as unknown as JobResult));
      events.on('failed', ({ jobId: id, failedReason }) => failed(id, failedReason));
      events.on('stalled', ({ jobId: id }) =>
        progress.notice(`eval: job ${id} stalled (its worker stopped): BullMQ put it back in the queue`),
      );
      events.on('error', reject);
      void (async () => {
        await events.waitUntilReady();
        await queue.addBulk(
          [...pending].map(([id, items]) => ({
            name: 'score',
            data: { key, spec, items },
            opts: { jobId: id, attempts: ATTEMPTS, removeOnComplete: false, removeOnFail: false },
          })),
        );
        progress.notice(
          `eval: ${pending.size} jobs on queue ${name} at ${run.url}; waiting for workers (camanim worker --queue ${run.url})`,
        );
        // Jobs this queue held already (a restarted coordinator): collect the finished, retry the failed.
        for (const id of [...pending.keys()]) {
          const job = await queue.getJob(id);
          const state = await job?.getState();
          if (state === 'completed') collect(id, job!.returnvalue);
          else if (state === 'failed') {
            progress.notice(`eval: job ${id} failed before (${job!.failedReason}): retrying it`);
            // With its tries anew: BullMQ keeps attemptsMade otherwise, and one more failure would stop the run again.
            await job!.retry('failed', { resetAttemptsMade: true });
          }
        }
      })().catch(reject);
    });
    await queue.obliterate({ force: true });
    await unregisterRun(redis, key);
  } finally {
    await events.close();
    await queue.close();
  }
}
