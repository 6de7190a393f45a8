// Page side of `pnpm bench` (test/bench/lib/browser.ts loads this into headless Chromium).
// Plain JavaScript on purpose: page.evaluate gets a call expression, no transpiled code.
// Every function resolves with JSON: timings in ms (warm-up, then repetitions) and checks.

import { randomInput } from './random-input.js';

async function timed(fn, { warmup = 1, reps = 5, minReps = 3, budgetMs }) {
  const warm = [];
  for (let k = 0; k < warmup; k++) {
    const t0 = performance.now();
    await fn();
    warm.push(performance.now() - t0);
  }
  const samples = [];
  let spent = 0;
  while (samples.length < reps && (samples.length < Math.min(reps, minReps) || budgetMs === undefined || spent < budgetMs)) {
    const t0 = performance.now();
    await fn();
    const t = performance.now() - t0;
    samples.push(t);
    spent += t;
  }
  return { warmup: warm, samples };
}

function describeAdapter(a) {
  const i = a.info ?? {};
  const parts = [i.vendor, i.architecture, i.device, i.description].filter(Boolean);
  return (parts.join(' ') || 'unknown adapter') + (i.isFallbackAdapter ? ' (fallback adapter)' : '');
}

window.probeAdapter = async () => {
  const isolated = self.crossOriginIsolated === true;
  if (!navigator.gpu) return { ok: false, reason: 'navigator.gpu is undefined', isolated };
  const a = await navigator.gpu.requestAdapter();
  if (!a) return { ok: false, reason: 'requestAdapter() returned null', isolated };
  return { ok: true, adapter: describeAdapter(a), isolated };
};

/**
 * onnxruntime-web, WebGPU execution provider: session.run with the input uploaded from a
 * Float32Array and the logits read back to the CPU (ORT's default output location).
 */
window.benchOrt = async ({ model, batch, size = 224, warmup, reps, minReps, budgetMs }) => {
  const ort = await import('/ort/ort.webgpu.min.mjs');
  ort.env.wasm.wasmPaths = '/ort/';
  ort.env.logLevel = 'error';
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(`/models/${model}`, {
    executionProviders: ['webgpu'],
    graphOptimizationLevel: 'all',
  });
  const loadMs = performance.now() - t0;
  const inName = session.inputNames[0];
  const outName = session.outputNames[0];
  const data = randomInput(batch * 3 * size * size);
  let logits;
  const once = async () => {
    const out = await session.run({ [inName]: new ort.Tensor('float32', data, [batch, 3, size, size]) });
    const t = out[outName];
    logits = await t.getData();
    t.dispose?.();
  };
  const r = await timed(once, { warmup, reps, minReps, budgetMs });
  await session.release();
  const adapter = ort.env.webgpu?.adapter ? describeAdapter(ort.env.webgpu.adapter) : undefined;
  return { ...r, loadMs, adapter, logits: Array.from(logits.slice(0, logits.length / batch)) };
};

// ---------------------------------------------------------------- TensorFlow.js

/**
 * A ResNet-18-shaped network in TF.js ops (NHWC; BatchNorm folded into conv biases, as in the
 * ONNX export; random weights), with a zero "probe" added to every spatial layer output
 * (every conv, ReLU, residual add and the max-pool: 46 layers, as in the ONNX model), so
 * tf.grads gives d logit[k] / d (layer output) at every layer in one forward + backward.
 */
