// Opens the one DuckDB database under DATA_DIR, with the settings every process uses, and creates the schema.
import { mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { migrateStore } from './migrate.ts';
import { refreshPendingRollups } from './rollups.ts';
import { inTransaction } from './transaction.ts';
import { SCHEMA_SQL, SCHEMA_VERSION } from './schema.ts';
import { ensureIdentity } from './version.ts';

export { inTransaction } from './transaction.ts';

export const DB_FILE = 'nem.duckdb';

export interface StoreOptions {
  dataDir: string;
  /**
   * DuckDB threads (default: every core; the server passes DUCKDB_THREADS, whose default leaves the event loop a core).
   */
  threads?: number;
  /** e.g. '4GB' */
  memoryLimit?: string;
  readOnly?: boolean;
}

/** Another process holds the store's write lock (a running server, or a second ingest). */
export class StoreBusyError extends Error {
  readonly code = 'store_busy';
  constructor(readonly path: string) {
    super(`the store ${path} is in use by another process (a running server?); stop it or point DATA_DIR elsewhere`);
  }
}

/**
 * The store failed under a write (disk full, connection closed, out of memory): not the data's fault; try again later.
 */
export class StoreError extends Error {
  readonly code = 'store_failed';
  constructor(message: string, cause: unknown) {
    super(`${message}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export async function openStore(opts: StoreOptions): Promise<{ instance: DuckDBInstance; path: string }> {
  if (!process.env.UV_THREADPOOL_SIZE) {
    // DuckDB queries run on libuv's pool; with the default 4 threads, file I/O stalls behind them.
    process.env.UV_THREADPOOL_SIZE = '16';
  }
  mkdirSync(opts.dataDir, { recursive: true });
  const path = join(opts.dataDir, DB_FILE);
  const settings: Record<string, string> = {
    // Without it, memory freed by closed connections is never returned to the OS (STACK.md).
    allocator_background_threads: 'true',
  };
  // Offline work (ingest, demo builds, benchmarks) uses every core; the server passes its own budget (config.ts).
  settings.threads = String(opts.threads ?? cpus().length);
  if (opts.memoryLimit) settings.memory_limit = opts.memoryLimit;
  if (opts.readOnly) settings.access_mode = 'READ_ONLY';
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(path, settings);
  } catch (err) {
    if (/lock/i.test(String((err as Error).message))) throw new StoreBusyError(path);
    throw err;
  }
  if (!opts.readOnly) {
    const conn = await instance.connect();
    try {
      await conn.run(SCHEMA_SQL);
      await migrateStore(conn);
      // A large file's rows committed before its rollups, then a crash: roll them up now (ingest-file.ts).
      await inTransaction(conn, () => refreshPendingRollups(conn));
      await conn.run(
        `INSERT INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}') ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      );
      // Cache keys name the store and its data version (server/store/version.ts), so a rebuilt DATA_DIR never
      // serves answers cached from the old one.
      await ensureIdentity(conn);
    } finally {
      conn.closeSync();
    }
  }
  return { instance, path };
}

/** The data watermark (latest interval with prices) and the first interval, epoch seconds; null when empty. */
export async function readWatermark(conn: DuckDBConnection): Promise<{ watermark: number; firstTs: number } | null> {
  const reader = await conn.runAndReadAll('SELECT max(ts) AS wm, min(ts) AS first FROM price');
  const row = reader.getRowObjectsJS()[0] as { wm: number | null; first: number | null };
  if (row.wm === null || row.first === null) return null;
  return { watermark: Number(row.wm), firstTs: Number(row.first) };
}

/** The store's meta table as a map (demo settings, source, store id). */
export async function readMeta(conn: DuckDBConnection): Promise<Record<string, string>> {
  const rows = (await conn.runAndReadAll('SELECT key, value FROM meta')).getRowObjectsJS();
  return Object.fromEntries(rows.map((r) => [String(r.key), String(r.value)]));
}
