/**
 * The one reader of an eval folder's aggregates.json and gallery.json (schema.ts): JSON in, typed
 * objects out, or a BundleError ('bad-eval') naming the file, the field and what to do. The
 * gallery is also checked against the aggregates (the same methods and layers), so that a
 * gallery.json from another run is refused rather than shown beside the wrong curve.
 */
import { BundleError } from '../bundle/manifest.ts';
import { Fields, type Json } from '../bundle/fields.ts';
import type { Complete } from '../bundle/manifest.ts';
import {
  AGGREGATES_FILE,
  GALLERY_FILE,
  GALLERY_VERSION,
  type Aggregates,
  type GalleryImage,
  type GalleryIndex,
  type MeanCi,
  type MethodAggregate,
  type GallerySize,
} from './schema.ts';

const AGAIN = 'Run the same camanim eval again: it writes aggregates.json and gallery.json anew from its store (eval.sqlite)';

export function parseAggregates(bytes: Uint8Array | string, where: string): Aggregates {
  const f = fields(AGGREGATES_FILE, where);
  const a = f.object(parseJson(bytes, AGGREGATES_FILE, where), '(root)');
  const acc = f.object(a.accuracy, 'accuracy');
  const out: Complete<Aggregates> = {
    images: f.int(a.images, 'images', 0),
    failed: f.int(a.failed, 'failed', 0),
    accuracy: {
      labelled: f.int(acc.labelled, 'accuracy.labelled', 0),
      correct: f.int(acc.correct, 'accuracy.correct', 0),
      value: acc.value === null ? null : f.finite(acc.value, 'accuracy.value'),
    },
    methods: f.array(a.methods, 'methods', true).map((m, k) => readMethod(f, m, `methods[${k}]`)),
  };
  return out;
}

export function parseGalleryIndex(bytes: Uint8Array | string, where: string): GalleryIndex {
  const f = fields(GALLERY_FILE, where);
  const g = f.object(parseJson(bytes, GALLERY_FILE, where), '(root)');
  if (g.version !== GALLERY_VERSION)
    throw new BundleError(
      'bad-version',
      `Unknown ${GALLERY_FILE} version ${JSON.stringify(g.version ?? null)}: this reader reads version ${GALLERY_VERSION}`,
      where,
      'Open it with a viewer from the same camanim release that wrote it, or run camanim eval again',
    );
  const run = f.object(g.run, 'run');
  const methods = f.array(g.methods, 'methods', true).map((m, k) => {
    const o = f.object(m, `methods[${k}]`);
    return {
      method: f.string(o.method, `methods[${k}].method`, true),
      layers: f.array(o.layers, `methods[${k}].layers`, true).map((l, j) => f.string(l, `methods[${k}].layers[${j}]`, true)),
    };
  });
  const classes = f.array(g.classes, 'classes').map((c, k) => f.string(c, `classes[${k}]`));
  const out: Complete<GalleryIndex> = {
    version: GALLERY_VERSION,
    created: f.string(g.created, 'created'),
    model: f.string(g.model, 'model'),
    dataset: f.string(g.dataset, 'dataset'),
    run: {
      modelHash: f.string(run.modelHash, 'run.modelHash', true),
      settingsHash: f.string(run.settingsHash, 'run.settingsHash', true),
    },
    classes,
    input: readSize(f, g.input, 'input'),
    thumb: readSize(f, g.thumb, 'thumb'),
    map: readSize(f, g.map, 'map'),
    methods,
    images: f.array(g.images, 'images').map((v, k) => readImage(f, v, `images[${k}]`, methods, classes.length)),
  };
  return out;
}

/** Refuses a gallery whose methods or layers are not those of the aggregates beside it. */
export function checkGalleryAgainst(gallery: GalleryIndex, aggregates: Aggregates, where: string): void {
  for (const m of aggregates.methods) {
    const g = gallery.methods.find((x) => x.method === m.method);
    const names = m.layers.map((l) => l.name);
    if (!g || g.layers.length !== names.length || g.layers.some((n, k) => n !== names[k]))
      throw new BundleError(
        'bad-eval',
        `${GALLERY_FILE} and ${AGGREGATES_FILE} disagree on method '${m.method}': ${g ? `layers ${g.layers.join(', ')} against ${names.join(', ')}` : `${GALLERY_FILE} lacks it`}`,
        where,
        `${AGAIN}; both come from one run`,
      );
  }
}