function resnet18(tf, classes = 1000) {
  const conv = (k, cin, cout) => ({
    w: tf.randomNormal([k, k, cin, cout], 0, Math.sqrt(2 / (k * k * cout)), 'float32', 7),
    b: tf.randomNormal([cout], 0, 0.05, 'float32', 8),
  });
  const net = { stem: conv(7, 3, 64), blocks: [], fc: null };
  let cin = 64;
  for (const [cout, stride] of [
    [64, 1],
    [128, 2],
    [256, 2],
    [512, 2],
  ]) {
    for (let b = 0; b < 2; b++) {
      const s = b === 0 ? stride : 1;
      net.blocks.push({
        stride: s,
        c1: conv(3, cin, cout),
        c2: conv(3, cout, cout),
        down: s !== 1 || cin !== cout ? conv(1, cin, cout) : null,
      });
      cin = cout;
    }
  }
  net.fc = { w: tf.randomNormal([512, classes], 0, Math.sqrt(1 / 512), 'float32', 9), b: tf.zeros([classes]) };
  return net;
}

/** tap(t) is applied to every spatial layer output, in order. */
function forward(tf, net, x, tap) {
  const conv = (t, c, stride) => {
    const k = c.w.shape[0];
    const pad =
      k === 7
        ? [
            [0, 0],
            [3, 3],
            [3, 3],
            [0, 0],
          ]
        : k === 3
          ? [
              [0, 0],
              [1, 1],
              [1, 1],
              [0, 0],
            ]
          : 'valid';
    return tap(tf.add(tf.conv2d(t, c.w, stride, pad), c.b));
  };
  let t = conv(x, net.stem, 2);
  t = tap(tf.relu(t));
  t = tap(
    tf.maxPool(
      tf.pad(
        t,
        [
          [0, 0],
          [1, 1],
          [1, 1],
          [0, 0],
        ],
        -1e30,
      ),
      3,
      2,
      'valid',
    ),
  );
  for (const blk of net.blocks) {
    let y = conv(t, blk.c1, blk.stride);
    y = tap(tf.relu(y));
    y = conv(y, blk.c2, 1);
    const skip = blk.down ? conv(t, blk.down, blk.stride) : t;
    t = tap(tf.relu(tap(tf.add(y, skip))));
  }
  const pooled = tf.mean(t, [1, 2]);
  return tf.add(tf.matMul(pooled, net.fc.w), net.fc.b);
}

/**
 * TF.js WebGPU backend: forward, and forward + backward giving the gradient of logit[cls]
 * at every spatial layer (tf.grads with respect to the zero probes), the result awaited by
 * reading a scalar of the last gradient computed (the first layer's).
 */
window.benchTfjsGrad = async ({ batch = 1, size = 224, cls = 0, warmup, reps, minReps, budgetMs }) => {
  const tf = window.tf;
  if (!tf) throw new Error('TensorFlow.js did not load');
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js could not start its webgpu backend');
  await tf.ready();
  const backend = tf.getBackend();
  const net = resnet18(tf);
  const data = randomInput(batch * size * size * 3);
  const shapes = [];
  tf.tidy(() => {
    forward(tf, net, tf.tensor4d(data, [batch, size, size, 3]), (t) => {
      shapes.push(t.shape);
      return t;
    });
  });
  const probes = shapes.map((s) => tf.zeros(s));
  const gradFn = tf.grads((...ps) => {
    let p = 0;
    const logits = forward(tf, net, tf.tensor4d(data, [batch, size, size, 3]), (t) => tf.add(t, ps[p++]));
    return tf.sum(tf.slice(logits, [0, cls], [batch, 1]));
  });
  const gradOnce = async () => {
    const s = tf.tidy(() => tf.sum(gradFn(probes)[0]));
    await s.data();
    s.dispose();
  };
  const fwdOnce = async () => {
    const l = tf.tidy(() => forward(tf, net, tf.tensor4d(data, [batch, size, size, 3]), (t) => t));
    await l.data();
    l.dispose();
  };
  const fwd = await timed(fwdOnce, { warmup, reps, minReps, budgetMs });
  const grad = await timed(gradOnce, { warmup, reps, minReps, budgetMs });
  probes.forEach((p) => p.dispose());
  return { backend, layers: shapes.length, fwd, grad, tensors: tf.memory().numTensors };
};

window.benchReady = true;
