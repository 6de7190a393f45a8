/**
 * The store's scores as one flat table for pandas/polars: one row per (image, method, layer,
 * metric) with the image's path, label and prediction, written as CSV and as Parquet
 * (hyparquet-writer).
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ImageRow, ScoreRow } from './store.ts';

export const EXPORT_COLUMNS = [
  'path',
  'image_hash',
  'label',
  'label_index',
  'predicted',
  'method',
  'layer',
  'layer_name',
  'metric',
  'value',
] as const;
type Cell = string | number | null;

export function exportRows(images: readonly ImageRow[], scores: readonly ScoreRow[]): Cell[][] {
  const byHash = new Map(images.map((i) => [i.imageHash, i]));
  return scores.map((s) => {
    const i = byHash.get(s.imageHash);
    return [
      i?.path ?? '',
      s.imageHash,
      i?.label ?? null,
      i?.labelIndex ?? null,
      i?.predicted ?? null,
      s.method,
      s.layer,
      s.layerName,
      s.metric,
      s.value,
    ];
  });
}

export function toCsv(rows: readonly Cell[][]): string {
  const cell = (v: Cell) =>
    v === null ? '' : typeof v === 'number' ? String(v) : /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  return `${[EXPORT_COLUMNS as readonly Cell[], ...rows].map((r) => r.map(cell).join(',')).join('\n')}\n`;
}

export function toParquet(rows: readonly Cell[][]): ArrayBuffer {
  const col = (k: number) => rows.map((r) => r[k]);
  const types = ['STRING', 'STRING', 'STRING', 'INT32', 'INT32', 'STRING', 'INT32', 'STRING', 'STRING', 'DOUBLE'] as const;
  return parquetWriteBuffer({ columnData: EXPORT_COLUMNS.map((name, k) => ({ name, data: col(k), type: types[k] })) });
}
