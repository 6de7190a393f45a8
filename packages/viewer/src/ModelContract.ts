/**
 * The model contract a bundle records (manifest.contract, written by `camanim explain` from
 * packages/core/src/contract): how the image became the model's input (size, layout, channel
 * order, scale, mean/std, resize policy and where each came from) and which output, after
 * which activation, was explained. Optional: bundles from before it lack it. A present but
 * damaged one is refused naming the field, as every other manifest field is.
 */
import type { InputContract, OutputContract } from '@camanim/core';
import { ViewerError } from './ViewerError.ts';

/**
 * What the viewer reads of core's ModelContract (the type the CLI writes), field for field: a
 * field renamed or retyped in core fails to compile here instead of being silently ignored.
 */
export interface ModelContract {
  readonly input: Pick<InputContract, 'size' | 'layout' | 'channels' | 'order' | 'scale' | 'mean' | 'std' | 'resize'> & {
    /** Field → where it came from ("--mean", "model graph", "preset imagenet (--preset)"). */
    readonly sources: Readonly<Record<string, string>>;
  };
  readonly output: Pick<OutputContract, 'name' | 'shape' | 'activation' | 'explained'>;
  /** One line for people. */
  readonly summary: string;
}

type Json = Record<string, unknown>;

const HINT = 'The manifest is damaged; write the bundle again with camanim explain --format bundle';

/** manifest.contract, checked; undefined when the bundle has none. */
export function parseContract(value: unknown, where: string): ModelContract | undefined {
  if (value === undefined || value === null) return undefined;
  const field = new Field(where);
  const c = field.object(value, 'contract');
  const input = field.object(c.input, 'contract.input');
  const output = field.object(c.output, 'contract.output');
  const size = field.ints(input.size, 'contract.input.size', 2, 1);
  const channels = field.oneOf(input.channels, 'contract.input.channels', [1, 3] as const);
  return {
    input: {
      size: [size[0], size[1]],
      layout: field.oneOf(input.layout, 'contract.input.layout', ['NCHW', 'NHWC'] as const),
      channels,
      order: field.oneOf(input.order, 'contract.input.order', ['RGB', 'BGR'] as const),
      scale: field.oneOf(input.scale, 'contract.input.scale', [1, 255] as const),
      mean: field.numbers(input.mean, 'contract.input.mean', channels),
      std: field.numbers(input.std, 'contract.input.std', channels, true),
      resize: field.oneOf(input.resize, 'contract.input.resize', ['crop', 'pad', 'stretch'] as const),
      sources: field.strings(input.sources ?? {}, 'contract.input.sources'),
    },
    output: {
      name: field.string(output.name, 'contract.output.name'),
      shape: field.ints(output.shape, 'contract.output.shape', undefined, 0),
      activation: field.oneOf(output.activation, 'contract.output.activation', ['softmax', 'logsoftmax', 'sigmoid', 'none'] as const),
      explained: field.string(output.explained, 'contract.output.explained'),
    },
    summary: field.string(c.summary, 'contract.summary'),
  };
}

/** The whole contract, one fact a line: the hover text of the summary. */
export function contractDetail(c: ModelContract): string {
  const i = c.input;
  const list = (xs: readonly number[]) => xs.map((x) => String(Number(x.toPrecision(6)))).join(', ');
  const lines = [
    `input ${i.size[0]}×${i.size[1]} (H×W) · ${i.layout} · ${i.channels === 1 ? 'grey' : i.order}`,
    `pixels ${i.scale === 1 ? '/ 255 (0..1)' : 'as they are (0..255)'}, then (x − mean) / std: mean ${list(i.mean)} · std ${list(i.std)}`,
    `resize: ${RESIZE[i.resize]}`,
    ...Object.entries(i.sources).map(([k, v]) => `  ${k}: ${v}`),
    `output '${c.output.name}' [${c.output.shape.join(', ')}] · activation ${c.output.activation} · explained: ${c.output.explained}`,
  ];
  return lines.join('\n');
}

const RESIZE: Record<ModelContract['input']['resize'], string> = {
  crop: 'crop (cover the input, centre crop)',
  pad: 'pad (fit inside, letterbox)',
  stretch: 'stretch (to H×W, aspect not kept)',
};

/** Checks one field at a time; every refusal names the field and what it got. */
class Field {
  constructor(private readonly where: string) {}

  object(v: unknown, name: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(name, 'must be an object', v);
    return v as Json;
  }

  string(v: unknown, name: string): string {
    if (typeof v !== 'string') this.fail(name, 'must be a string', v);
    return v as string;
  }

  oneOf<T extends string | number>(v: unknown, name: string, allowed: readonly T[]): T {
    if (!allowed.includes(v as T)) this.fail(name, `must be one of ${allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ')}`, v);
    return v as T;
  }

  ints(v: unknown, name: string, length: number | undefined, min: number): number[] {
    const ok = Array.isArray(v) && (length === undefined || v.length === length) && v.every((d) => Number.isInteger(d) && d >= min);
    if (!ok) this.fail(name, `must be an array of ${length ?? 'any number of'} integers ≥ ${min}`, v);
    return v as number[];
  }

  /** As many finite numbers as channels (one for all is accepted too); std also > 0. */
  numbers(v: unknown, name: string, channels: number, positive = false): number[] {
    const ok = Array.isArray(v) && (v.length === channels || v.length === 1) && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
    if (!ok) this.fail(name, `must be an array of ${channels} ${positive ? 'positive ' : ''}numbers`, v);
    return v as number[];
  }

  strings(v: unknown, name: string): Record<string, string> {
    const o = this.object(v, name);
    for (const [k, s] of Object.entries(o)) if (typeof s !== 'string') this.fail(`${name}.${k}`, 'must be a string', s);
    return o as Record<string, string>;
  }

  private fail(name: string, what: string, got: unknown): never {
    throw new ViewerError('bad-bundle', `The manifest's ${name} ${what}, got ${JSON.stringify(got ?? null)}`, this.where, HINT);
  }
}
