/**
 * The fuzz child process: one device, then for each case sent by the parent: load the model
 * file, run it on a random input of its declared shape, and backpropagate class 0 of the first
 * output. Replies with how it ended. A crash, a hang or a heap abort kills only this process;
 * the parent notices, records the case and starts a new child.
 */
import { join } from 'node:path';
import { acquireDevice, isCamanimError, loadModel, Runtime, type Gradients, type Model, type Run } from '@camanim/core';
import { Rng } from './rng.ts';
import type { CaseMessage, Outcome, WorkerMessage } from './protocol.ts';

/** Inputs bigger than this get a 1-element tensor (the model must refuse it with bad-input). */
const MAX_INPUT_ELEMENTS = 2 ** 23;

const send = (m: WorkerMessage) => process.send!(m);

let current: number | undefined;
let lastCase: number | undefined;
let uncaptured: string | undefined;

function fatal(kind: 'unhandled-rejection' | 'uncaught-exception', e: unknown): void {
  const err = e as Error;
  send({
    type: 'fatal',
    id: current ?? lastCase,
    kind,
    message: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}`,
    stack: String(err?.stack ?? '').slice(0, 4000),
  });
  setTimeout(() => process.exit(1), 50);
}
process.on('unhandledRejection', (e) => fatal('unhandled-rejection', e));
process.on('uncaughtException', (e) => fatal('uncaught-exception', e));

const device = await acquireDevice();
const runtime = new Runtime(device);

// Heartbeats while kernels compile: SwiftShader takes up to a second per pipeline, so a big
// model's first run can take minutes. The parent calls a case hung only after a long silence.
let lastBeat = 0;
const beat = () => {
  const now = Date.now();
  if (current !== undefined && now - lastBeat > 1000) {
    lastBeat = now;
    send({ type: 'progress', id: current });
  }
};
const compile = runtime.pipeline.bind(runtime);
runtime.pipeline = (kernel) => {
  const p = compile(kernel);
  p.then(beat, beat);
  return p;
};
device.gpu.addEventListener?.('uncapturederror', (ev) => {
  uncaptured = (ev as GPUUncapturedErrorEvent).error?.message ?? 'uncaptured GPU error';
});

function feedsFor(model: Model, rng: Rng): Record<string, { data: Float32Array; shape: number[] }> {
  const feeds: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const input of model.inputs) {
    const shape = input.shape.map((d) => (d >= 0 && Number.isFinite(d) ? d : rng.range(1, 6)));
    // Any batch size is allowed: sometimes run 2 or 3 images at once.
    if (shape.length && rng.chance(0.25)) shape[0] = rng.range(2, 3);
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(Number.isSafeInteger(n) && n <= MAX_INPUT_ELEMENTS ? n : 1);
    for (let k = 0; k < data.length; k++) data[k] = rng.next() * 2 - 1;
    feeds[input.name] = { data, shape };
  }
  return feeds;
}

/** A host allocation that failed somewhere in the cause chain (the child's memory is capped). */
function allocationFailure(e: unknown): string | undefined {
  for (let c: unknown = e, depth = 0; c instanceof Error && depth < 8; c = c.cause, depth++) {
    if (
      c instanceof RangeError &&
      /allocation failed|Invalid array length|Invalid typed array length|invalid size/i.test(c.message)
    )
      return `${c.name}: ${c.message}`;
  }
  return undefined;
}

async function runCase(msg: CaseMessage): Promise<Outcome> {
  const rng = new Rng(msg.inputSeed);
  let phase: Outcome['phase'] = 'load';
  let model: Model | undefined;
  let run: Run | undefined;
  let grads: Gradients | undefined;
  try {
    model = await loadModel(join(msg.dir, msg.file), { runtime, memoryBudget: msg.memoryBudget });
    phase = 'run';
    run = await model.run(feedsFor(model, rng));
    phase = 'backward';
    grads = await run.backward({ class: 0 });
    phase = 'done';
    return { status: 'ok', phase };
  } catch (e) {
    if (isCamanimError(e)) {
      const cause = e.cause;
      // inferGraph turns any plain exception of an op's attrs/shape/fold into 'Shape inference failed'.
      const wrapped =
        /^Shape inference failed/.test(e.what) && cause instanceof Error && !isCamanimError(cause)
          ? `${cause.name}: ${cause.message}`
          : undefined;
      return {
        status: 'rejected',
        phase,
        code: e.code,
        message: e.message.slice(0, 2000),
        wrapped,
        allocation: allocationFailure(e),
      };
    }
    const err = e as Error;
    return {
      status: 'exception',
      phase,
      name: err?.constructor?.name ?? typeof e,
      message: String(err?.message ?? e).slice(0, 2000),
      stack: String(err?.stack ?? '').slice(0, 4000),
    };
  } finally {
    grads?.dispose();
    run?.dispose();
    model?.dispose();
  }
}

// The parent went away (killed, or finished without us): nothing is left to do.
process.on('disconnect', () => process.exit(0));

process.on('message', async (msg: CaseMessage) => {
  if (msg.type !== 'case') return;
  current = msg.id;
  uncaptured = undefined;
  const outcome = await runCase(msg);
  // Let the GPU's uncaptured-error events and a device loss surface before answering.
  await new Promise((r) => setTimeout(r, 0));
  if (device.isLost()) outcome.deviceLost = await device.lost;
  if (uncaptured) outcome.uncaptured = uncaptured;
  current = undefined;
  lastCase = msg.id;
  send({ type: 'result', id: msg.id, outcome });
  if (outcome.deviceLost) setTimeout(() => process.exit(0), 50);
});

send({ type: 'ready', adapter: device.adapterInfo });
