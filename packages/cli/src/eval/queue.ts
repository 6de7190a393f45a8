/**
 * What the coordinator (`camanim eval --queue`) and the workers (`camanim worker --queue`) share:
 * the Redis connection, the run's BullMQ queue and its name, the job and its result, and the list
 * of runs that workers read to find their queues. Every key lives under the `camanim` prefix on
 * the Redis server the user gave; nothing is sent anywhere else. docs/eval.md.
 */
import { Queue, type ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { cliError } from '../errors.ts';
import type { EvalSpec, HashedItem, Scored } from './scorer.ts';
import { sha256, type RunKey } from './store.ts';

/** BullMQ's key prefix for every queue of camanim (BullMQ's own default is `bull`). */
export const PREFIX = 'camanim';
/** Sorted set of the runs that have a queue: member the queue name, score when it was registered. */
export const RUNS = `${PREFIX}:eval-runs`;

/** A job: some images of a run, scored for every method of the run. */
export interface JobData {
  readonly key: RunKey;
  readonly spec: EvalSpec;
  readonly items: readonly HashedItem[];
}

/** A job's return value: the image rows and score rows the coordinator writes. */
export type JobResult = Scored;

/** The run's queue: one per model and settings, so that a restarted coordinator finds its jobs again. */
export function queueName(key: RunKey): string {
  return `eval-${key.modelHash.slice(0, 16)}-${key.settingsHash.slice(0, 16)}`;
}

/** A job's id from its images' keys: the same images are the same job, added once (BullMQ ignores a known id). */
export function jobId(items: readonly HashedItem[]): string {
  return `images-${sha256(items.map((i) => i.hash).join(',')).slice(0, 32)}`;
}

/** Connects to `url` (redis:// or rediss://), or says why it cannot. */
export async function connectRedis(url: string): Promise<Redis> {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['redis:', 'rediss:'].includes(parsed.protocol))
    throw cliError(`--queue expects a Redis URL, got '${url}'`, {}, 'For example --queue redis://127.0.0.1:6379');
  // BullMQ's workers block on Redis: commands must wait for a reconnection rather than fail after 20 retries.
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
  let reason = 'the connection closed';
  redis.on('error', (e: Error) => {
    reason = e.message;
  });
  try {
    await redis.connect();
  } catch {
    redis.disconnect();
    throw cliError(
      `Cannot reach Redis at ${url} (${reason})`,
      {},
      "Start it, e.g. redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no, or fix --queue",
      'not-found',
    );
  }
  return redis;
}

/** Options for a connection of BullMQ's own (QueueEvents and Worker block on theirs) to the server `redis` reached. */
export function connectionOf(redis: Redis): ConnectionOptions {
  const { host, port, username, password, db, tls } = redis.options;
  return { host, port, username, password, db, tls };
}

export function openQueue(redis: Redis, key: RunKey): Queue<JobData, JobResult> {
  return new Queue<JobData, JobResult>(queueName(key), { connection: redis, prefix: PREFIX });
}

/** Lists the run, so that workers find its queue. */
export async function registerRun(redis: Redis, key: RunKey): Promise<void> {
  await redis.zadd(RUNS, 'NX', Date.now(), queueName(key));
}

export async function unregisterRun(redis: Redis, key: RunKey): Promise<void> {
  await redis.zrem(RUNS, queueName(key));
}

/** The oldest listed run whose queue has jobs waiting or running (a stalled one included), if any. */
export async function runWithWork(redis: Redis): Promise<string | undefined> {
  for (const name of await redis.zrange(RUNS, 0, -1)) if (await hasWork(redis, name)) return name;
  return undefined;
}

export async function hasWork(redis: Redis, name: string): Promise<boolean> {
  // skipMetasUpdate: a Queue writes its meta key otherwise, which would outlive the run's queue when the coordinator removed it.
  const queue = new Queue(name, { connection: redis, prefix: PREFIX, skipMetasUpdate: true });
  try {
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized');
    return Object.values(counts).some((n) => n > 0);
  } finally {
    await queue.close();
  }
}
