// Builds a demo store into an empty data dir as `npm start` does on first run (server/store/ensure-store.ts, with
// the config's defaults), so soaks and benchmarks can start a server on a store of a chosen size; an existing store
// is left as it is, brought up to the current schema.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../server/config.ts';
import { DB_FILE, openStore, readWatermark } from '../server/store/db.ts';
import { DEMO_WATERMARK } from '../server/store/demo.ts';
import { ensureStore } from '../server/store/ensure-store.ts';

/** Days of data the store in dataDir spans (rounded), or null when there is no store there. */
export async function storeDays(dataDir: string): Promise<number | null> {
  if (!existsSync(join(dataDir, DB_FILE))) return null;
  const { instance } = await openStore({ dataDir, readOnly: true });
  const conn = await instance.connect();
  try {
    const wm = await readWatermark(conn);
    return wm ? Math.round((wm.watermark - wm.firstTs) / 86400) : 0;
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

/** Returns the days of the store already in dataDir, or builds a `days`-day demo there and returns `days`. */
export async function ensureDemoStore(
  dataDir: string,
  days: number,
  log: (m: string) => void = () => {},
): Promise<number> {
  const have = await storeDays(dataDir);
  if (have !== null) {
    // ensureStore would build a demo into it: not for a store someone else's data may be about to fill.
    if (have === 0) throw new Error(`the store in ${dataDir} holds no prices; remove it or choose another data dir`);
    // Opened once for writing, as a server would: a store written by an older version gets the current schema's
    // tables and migrations, so the read-only opens after it (cold-queries) find every table a kind reads.
    (await openStore({ dataDir })).instance.closeSync();
    return have;
  }
  // Pinned to the demo's fixed end: the same store (so comparable figures) on every machine and run.
  const config = loadConfig([], { DATA_DIR: dataDir, DEMO_DAYS: String(days), DEMO_END: String(DEMO_WATERMARK) });
  const store = await ensureStore(config, { info: log });
  store.instance.closeSync();
  return days;
}
