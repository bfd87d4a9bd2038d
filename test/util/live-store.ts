// A real store in a temp folder with an Intake wired to the real ingest (for the live feed's tests), logging to lines
// the test can read.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { openStore } from '../../server/store/db.ts';
import { ingestBuffer } from '../../server/store/ingest.ts';
import { Intake, type Batch } from '../../server/live/intake.ts';
import { Ledger } from '../../server/live/ledger.ts';
import { captureLog, type LogLine } from './capture-log.ts';

export interface Harness {
  dir: string;
  instance: DuckDBInstance;
  conn: DuckDBConnection;
  intake: Intake;
  batches: Batch[];
  log: Logger;
  lines: LogLine[];
  /** A fresh Ledger + Intake over the same store, as after a restart. */
  restart(): Promise<Intake>;
  /** Max price ts in the store, or null. */
  watermark(): Promise<number | null>;
  close(): void;
}

export async function storeHarness(): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'live-'));
  const { instance } = await openStore({ dataDir: join(dir, 'data'), threads: 1 });
  const conn = await instance.connect();
  const { log, lines } = captureLog();
  const batches: Batch[] = [];
  const make = async () =>
    new Intake(
      await Ledger.open(conn),
      (n, b) => ingestBuffer(conn, n, b),
      log,
      (b) => void batches.push(b),
    );
  const h: Harness = {
    dir,
    instance,
    conn,
    batches,
    log,
    lines,
    intake: await make(),
    restart: async () => (h.intake = await make()),
    watermark: async () => {
      const r = (await conn.runAndReadAll('SELECT max(ts) AS wm FROM price')).getRowObjectsJS()[0];
      return r.wm === null ? null : Number(r.wm);
    },
    close: () => {
      conn.closeSync();
      instance.closeSync();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
