/**
 * Reads a manifest's JSON (or another file camanim writes for the viewer: an eval folder's
 * aggregates.json, gallery.json) one field at a time: every refusal names the file and the field
 * (its path from the root, "cams[1].layers[3].input.byteOffset"), what it must be and what it got.
 */
import { BundleError, DAMAGED, type BundleErrorCode } from './manifest.ts';

export type Json = Record<string, unknown>;

/** Whose fields these are, for the refusals: "The manifest's" (a bundle's, the default), "aggregates.json's". */
export interface FieldsOf {
  readonly subject: string;
  readonly code: BundleErrorCode;
  /** What to do about a damaged file. */
  readonly hint: string;
}

const MANIFEST: FieldsOf = { subject: "The manifest's", code: 'bad-bundle', hint: DAMAGED };

export class Fields {
  constructor(
    readonly where: string,
    readonly of: FieldsOf = MANIFEST,
  ) {}

  object(v: unknown, name: string): Json {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(name, 'must be an object', v);
    return v as Json;
  }

  array(v: unknown, name: string, nonEmpty = false): unknown[] {
    if (!Array.isArray(v) || (nonEmpty && v.length === 0)) this.fail(name, `must be a${nonEmpty ? ' non-empty' : 'n'} array`, v);
    return v as unknown[];
  }

  string(v: unknown, name: string, nonEmpty = false): string {
    if (typeof v !== 'string' || (nonEmpty && !v)) this.fail(name, `must be a${nonEmpty ? ' non-empty' : ''} string`, v);
    return v as string;
  }

  /** A number; NaN and ±Infinity are JSON's null, so null reads as NaN (a score the CLI could not compute). */
  number(v: unknown, name: string): number {
    if (v === null) return Number.NaN;
    if (typeof v !== 'number') this.fail(name, 'must be a number', v);
    return v as number;
  }

  finite(v: unknown, name: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, 'must be a finite number', v);
    return v as number;
  }

  int(v: unknown, name: string, min: number): number {
    if (!Number.isSafeInteger(v) || (v as number) < min) this.fail(name, `must be an integer ≥ ${min}`, v);
    return v as number;
  }

  oneOf<T extends string | number>(v: unknown, name: string, allowed: readonly T[]): T {
    if (!allowed.includes(v as T))
      this.fail(name, `must be one of ${allowed.map((a) => (typeof a === 'string' ? `'${a}'` : String(a))).join(', ')}`, v);
    return v as T;
  }

  ints(v: unknown, name: string, length: number | undefined, min: number): number[] {
    const ok =
      Array.isArray(v) && (length === undefined || v.length === length) && v.every((d) => Number.isSafeInteger(d) && d >= min);
    if (!ok) this.fail(name, `must be an array of ${length ?? 'any number of'} integers ≥ ${min}`, v);
    return v as number[];
  }

  /** `length` finite numbers (or one for all, with `orOne`); `positive` also > 0. */
  numbers(v: unknown, name: string, length?: number, opts: { positive?: boolean; orOne?: boolean } = {}): number[] {
    const sized = (n: number) => length === undefined || n === length || (opts.orOne === true && n === 1);
    const ok =
      Array.isArray(v) &&
      sized(v.length) &&
      v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!opts.positive || x > 0));
    if (!ok)
      this.fail(name, `must be an array of ${length ?? 'any number of'} ${opts.positive ? 'positive ' : ''}finite numbers`, v);
    return v as number[];
  }

  /** `length` values, each a finite number or null (no value there). */
  numbersOrNull(v: unknown, name: string, length: number): (number | null)[] {
    const ok =
      Array.isArray(v) && v.length === length && v.every((x) => x === null || (typeof x === 'number' && Number.isFinite(x)));
    if (!ok) this.fail(name, `must be an array of ${length} finite numbers or nulls`, v);
    return v as (number | null)[];
  }

  strings(v: unknown, name: string): Record<string, string> {
    const o = this.object(v, name);
    for (const [k, s] of Object.entries(o)) if (typeof s !== 'string') this.fail(`${name}.${k}`, 'must be a string', s);
    return o as Record<string, string>;
  }

  fail(name: string, what: string, got: unknown): never {
    throw new BundleError(this.of.code, `${this.of.subject} ${name} ${what}, got ${short(got)}`, this.where, this.of.hint);
  }
}

function short(v: unknown): string {
  const s = JSON.stringify(v ?? null) ?? String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
