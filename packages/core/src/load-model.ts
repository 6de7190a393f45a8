/**
 * loadModel: a path, URL or bytes → a Model. With `input` (and `output`) it also reads the
 * model's contract, as the CLI and the viewer do: the input resolved from what is given, the
 * model's own dims and metadata_props, and a preset; the output checked to be a classifier and
 * explained before a final Softmax/LogSoftmax/Sigmoid (contract/).
 */
import { contractModel } from './contract/apply.ts';
import { resolveInputContract, type InputRequest } from './contract/input-contract.ts';
import { CamanimError } from './errors.ts';
import type { Graph } from './graph/ir.ts';
import { modelFromGraph, type GraphModelOptions, type Model } from './model.ts';
import { decodeModel } from './onnx/decode.ts';
import { externalReader, type FileSource } from './onnx/external-data.ts';

export interface LoadOptions extends Omit<GraphModelOptions, 'contract'> {
  /** Name used in messages when `source` is bytes. */
  name?: string;
  /** Where external data files are read from (defaults to the model's folder on disk). */
  files?: FileSource;
  /** The input contract (size, layout, order, scale, mean/std, resize, preset): `model.contract` is then set. */
  input?: InputRequest;
  /** The output to explain, when the model has several (needs `input`). */
  output?: string;
  /** Notices from reading the contract. */
  onNotice?: (message: string) => void;
}

export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

export async function loadModel(source: ModelSource, opts: LoadOptions = {}): Promise<Model> {
  const graph = await loadGraph(source, opts);
  if (opts.output !== undefined && opts.input === undefined) {
    throw new CamanimError(
      'bad-input',
      'loadModel was given an output but no input contract',
      { file: graph.source },
      'Give input: { preset } or { mean, std, … } too',
    );
  }
  if (opts.input === undefined) return modelFromGraph(graph, opts);
  const input = resolveInputContract(graph, [{ from: 'loadModel options', request: opts.input }], { onNotice: opts.onNotice });
  return contractModel(graph, input, { output: opts.output, from: 'loadModel output option' }, opts);
}

/** The decoded graph alone (no device): for reading a model's contract before running it. */
export async function loadGraph(source: ModelSource, opts: Pick<LoadOptions, 'name' | 'files'> = {}): Promise<Graph> {
  const { bytes, name, files } = await readSource(source, opts);
  return decodeModel(bytes, name, externalReader(files, name));
}

async function readSource(
  source: string | URL | Uint8Array | ArrayBuffer,
  opts: Pick<LoadOptions, 'name' | 'files'>,
): Promise<{ bytes: Uint8Array; name: string; files?: FileSource }> {
  if (source instanceof Uint8Array) return { bytes: source, name: opts.name ?? 'model.onnx', files: opts.files };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: opts.name ?? 'model.onnx', files: opts.files };
  const isHttp = source instanceof URL ? /^https?:$/.test(source.protocol) : /^https?:\/\//.test(source);
  if (isHttp) {
    const res = await fetch(source);
    if (!res.ok) throw new CamanimError('not-found', `Could not fetch the model: HTTP ${res.status}`, { file: String(source) });
    return { bytes: new Uint8Array(await res.arrayBuffer()), name: String(source), files: opts.files };
  }
  const { readFile, stat } = await import('node:fs/promises');
  const { dirname, resolve } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const path = resolve(source instanceof URL ? fileURLToPath(source) : source);
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile())
    throw new CamanimError('not-found', 'Model file not found', { file: path }, 'Check the path to the .onnx file');
  const { folderSource } = await import('./onnx/node-files.ts');
  return { bytes: new Uint8Array(await readFile(path)), name: path, files: opts.files ?? folderSource(dirname(path)) };
}
