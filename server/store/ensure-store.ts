// What `npm start` calls first: open the store under DATA_DIR, load the shipped registry when it has no units and,
// when it holds no data yet (or a demo build was interrupted), build the demo, logging a line per stage. Not for a
// store a real feed is about to fill: a made-up year would be mixed with AEMO's data (opts.demo false).
// A demo built to 'now' follows the wall clock: on a later start it is first caught up to the last whole interval
// (appended as a build to that end would have made it; after more than CATCH_UP_DAYS away, rebuilt ending now).
import { cpus } from 'node:os';
import type { DuckDBInstance } from '@duckdb/node-api';
import type { Config } from '../config.ts';
import { openStore, readMeta, readWatermark } from './db.ts';
import { appendDemo, buildDemo, DEFAULT_DEMO_SEED, isDemoIncomplete } from './demo.ts';
import { lastWholeInterval } from '../../shared/nem.ts';
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
  /** The store holds a demo built to 'now': the live demo feed keeps it at the wall clock. */
  followsClock: boolean;
}

/** A demo store further behind the clock than this is rebuilt ending now rather than appended to. */
export const CATCH_UP_DAYS = 92;
/** A demo store further ahead of the clock than this is rebuilt ending now rather than waited for. */
const AHEAD_S = 3600;

export async function ensureStore(
  config: Pick<Config, 'dataDir' | 'demoDays' | 'threads' | 'memoryLimit'> &
    Partial<Pick<Config, 'demoEnd' | 'replaySeconds' | 'forecastDays'>>,
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
  let followsClock: boolean;
  try {
    const found = await readWatermark(conn);
    const empty = found === null;
    const demo = opts.demo !== false && (empty || (await isDemoIncomplete(conn)));
    // The shipped registry is real (AEMO's units): a real feed's SCADA needs it as much as the demo does, and so
    // does SCADA already stored by an ingest that ran without one (its rollups are recomputed).
    const seeded = await ensureRegistry(conn);
    if (seeded) log.info(describeSeed(seeded));
    if (!demo && empty) log.info(`store ${path} holds no data yet: the live feed fills it (no demo built)`);
    const clock = config.demoEnd === 'now';
    const end = typeof config.demoEnd === 'number' ? config.demoEnd : lastWholeInterval(Date.now());
    const meta = await readMeta(conn);
    followsClock = !demo && meta.source === 'demo' && meta.demo_follows_clock === '1';
    const behind = followsClock && clock && found ? end - found.watermark : 0;
    // Ahead of the clock (a REPLAY_SECONDS run went on past now, or the clock was set back): following the clock
    // would freeze the "live" demo, stamped in the future, until the clock caught up. A replay may run ahead.
    const ahead = -behind > AHEAD_S && !config.replaySeconds;
    // Nothing is served yet: a build or catch-up may use every core, then the store goes back to the serving budget.
    const allCores = () => conn.run(`SET threads = ${Math.max(config.threads, cpus().length)}`);
    const served = () => conn.run(`SET threads = ${config.threads}`);
    if (demo || behind > CATCH_UP_DAYS * 86400 || ahead) {
      const pinned = config.demoEnd === undefined ? {} : { end, followsClock: clock };
      log.info(
        demo
          ? `demo: building ${config.demoDays} days of 5-minute data in ${path} (once; later starts reuse it)`
          : ahead
            ? `demo: ${-behind / 300} intervals ahead of the clock: rebuilding it to end now`
            : `demo: ${Math.round(behind / 86400)} days behind the clock (over ${CATCH_UP_DAYS}): rebuilding it to end now`,
      );
      await allCores();
      const res = await buildDemo(conn, {
        days: config.demoDays,
        forecastDays: config.forecastDays,
        seed: meta.demo_seed === undefined ? DEFAULT_DEMO_SEED : Number(meta.demo_seed),
        ...pinned,
        onProgress: (stage, seconds) => log.info(`demo: ${stage} ${seconds.toFixed(1)} s`),
      }).finally(served);
      log.info(`demo: ${res.rows.scada.toLocaleString('en')} SCADA rows in ${res.seconds.toFixed(1)} s`);
      // A rebuild (after an interrupted one) may differ from what was served before it: new cache keys.
      await bumpDataVersion(conn);
      built = true;
      followsClock = clock;
    } else if (behind > 0) {
      const t0 = performance.now();
      await allCores();
      await appendDemo(conn, Number(meta.demo_seed ?? DEFAULT_DEMO_SEED), end, config.forecastDays).finally(served);
      log.info(
        `demo: caught up ${behind / 300} intervals missed since the last run in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
    }
    const wm = built || behind > 0 ? await readWatermark(conn) : found;
    if (!wm && opts.demo !== false) throw new Error(`store ${path} has no prices after start-up`);
    watermark = wm?.watermark ?? null;
  } catch (err) {
    conn.closeSync();
    instance.closeSync();
    throw err;
  }
  conn.closeSync();
  return { instance, path, watermark, built, followsClock };
}
