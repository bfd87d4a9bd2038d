// The benchmark store: the one-year demo (or a small one for --quick), built once into a bench data dir through the
// product's own first-run path (the server builds the demo into an empty DATA_DIR), then reused by every run.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, openStore, readWatermark } from '../server/store/db.ts';
import { spawnServer } from '../soak/spawn-server.ts';

/** Days of data an existing store spans, or null when there is no store in dataDir. */
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

/** Reuses the store in dataDir whatever its size (returns its days), or builds a `days`-day demo there. */
export async function ensureBenchStore(dataDir: string, days: number, cacheDir: string, log: (m: string) => void): Promise<number> {
  const have = await storeDays(dataDir);
  if (have !== null) {
    if (have === 0) throw new Error(`the store in ${dataDir} holds no prices; remove it or pass another --data-dir`);
    if (Math.abs(have - days) > 1) log(`bench: note: ${dataDir} holds ${have} days of data, not ${days}; using it as it is`);
    return have;
  }
  log(`bench: building a ${days}-day demo store in ${dataDir} (once; later runs reuse it)…`);
  const t0 = Date.now();
  const server = await spawnServer({ dataDir, cacheDir, demoDays: days, replaySeconds: 0, warm: false, readyTimeoutMs: 30 * 60_000 });
  const code = await server.stop();
  if (code !== 0) throw new Error(`the server building the bench store exited with ${code}:\n${server.tail()}`);
  log(`bench: store ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return (await storeDays(dataDir)) ?? days;
}
