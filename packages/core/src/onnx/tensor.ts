/**
 * ONNX TensorProto → HostTensor. Handles typed fields and raw_data (little-endian), and
 * external data through a reader supplied by the loader (which owns the path checks).
 * https://github.com/onnx/onnx/blob/main/onnx/onnx.proto (TensorProto)
 */
import type { onnx } from 'onnx-proto';
import { CamanimError } from '../errors.ts';
import type { DType, HostTensor } from '../graph/ir.ts';

const DTYPES: Record<number, DType> = {
  1: 'float32',
  2: 'uint8',
  3: 'int8',
  5: 'int16',
  6: 'int32',
  7: 'int64',
  8: 'string',
  9: 'bool',
  10: 'float16',
  11: 'float64',
};
const BYTES: Partial<Record<DType, number>> = {
  float32: 4,
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  int64: 8,
  bool: 1,
  float16: 2,
  float64: 8,
};

export function dtypeOf(code: number | null | undefined): DType {
  return DTYPES[code ?? 0] ?? 'unknown';
}

export function bytesPerElement(dtype: DType): number | undefined {
  return BYTES[dtype];
}

/** protobufjs gives int64 as Long objects (or numbers); both become numbers here. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof (v as { toNumber?: () => number }).toNumber === 'function') return (v as { toNumber(): number }).toNumber();
  return Number(v);
}

export type ExternalReader = (tensor: string, entries: Map<string, string>, byteLength: number) => Uint8Array;

export const MAX_TENSOR_ELEMENTS = 2 ** 31;

export function tensorFromProto(t: onnx.ITensorProto, source: string, readExternal?: ExternalReader): HostTensor {
  const name = t.name ?? '';
  const dtype = dtypeOf(t.dataType);
  const shape = (t.dims ?? []).map(toNumber);
  if (shape.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw new CamanimError(
      'bad-model',
      `Tensor has invalid dims [${shape.join(', ')}]`,
      { file: source, tensor: name },
      'The model file is corrupt',
    );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count > MAX_TENSOR_ELEMENTS) {
    throw new CamanimError(
      'resource-limit',
      `Tensor has ${count} elements, more than camanim supports (${MAX_TENSOR_ELEMENTS})`,
      { file: source, tensor: name },
    );
  }
  const width = bytesPerElement(dtype);
  if (width === undefined) {
    throw new CamanimError(
      'bad-model',
      `Tensor type ${dtype} (code ${t.dataType}) is not supported`,
      { file: source, tensor: name },
      'Export the model with float32 weights',
    );
  }
  let raw: Uint8Array | undefined = t.rawData?.length ? t.rawData : undefined;
  if (t.dataLocation === 1) {
    if (!readExternal)
      throw new CamanimError(
        'external-data',
        'Tensor stores its data in an external file, but the model was given as bytes',
        { file: source, tensor: name },
        'Load the model from its path, or pass the external files',
      );
    const entries = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    raw = readExternal(name, entries, count * width);
  }
  // The data must match the shape before anything of the shape's size is allocated: a few
  // bytes of dims could otherwise ask for gigabytes.
  if (raw) {
    if (raw.length !== count * width) {
      throw new CamanimError(
        'bad-model',
        `Tensor data holds ${raw.length} bytes but its shape [${shape.join(', ')}] of ${dtype} needs ${count * width}`,
        { file: source, tensor: name },
        'The model file is corrupt or truncated',
      );
    }
    const out = allocate(dtype, count, source, name);
    decodeRaw(raw, dtype, out);
    return { dtype, shape, data: out };
  }
  const typed = typedField(t, dtype);
  if (typed.length !== count) {
    throw new CamanimError(
      'bad-model',
      `Tensor holds ${typed.length} values but its shape [${shape.join(', ')}] needs ${count}`,
      { file: source, tensor: name },
      'The model file is corrupt',
    );
  }
  const out = allocate(dtype, count, source, name);
  for (let k = 0; k < count; k++) out[k] = dtype === 'float16' ? halfToFloat(toNumber(typed[k])) : toNumber(typed[k]);
  return { dtype, shape, data: out };
}

function allocate(dtype: DType, count: number, source: string, tensor: string): Float32Array | Float64Array {
  try {
    return dtype === 'float32' ? new Float32Array(count) : new Float64Array(count);
  } catch (cause) {
    throw new CamanimError(
      'resource-limit',
      `Not enough memory for the ${count} values of this ${dtype} tensor`,
      { file: source, tensor },
      'Close other programs or use a smaller model',
      { cause },
    );
  }
}

function typedField(t: onnx.ITensorProto, dtype: DType): ArrayLike<unknown> {
  switch (dtype) {
    case 'float32':
      return t.floatData ?? [];
    case 'float64':
      return t.doubleData ?? [];
    case 'int64':
      return t.int64Data ?? [];
    default:
      return t.int32Data ?? [];
  }
}

function decodeRaw(raw: Uint8Array, dtype: DType, out: Float32Array | Float64Array): void {
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const n = out.length;
  switch (dtype) {
    case 'float32':
      for (let k = 0; k < n; k++) out[k] = view.getFloat32(k * 4, true);
      break;
    case 'float64':
      for (let k = 0; k < n; k++) out[k] = view.getFloat64(k * 8, true);
      break;
    case 'float16':
      for (let k = 0; k < n; k++) out[k] = halfToFloat(view.getUint16(k * 2, true));
      break;
    case 'int64':
      for (let k = 0; k < n; k++) out[k] = Number(view.getBigInt64(k * 8, true));
      break;
    case 'int32':
      for (let k = 0; k < n; k++) out[k] = view.getInt32(k * 4, true);
      break;
    case 'int16':
      for (let k = 0; k < n; k++) out[k] = view.getInt16(k * 2, true);
      break;
    case 'int8':
      for (let k = 0; k < n; k++) out[k] = view.getInt8(k);
      break;
    default:
      for (let k = 0; k < n; k++) out[k] = view.getUint8(k);
      break;
  }
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
