/**
 * In-browser compute against the Node core: what the viewer's "Compute in the page" does
 * (window.camanim.compute: image → forward → backward → GradCAM at every spatial layer → maps
 * read back and shown) in headless Chromium, beside the CLI's core (Node + Dawn) doing the same
 * forward, backward and GradCAM stack, both measured in this run on this machine.
 */
import { join } from 'node:path';
import { computeCams } from '@camanim/cam-methods';
import { loadModel, type Model } from '@camanim/core';
import { argmax, type Context } from './lib/context.ts';
import { benchModel } from './lib/env.ts';
import { firstLine, fmtMs, fmtRatio, measure, measureReported, progress, randomInput, type Timing } from './lib/measure.ts';
import { table, type Table } from './lib/table.ts';
import { ASSETS, type ViewerSession } from './lib/viewer.ts';

/** The sample the viewer computes on (the CLI's bundled sample images). */
const SAMPLE = 'bag-0.png';

interface Subject {
  readonly name: string;
  /** The ONNX file, and its URL under the viewer's /b/ (the .json beside it comes along). */
  readonly file: string;
  readonly url: string;
  readonly note: string;
}

interface PageCompute {
  ms: number;
  state: string;
  error: string | null;
  layers: number;
}

export async function viewerComputeSection(ctx: Context): Promise<Table> {
  const t = table(
    '5. In-browser compute vs Node: forward + backward + GradCAM at every spatial layer (the viewer\'s "Compute in the page")',
    [
      'model',
      'input',
      'layers',
      'Node (CLI core)',
      'browser (viewer)',
      'browser / Node',
      'first call: Node / browser',
      'measured on',
    ],
  );
  const subjects: Subject[] = [
    {
      name: 'fashion-canvas',
      file: join(ASSETS, 'fashion-canvas.onnx'),
      url: 'b/assets/fashion-canvas.onnx',
      note: 'the bundled trained model',
    },
  ];
  if (!ctx.opts.quick) {
    const r18 = await benchModel('resnet18');
    if ('skip' in r18) t.notes.push(`resnet18: ${r18.skip}`);
    else
      subjects.push({
        name: 'resnet18',
        file: r18.file,
        url: 'b/models/resnet18.onnx',
        note: 'full width, random init (bench-models/)',
      });
  }
  const viewer = await ctx.viewer();
  if ('skip' in viewer) {
    t.notes.push(`Not measured: ${viewer.skip}`);
    return t;
  }
  for (const s of subjects) {
    try {
      t.rows.push(await compare(ctx, viewer, s));
    } catch (e) {
      t.notes.push(`${s.name}: failed: ${firstLine(e)}`);
    }
  }
  t.notes.push(
    `Browser: the viewer (packages/viewer, vite build) in headless Chromium ${viewer.chromium} (the viewer tests' flags: --headless=new --no-sandbox --enable-unsafe-webgpu --use-angle=swiftshader --use-vulkan=swiftshader), timed in the page around window.camanim.compute({ image: '${SAMPLE}', method: 'gradcam' }) with the model already loaded: fetch and decode the image, preprocess, forward, logits read back, backward, GradCAM at every spatial layer, every map (layer and input resolution) read back, and the result handed to the 3D scene. The browser's first call also fetches and loads the model; both first calls compile the pipelines (not in the medians).`,
    'Node: the same model loaded by @camanim/core on Dawn (the CLI\'s runtime): model.run + logits read back + computeCams(run, { method: "gradcam" }) over the same spatial layers, maps read back; the input is a random tensor of the model\'s input shape in place of the decoded image (decoding and preprocessing a 96×96 PNG are a few ms).',
    "Both run on SwiftShader (a CPU Vulkan) on the same shared cores, so the ratio compares the two WebGPU stacks (Chromium's Dawn in the GPU process vs Dawn in Node), not GPUs.",
  );
  return t;
}

async function compare(ctx: Context, viewer: ViewerSession, s: Subject): Promise<string[]> {
  const shared = s.name === 'resnet18' ? await ctx.model('resnet18') : undefined;
  if (shared && 'skip' in shared) throw new Error(shared.skip);
  const model = shared?.model ?? (await loadModel(s.file, { runtime: ctx.runtime }));
  try {
    const shape = [...model.imageInput().shape];
    const node = await nodeCams(ctx, model, shape, s.name);
    const page = await pageCams(ctx, viewer, s, node.layers);
    return [
      `${s.name} (${s.note})`,
      shape.join('×'),
      String(node.layers),
      `${fmtMs(node.timing.median)} (n=${node.timing.reps})`,
      `${fmtMs(page.timing.median)} (n=${page.timing.reps})`,
      fmtRatio(page.timing.median / node.timing.median),
      `${fmtMs(node.timing.warmup[0])} / ${fmtMs(page.first)}`,
      `Node: Dawn ${ctx.adapter}; browser: ${page.adapter}`,
    ];
  } finally {
    if (!shared) model.dispose();
  }
}

async function nodeCams(ctx: Context, model: Model, shape: number[], name: string): Promise<{ timing: Timing; layers: number }> {
  const x = { data: randomInput(shape.reduce((a, b) => a * b, 1)), shape };
  const out = model.graph.outputs[0].name;
  let layers = 0;
  progress(`viewer-compute ${name}: Node forward + backward + GradCAM`);
  const timing = await measure(
    async () => {
      const run = await model.run(x);
      const cls = argmax((await run.read(out)).data);
      layers = (await computeCams(run, { method: 'gradcam', target: { class: cls } })).layers.length;
      run.dispose();
    },
    { reps: ctx.reps(5, 3), budgetMs: ctx.budget(60_000), label: `node ${name}` },
  );
  return { timing, layers };
}

async function pageCams(
  ctx: Context,
  viewer: ViewerSession,
  s: Subject,
  layers: number,
): Promise<{ timing: Timing; first: number; adapter: string }> {
  const { page, errors } = await viewer.page('', { width: 1280, height: 760 });
  try {
    const image = `b/assets/samples/${SAMPLE}`;
    const compute = async (req: object): Promise<number> => {
      const r = (await page.evaluate(`(async () => {
        const t0 = performance.now();
        await camanim.compute(${JSON.stringify(req)});
        return { ms: performance.now() - t0, state: camanim.state, error: camanim.error, layers: camanim.layers.length };
      })()`)) as PageCompute;
      if (r.state !== 'ready' || r.error) throw new Error(`the page's compute failed: ${r.error ?? r.state}`);
      if (r.layers !== layers) throw new Error(`the page explained ${r.layers} layers, Node ${layers}`);
      return r.ms;
    };
    progress(`viewer-compute ${s.name}: browser, first call loads ${s.url}`);
    const first = await compute({ model: s.url, image, method: 'gradcam' });
    progress(`  browser ${s.name}: first call ${fmtMs(first)}`);
    const timing = await measureReported(() => compute({ image, method: 'gradcam' }), {
      warmup: 0,
      reps: ctx.reps(5, 3),
      budgetMs: ctx.budget(60_000),
      label: `browser ${s.name}`,
    });
    const adapter = (await page.evaluate(
      `navigator.gpu.requestAdapter().then((a) => [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' '))`,
    )) as string;
    if (errors.length) throw new Error(`console errors: ${errors.join('; ').slice(0, 300)}`);
    return { timing, first, adapter: `Chromium WebGPU ${adapter || 'adapter'}` };
  } finally {
    await page.close();
  }
}
