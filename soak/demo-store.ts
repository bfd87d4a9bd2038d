// Builds a demo store into an empty data dir with the store's own builder (registry + buildDemo), so soaks and
// benchmarks can start a server on a store of a chosen size; an existing store is left as it is.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, openStore, readWatermark } from '../server/store/db.ts';
import { buildDemo } from '../server/store/demo.ts';
import { loadRegistry } from '../server/store/registry.ts';
import { ROOT } from './spawn-server.ts';

export const REGISTRY_CSV = join(ROOT, 'server/store/seed/registry.csv');

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
export async function ensureDemoStore(dataDir: string, days: number, log: (m: string) => void = () => {}): Promise<number> {
  const have = await storeDays(dataDir);
  if (have !== null) {
    if (have === 0) throw new Error(`the store in ${dataDir} holds no prices; remove it or choose another data dir`);
    return have;
  }
  log(`building a ${days}-day demo store in ${dataDir} (once; later runs reuse it)…`);
  const { instance } = await openStore({ dataDir });
  try {
    const conn = await instance.connect();
    try {
      await loadRegistry(conn, REGISTRY_CSV);
      const r = await buildDemo(conn, { days });
      log(`demo built in ${r.seconds.toFixed(1)} s (${r.rows.scada.toLocaleString('en')} SCADA rows)`);
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  return days;
}