function fields(file: string, where: string): Fields {
  return new Fields(where, { subject: `${file}'s`, code: 'bad-eval', hint: AGAIN });
}

function parseJson(bytes: Uint8Array | string, file: string, where: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes));
  } catch (cause) {
    throw new BundleError(
      'bad-eval',
      `${file} is not valid JSON (${(cause as Error).message}): damaged, or cut short by an interrupted copy`,
      where,
      AGAIN,
    );
  }
}

function readMeanCi(f: Fields, v: unknown, name: string): MeanCi {
  const s = f.object(v, name);
  const out: Complete<MeanCi> = {
    n: f.int(s.n, `${name}.n`, 0),
    mean: f.number(s.mean, `${name}.mean`),
    sd: f.number(s.sd, `${name}.sd`),
    lo: f.number(s.lo, `${name}.lo`),
    hi: f.number(s.hi, `${name}.hi`),
  };
  return out;
}

/** `length` numbers, null standing for NaN (a mean over no value). */
function values(f: Fields, v: unknown, name: string, length: number): number[] {
  const a = f.array(v, name);
  if (a.length !== length) f.fail(name, `must hold ${length} values (one per layer)`, `${a.length} values`);
  return a.map((x, k) => f.number(x, `${name}[${k}]`));
}

function readMethod(f: Fields, v: unknown, name: string): MethodAggregate {
  const m = f.object(v, name);
  const layers = f.array(m.layers, `${name}.layers`, true).map((l, k) => {
    const o = f.object(l, `${name}.layers[${k}]`);
    if (o.layer !== k) f.fail(`${name}.layers[${k}].layer`, `must be its position ${k}`, o.layer);
    return {
      layer: k,
      name: f.string(o.name, `${name}.layers[${k}].name`, true),
      stats: readMeanCi(f, o.stats, `${name}.layers[${k}].stats`),
    };
  });
  const L = layers.length;
  const perClass = f.object(m.perClass, `${name}.perClass`);
  const out: Complete<MethodAggregate> = {
    method: f.string(m.method, `${name}.method`, true),
    metric: f.string(m.metric, `${name}.metric`, true),
    layers,
    bestLayer: f.ints(m.bestLayer, `${name}.bestLayer`, L, 0),
    perClass: Object.fromEntries(Object.entries(perClass).map(([c, xs]) => [c, values(f, xs, `${name}.perClass.${c}`, L)])),
    modelMean: readMeanCi(f, m.modelMean, `${name}.modelMean`),
  };
  return out;
}

function readSize(f: Fields, v: unknown, name: string): GallerySize {
  const s = f.object(v, name);
  return { width: f.int(s.width, `${name}.width`, 1), height: f.int(s.height, `${name}.height`, 1) };
}

function readImage(
  f: Fields,
  v: unknown,
  name: string,
  methods: readonly { method: string; layers: readonly string[] }[],
  classes: number,
): GalleryImage {
  const i = f.object(v, name);
  const classIndex = (x: unknown, field: string) => {
    if (x === null) return null;
    const k = f.int(x, `${name}.${field}`, 0);
    if (classes && k >= classes) f.fail(`${name}.${field}`, `must be a class index < ${classes}`, k);
    return k;
  };
  const scores = f.object(i.scores, `${name}.scores`);
  const out: Complete<GalleryImage> = {
    hash: f.string(i.hash, `${name}.hash`, true),
    path: f.string(i.path, `${name}.path`, true),
    label: i.label === null ? null : f.string(i.label, `${name}.label`),
    labelIndex: classIndex(i.labelIndex, 'labelIndex'),
    predicted: classIndex(i.predicted, 'predicted'),
    status: f.oneOf(i.status, `${name}.status`, ['ok', 'failed'] as const),
    reason: i.reason === null ? null : f.string(i.reason, `${name}.reason`),
    file: i.file === null ? null : f.string(i.file, `${name}.file`, true),
    scores: Object.fromEntries(
      Object.entries(scores).map(([method, byMetric]) => {
        const L = methods.find((m) => m.method === method)?.layers.length;
        if (L === undefined) f.fail(`${name}.scores.${method}`, 'must name a method of methods[]', method);
        const o: Json = f.object(byMetric, `${name}.scores.${method}`);
        return [
          method,
          Object.fromEntries(
            Object.entries(o).map(([metric, xs]) => [metric, values(f, xs, `${name}.scores.${method}.${metric}`, L!)]),
          ),
        ];
      }),
    ),
  };
  return out;
}
