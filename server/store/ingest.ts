// Imports AEMO files into the store: the public API (ingestBuffer for the live feed, ingestFiles for the CLI),
// folder walking, and the registry CSV's dispatch to loadRegistry. One file = one transaction (ingest-file.ts).
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { inTransaction } from './db.ts';
import { type FileReport, type ImportOptions, importFile, IngestError, rows } from './ingest-file.ts';
import { isNoticeName, parseNotice, storeNotice } from '../alerts/notices.ts';
import { widen, type Window } from './window.ts';
import type { IngestLimits } from './ingest-limits.ts';
import { MmsFormatError } from './mms.ts';
import { loadRegistry } from './registry.ts';
import { refreshRollups } from './rollups.ts';
import { bumpDataVersion } from './version.ts';
import { isZip } from './zip.ts';

export type { FileReport, IngestLimits, Window };

export type IngestOptions = ImportOptions;

export interface IngestReport {
  files: FileReport[];
  /** Rows written per table, over all files. */
  rows: Record<string, number>;
  rejected: number;
  window: Window | null;
  ms: number;
}

const REGISTRY_HEADER = /^\uFEFF?"?Participant"?,"?Station Name"?,"?Region"?,/;

// One import at a time per connection: staging tables are per connection and share names.
const queues = new WeakMap<DuckDBConnection, Promise<unknown>>();
export function serialized<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  const run = (queues.get(conn) ?? Promise.resolve()).catch(() => undefined).then(fn);
  queues.set(conn, run);
  return run;
}

/**
 * Imports one downloaded file (CSV or zip bytes). Throws having stored nothing: `code` 'bad_file' when the file is
 * malformed or past a limit (a zip bomb), 'store_failed' when the store failed (try it again later).
 */
export function ingestBuffer(
  conn: DuckDBConnection,
  name: string,
  bytes: Uint8Array,
  opts: IngestOptions = {},
): Promise<FileReport> {
  if (isNoticeName(name)) return serialized(conn, () => importNotice(conn, name, bytes));
  return serialized(conn, () =>
    importFile(
      conn,
      name,
      async (imp) => {
        if (!isZip(bytes) && REGISTRY_HEADER.test(new TextDecoder().decode(bytes.subarray(0, 200)))) {
          throw new MmsFormatError(name, 1, 'a registry CSV; import it with ingestFiles (a path)');
        }
        await imp.feedBytes(name, bytes);
      },
      opts,
    ),
  );
}

/**
 * Imports one AEMO file on disk (a zip or a CSV, not the registry), streamed as ingestFiles does; throws as
 * ingestBuffer does, having stored nothing. For the server's admin ingest, which sorts the two failures apart.
 */
export function ingestPath(conn: DuckDBConnection, path: string, opts: IngestOptions = {}): Promise<FileReport> {
  return serialized(conn, () => importFile(conn, path, (imp) => imp.feedPath(path), opts));
}

/**
 * Imports files and folders (walked recursively for .csv and .zip, in name order, which is time order for
 * NEMWEB names). Bad files are reported and skipped; the good ones are imported. Registry CSVs go first.
 */
export async function ingestFiles(
  conn: DuckDBConnection,
  paths: string[],
  log?: (file: FileReport) => void,
  opts: IngestOptions = {},
): Promise<IngestReport> {
  const started = performance.now();
  const files: FileReport[] = [];
  const done = (r: FileReport) => {
    files.push(r);
    log?.(r);
  };
  const todo: { path: string; registry: boolean }[] = [];
  for (const p of paths) {
    try {
      for (const f of await expand(p)) todo.push({ path: f, registry: await isRegistry(f) });
    } catch (err) {
      done({
        file: p,
        rows: {},
        skipped: {},
        notes: [],
        window: null,
        ms: 0,
        error: `${p}: ${(err as Error).message}`,
      });
    }
  }
  todo.sort((a, b) => Number(b.registry) - Number(a.registry));
  for (const { path, registry } of todo) {
    const t0 = performance.now();
    const run = () =>
      registry
        ? importRegistry(conn, path)
        : isNoticeName(path)
          ? readFile(path).then((bytes) => importNotice(conn, path, bytes))
          : importFile(conn, path, (imp) => imp.feedPath(path), opts);
    done(
      await serialized(conn, run).catch((err: Error) => ({
        file: path,
        rows: {},
        skipped: {},
        notes: [],
        window: null,
        ms: performance.now() - t0,
        error: err.message,
      })),
    );
  }
  const rows: Record<string, number> = {};
  let window: Window | null = null;
  for (const f of files) {
    for (const [t, n] of Object.entries(f.rows)) rows[t] = (rows[t] ?? 0) + n;
    if (f.window) window = widen(window, f.window);
  }
  return { files, rows, rejected: files.filter((f) => f.error).length, window, ms: performance.now() - started };
}

async function expand(path: string): Promise<string[]> {
  if (!(await stat(path)).isDirectory()) return [path];
  const names = (await readdir(path, { recursive: true }))
    .filter((n) => /\.(csv|zip)$/i.test(n) || isNoticeName(n))
    .sort();
  const out: string[] = [];
  for (const n of names) if ((await stat(join(path, n))).isFile()) out.push(join(path, n));
  return out;
}

async function isRegistry(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(200), 0, 200, 0);
    return REGISTRY_HEADER.test(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await fh.close();
  }
}

async function importRegistry(conn: DuckDBConnection, path: string): Promise<FileReport> {
  const started = performance.now();
  const report: FileReport = { file: path, rows: {}, skipped: {}, notes: [], window: null, ms: 0 };
  try {
    // Units decide fuels and regions of every past answer. Bumped first, on its own: a crash after it costs cache
    // misses, never a stale answer.
    await bumpDataVersion(conn);
    const r = await loadRegistry(conn, path);
    report.rows.units = r.units;
    if (r.merged) report.notes.push(`${rows(r.merged)} merged into an earlier row with the same DUID`);
    if (r.skipped.length)
      report.notes.push(
        `${rows(r.skipped.length)} skipped (${[...new Set(r.skipped.map((s) => s.reason))].join('; ')})`,
      );
    // Units decide every rollup's fuel and region: recompute them over whatever SCADA is already stored.
    const span = (await conn.runAndReadAll('SELECT min(ts) AS lo, max(ts) AS hi FROM scada')).getRowObjectsJS()[0];
    if (span.lo !== null) await inTransaction(conn, () => refreshRollups(conn, Number(span.lo) - 300, Number(span.hi)));
  } catch (err) {
    report.error = (err as Error).message;
  }
  report.ms = performance.now() - started;
  return report;
}

/** One AEMO market notice (a text file, server/alerts/notices.ts): stored once by its id; no interval rows. */
async function importNotice(conn: DuckDBConnection, name: string, bytes: Uint8Array): Promise<FileReport> {
  const started = performance.now();
  let stored: number;
  try {
    stored = await storeNotice(conn, parseNotice(name, bytes));
  } catch (err) {
    throw new IngestError(name, err);
  }
  const notes = stored === 0 ? ['notice already stored'] : [];
  return {
    file: name,
    rows: { market_notice: stored },
    skipped: {},
    notes,
    window: null,
    ms: performance.now() - started,
  };
}
