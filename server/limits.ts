// The server's limits in one place: what a config sets (RATE_LIMIT, MAX_SUBSCRIPTIONS, ...) and the fixed ones
// (send-buffer caps, pool size) that only tests and benchmarks change.
import type { Config } from './config.ts';

export interface Limits {
  /** Frames per second per session, and the burst allowed after a quiet spell. */
  ratePerSecond: number;
  rateBurst: number;
  /** Catalogue queries running at once, and waiting beyond that (then `overloaded`). */
  maxColdQueries: number;
  /** Slots app work may fill beyond maxColdQueries while no client's question runs or waits (server/fair-gate.ts). */
  appSlots: number;
  maxQueuedQueries: number;
  /** Uncached questions one session may have in progress (`overloaded` beyond). */
  maxSessionQueue: number;
  maxSubscriptions: number;
  /** uWS per-socket send buffer cap; a send past it closes the socket (closeOnBackpressureLimit). */
  maxBackpressure: number;
  /** Buffered bytes beyond which a socket is skipped for pushes until it drains. */
  behindBytes: number;
  /** Seconds without traffic before uWS pings, then closes a dead socket. */
  idleTimeoutS: number;
  /** App-owned DuckDB connections for warmup and push recomputation. */
  poolSize: number;
}

/** The limits no config sets: only tests and benchmarks change them. */
export const DEFAULT_LIMITS: Pick<Limits, 'maxBackpressure' | 'behindBytes' | 'poolSize'> = {
  maxBackpressure: 4 << 20,
  behindBytes: 1 << 20,
  poolSize: 2,
};

/** The limits a config sets (RATE_LIMIT, MAX_SUBSCRIPTIONS, ...). */
export function configLimits(c: Readonly<Config>): Omit<Limits, keyof typeof DEFAULT_LIMITS> {
  return {
    ratePerSecond: c.rateLimit,
    rateBurst: c.rateBurst,
    maxColdQueries: c.maxColdQueries,
    appSlots: c.appSlots,
    maxQueuedQueries: c.maxQueuedQueries,
    maxSessionQueue: c.maxSessionQueue,
    maxSubscriptions: c.maxSubscriptions,
    idleTimeoutS: c.idleTimeoutS,
  };
}
