/**
 * The results store of `camanim eval`: SQLite (better-sqlite3) in WAL mode. A score's key is
 * (model hash, image hash, method, layer, metric, settings hash); an image's row (its label,
 * prediction, or why it failed) is keyed by (model hash, settings hash, image hash). Every row is
 * INSERT OR IGNORE and a batch is written in one transaction, images and scores together: a
 * killed run loses at most the batch in flight, a rerun skips every image that has its row, and a
 * result written twice (a queue job done again) is stored once. docs/eval.md lists the schema.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { cliError } from '../errors.ts';

export interface ImageRow {
  readonly imageHash: string;
  readonly path: string;
  readonly label: string | null;
  /** The label's class index in the model, when the label names one of its classes. */
  readonly labelIndex: number | null;
  readonly predicted: number | null;
  readonly status: 'ok' | 'failed';
  readonly reason: string | null;
}

export interface ScoreRow {
  readonly imageHash: string;
  readonly method: string;
  /** 0-based index in the selected layers. */
  readonly layer: number;
  readonly layerName: string;
  readonly metric: string;
  readonly value: number;
}

/** What every row of a run shares. */
export interface RunKey {
  readonly modelHash: string;
  readonly settingsHash: string;
}

/** A run's short name in files (the gallery's folder): 16 hex digits of each hash. */
export function runId(key: RunKey): string {
  return `${key.modelHash.slice(0, 16)}-${key.settingsHash.slice(0, 16)}`;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (model_hash TEXT NOT NULL, settings_hash TEXT NOT NULL, model TEXT NOT NULL, dataset TEXT NOT NULL,
  settings TEXT NOT NULL, created TEXT NOT NULL, PRIMARY KEY (model_hash, settings_hash));
CREATE TABLE IF NOT EXISTS images (model_hash TEXT NOT NULL, settings_hash TEXT NOT NULL, image_hash TEXT NOT NULL, path TEXT NOT NULL,
  label TEXT, label_index INTEGER, predicted INTEGER, status TEXT NOT NULL CHECK (status IN ('ok', 'failed')), reason TEXT,
  PRIMARY KEY (model_hash, settings_hash, image_hash));
CREATE TABLE IF NOT EXISTS scores (model_hash TEXT NOT NULL, image_hash TEXT NOT NULL, method TEXT NOT NULL, layer INTEGER NOT NULL,
  layer_name TEXT NOT NULL, metric TEXT NOT NULL, settings_hash TEXT NOT NULL, value REAL,
  PRIMARY KEY (model_hash, image_hash, method, layer, metric, settings_hash));
`;

export class EvalStore {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {}

  static open(file: string): EvalStore {
    let db: Database.Database;
    try {
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCHEMA);
    } catch (cause) {
      throw cliError(
        `Cannot open the results store: ${(cause as Error).message}`,
        { file },
        "Choose another --out, or remove a store that is not camanim's",
        'bad-input',
        cause,
      );
    }
    return new EvalStore(db, file);
  }

  beginRun(key: RunKey, info: { model: string; dataset: string; settings: unknown }): void {
    this.db
      .prepare('INSERT OR IGNORE INTO runs VALUES (?, ?, ?, ?, ?, ?)')
      .run(key.modelHash, key.settingsHash, info.model, info.dataset, JSON.stringify(info.settings), new Date().toISOString());
  }

  /** The runs this store holds (one per model and settings). */
  runs(): RunKey[] {
    return (this.db.prepare('SELECT model_hash, settings_hash FROM runs ORDER BY created').all() as Record<string, string>[]).map(
      (r) => ({ modelHash: r.model_hash, settingsHash: r.settings_hash }),
    );
  }

  /** Image hashes that already have their row (done or failed) in this run. */
  done(key: RunKey): Set<string> {
    const rows = this.db
      .prepare('SELECT image_hash FROM images WHERE model_hash = ? AND settings_hash = ?')
      .pluck()
      .all(key.modelHash, key.settingsHash) as string[];
    return new Set(rows);
  }

  /** One transaction: the batch is all there or not at all. Returns the score rows actually added. */
  writeBatch(key: RunKey, images: readonly ImageRow[], scores: readonly ScoreRow[]): number {
    const img = this.db.prepare('INSERT OR IGNORE INTO images VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const score = this.db.prepare('INSERT OR IGNORE INTO scores VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    return this.db.transaction(() => {
      for (const i of images)
        img.run(key.modelHash, key.settingsHash, i.imageHash, i.path, i.label, i.labelIndex, i.predicted, i.status, i.reason);
      let added = 0;
      for (const s of scores)
        added += score.run(
          key.modelHash,
          s.imageHash,
          s.method,
          s.layer,
          s.layerName,
          s.metric,
          key.settingsHash,
          s.value,
        ).changes;
      return added;
    })();
  }

  images(key: RunKey): ImageRow[] {
    return (
      this.db
        .prepare(
          'SELECT image_hash, path, label, label_index, predicted, status, reason FROM images WHERE model_hash = ? AND settings_hash = ? ORDER BY path',
        )
        .all(key.modelHash, key.settingsHash) as Record<string, never>[]
    ).map((r) => ({
      imageHash: r.image_hash,
      path: r.path,
      label: r.label,
      labelIndex: r.label_index,
      predicted: r.predicted,
      status: r.status,
      reason: r.reason,
    }));
  }

  scores(key: RunKey): ScoreRow[] {
    return (
      this.db
        .prepare(
          'SELECT image_hash, method, layer, layer_name, metric, value FROM scores WHERE model_hash = ? AND settings_hash = ? ORDER BY image_hash, method, metric, layer',
        )
        .all(key.modelHash, key.settingsHash) as Record<string, never>[]
    ).map((r) => ({
      imageHash: r.image_hash,
      method: r.method,
      layer: r.layer,
      layerName: r.layer_name,
      metric: r.metric,
      value: r.value ?? NaN,
    }));
  }

  close(): void {
    this.db.close();
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
