// The live feed LIVE asks for: which driver (driver.ts says what one is) and its construction.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { appendDemo, DEFAULT_DEMO_SEED } from '../store/demo.ts';
import { readMeta } from '../store/db.ts';
import { ingestBuffer } from '../store/ingest.ts';
import { DemoFeed, type DemoPace } from './demo.ts';
import type { FeedInfo } from '../../shared/protocol.ts';
import type { Feed, OnBatch } from './driver.ts';
import { Intake } from './intake.ts';
import { Ledger } from './ledger.ts';
import { parseLive } from './setting.ts';
import { HttpFeed, type HttpOptions } from './nemweb-http.ts';
import { WatchFeed, type WatchOptions } from './watch.ts';

export interface FeedOptions {
  /** `demo`, `off`, `watch:/path`, or comma-separated http(s) URLs (server/config.ts has checked it). */
  live: string;
  /** LIVE=nemweb's site (server/live/setting.ts). */
  nemwebUrl: string;
  replaySeconds: number;
  /** LIVE=http/nemweb: the poll period of listings not due by AEMO's rhythm, s. */
  livePollS: number;
  /** The feed's own connection: it writes, and is closed only after stop() resolves. */
  conn: DuckDBConnection;
  log: Logger;
  onBatch: OnBatch;
  /** A write the store refused (a full or failing disk): /healthz reports it (server/store-health.ts). */
  onStoreError?: (err: unknown) => void;
  /** Driver tuning, for tests and benchmarks. */
  watch?: WatchOptions;
  http?: HttpOptions;
}

/** Whether an empty store gets the demo built into it: not when a real feed (watch, http) is to fill it. */
export function wantsDemo(live: string): boolean {
  const { kind } = parseLive(live);
  return kind === 'demo' || kind === 'off';
}

/** The feed LIVE asks for, not yet started; undefined for `off` (or a demo feed over a store of real data). */
export async function createFeed(o: FeedOptions): Promise<Feed | undefined> {
  const live = parseLive(o.live, o.nemwebUrl);
  if (live.kind === 'off') return undefined;
  if (live.kind === 'demo') {
    const meta = await readMeta(o.conn);
    if (meta.source !== 'demo') {
      // Made-up intervals after real AEMO data would be indistinguishable from it: refuse.
      o.log.warn(
        { source: meta.source ?? 'none' },
        'live: LIVE=demo but the store does not hold the demo dataset; no replay (set LIVE=off, watch:… or a NEMWEB URL)',
      );
      return undefined;
    }
    const seed = meta.demo_seed !== undefined ? Number(meta.demo_seed) : DEFAULT_DEMO_SEED;
    return new DemoFeed(
      (to) => noted(appendDemo(o.conn, seed, to), o.onStoreError),
      Number(meta.demo_watermark),
      demoPace(meta.demo_follows_clock === '1', o.replaySeconds),
      o.log,
      o.onBatch,
    );
  }
  const intake = new Intake(
    await Ledger.open(o.conn),
    (name, bytes) => noted(ingestBuffer(o.conn, name, bytes), o.onStoreError),
    o.log,
    o.onBatch,
  );
  if (live.kind === 'watch') return new WatchFeed(live.dir!, intake, o.log, o.watch);
  return new HttpFeed(live.urls!, intake, o.log, { pollMs: o.livePollS * 1000, ...o.http });
}

/**
 * How the demo moves: with the wall clock when its store was built to 'now' and no replay pace is asked for; else
 * one interval per REPLAY_SECONDS (300 when unset: a store built to a fixed end replays at the real pace, behind the
 * clock).
 */
function demoPace(followsClock: boolean, replaySeconds: number): DemoPace {
  if (replaySeconds === 0 && followsClock) return { clock: true };
  return { clock: false, periodMs: (replaySeconds || 300) * 1000 };
}

/** What the hello frame tells clients about the feed (shared/protocol.ts FeedInfo). */
export function feedInfo(live: string, replaySeconds: number, followsClock: boolean): FeedInfo {
  const { kind } = parseLive(live);
  if (kind === 'off') return { source: 'off' };
  if (kind !== 'demo') return { source: 'aemo' };
  const pace = demoPace(followsClock, replaySeconds);
  return pace.clock ? { source: 'demo' } : { source: 'replay', everySeconds: pace.periodMs / 1000 };
}

/** Passes a failed write to `note` (a bad file is the file's fault, not the store's), then rethrows it. */
function noted<T>(write: Promise<T>, note: ((err: unknown) => void) | undefined): Promise<T> {
  return write.catch((err: unknown) => {
    // IngestError names the file in its message; the store's own words are its cause's
    if ((err as { code?: string }).code !== 'bad_file') note?.((err as { cause?: unknown }).cause ?? err);
    throw err;
  });
}
