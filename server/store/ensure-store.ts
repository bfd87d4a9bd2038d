// What `npm start` calls first: open the store under DATA_DIR, load the shipped registry when it has no units and,
// when it holds no data yet (or a demo build was interrupted), build the demo, logging a line per stage. Not for a
// store a real feed is about to fill: a made-up year would be mixed with AEMO's data (opts.demo false).
import { cpus } from 'node:os';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../config.ts';
import { openStore, readWatermark } from './db.ts';
import { buildDemo, isDemoIncomplete } from './demo.ts';
import { describeSeed, ensureRegistry } from './registry.ts';
import { bumpDataVersion } from './version.ts';

export interface StoreLog {
  info(msg: string): void;
}

export interface EnsuredStore {
  instance: DuckDBInstance;
  path: string;
  /** Latest interval with prices, epoch seconds; null when the store is left empty (no demo wanted). */
  watermark: number | null;
  /** True when this call built the demo. */
  built: boolean;
}

export async function ensureStore(
  config: Pick<Config, 'dataDir' | 'demoDays' | 'threads' | 'memoryLimit'>,
  log: StoreLog,
  opts: { demo?: boolean } = {},
): Promise<EnsuredStore> {
  const { instance, path } = await openStore({
    dataDir: config.dataDir,
    threads: config.threads,
    memoryLimit: config.memoryLimit,
  });
  const conn = await instance.connect();
  let built = false;
  let watermark: number | null;
  try {
    const found = await readWatermark(conn);
    const empty = found === null;
    const demo = opts.demo !== false && (empty || (await isDemoIncomplete(conn)));
    // The shipped registry is real (AEMO's units): a real feed's SCADA needs it as much as the demo does, and so
    // does SCADA already stored by an ingest that ran without one (its rollups are recomputed).
    const seeded = await ensureRegistry(conn);
    if (seeded) log.info(describeSeed(seeded));
    if (!demo && empty) log.info(`store ${path} holds no data yet: the live feed fills it (no demo built)`);
    if (demo) {
      log.info(`demo: building ${config.demoDays} days of 5-minute data in ${path} (once; later starts reuse it)`);
      // Nothing is served yet: the build may use every core, then the store goes back to the serving budget.
      await conn.run(`SET threads = ${Math.max(config.threads, cpus().length)}`);
      const res = await buildDemo(conn, {
        days: config.demoDays,
        onProgress: (stage, seconds) => log.info(`demo: ${stage} ${seconds.toFixed(1)} s`),
      }).finally(() => conn.run(`SET threads = ${config.threads}`));
      log.info(`demo: ${res.rows.scada.toLocaleString('en')} SCADA rows in ${res.seconds.toFixed(1)} s`);
      // A rebuild (after an interrupted one) may differ from what was served before it: new cache keys.
      await bumpDataVersion(conn);
      built = true;
    }
    const wm = built ? await readWatermark(conn) : found;
    if (!wm && opts.demo !== false) throw new Error(`store ${path} has no prices after start-up`);
    watermark = wm?.watermark ?? null;
  } catch (err) {
    conn.closeSync();
    instance.closeSync();
    throw err;
  }
  conn.closeSync();
  return { instance, path, watermark, built };
}
