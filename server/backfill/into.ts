// Where a backfill's files go: straight into the store (no server running), or through a running server's admin
// ingest (server/admin-ingest.ts), found from the DATA_DIR/admin.json it writes. The same ingest either way.
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { ADMIN_FILE } from '../admin-ingest.ts';
import { inTransaction } from '../store/db.ts';
import { ingestFiles } from '../store/ingest.ts';
import { refreshPendingRollups } from '../store/rollups.ts';

/** Why a file was not stored; `bad` when the file is to blame (a re-run downloads it again), else it is kept. */
export class IngestRefused extends Error {
  constructor(
    message: string,
    readonly bad: boolean,
  ) {
    super(message);
  }
}

/** Stores one downloaded file; resolves with rows per table, or throws IngestRefused having stored nothing. */
export interface Ingester {
  (path: string, name: string): Promise<Record<string, number>>;
  /** Called once after the last file: work left for the end of the backfill. */
  finish?: () => Promise<void>;
}

/**
 * Into the store itself. The rollups are computed once at the end for every interval the files wrote, not after each
 * file (a month's price file and its SCADA file would each roll the month up); until then the window is noted pending
 * in the store, so a backfill killed before its end leaves it for the next openStore.
 */
export function intoStore(conn: DuckDBConnection, scratchDir: string): Ingester {
  const ingest: Ingester = async (path) => {
    const report = await ingestFiles(conn, [path], undefined, { scratchDir, deferRollups: true });
    const bad = report.files.find((f) => f.error);
    // Not what was asked for (an error page served as 200, a cut-off zip): a re-run downloads it again.
    if (bad) throw new IngestRefused(bad.error!, true);
    return report.rows;
  };
  ingest.finish = async () => {
    await inTransaction(conn, () => refreshPendingRollups(conn));
  };
  return ingest;
}

export interface ServerAddress {
  url: string;
  token: string;
}

/** The running server's admin ingest as DATA_DIR/admin.json gives it; null when the server wrote none. */
export function serverOf(dataDir: string): ServerAddress | null {
  const file = join(dataDir, ADMIN_FILE);
  if (!existsSync(file)) return null;
  const a = JSON.parse(readFileSync(file, 'utf8')) as Partial<ServerAddress>;
  return typeof a.url === 'string' && typeof a.token === 'string' ? { url: a.url, token: a.token } : null;
}

/** POSTs each file, streamed from disk, to the server's /admin/ingest; its answer says what was stored. */
export function intoServer(server: ServerAddress): Ingester {
  return (path, name) =>
    new Promise((resolve, reject) => {
      const url = new URL(`/admin/ingest?name=${encodeURIComponent(name)}`, server.url);
      const req = request(url, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${server.token}`,
          'content-type': 'application/octet-stream',
          'content-length': String(statSync(path).size),
        },
      });
      req.on('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('error', reject);
        res.on('end', () => {
          let body: { rows?: Record<string, number>; error?: string };
          try {
            body = JSON.parse(Buffer.concat(parts).toString('utf8'));
          } catch {
            return reject(new IngestRefused(`the server answered ${res.statusCode} without a JSON body`, false));
          }
          if (res.statusCode === 200 && body.rows) return resolve(body.rows);
          reject(new IngestRefused(`the server refused it (${res.statusCode}): ${body.error}`, res.statusCode === 422));
        });
      });
      req.on('error', (err) => reject(new IngestRefused(`the server at ${server.url}: ${err.message}`, false)));
      createReadStream(path)
        .on('error', (err) => req.destroy(err))
        .pipe(req);
    });
}
