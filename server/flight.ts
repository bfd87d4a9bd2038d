// Single flight across sessions: identical in-flight questions (kind, canonical params, watermark) run once and
// every asker shares the answer. With a gate (server/fair-gate.ts) the query waits for a slot first, queued for
// every asker, and runs on the connection of the asker whose turn came; without one, on the first asker's. If that
// session closes mid-query (which interrupts it), the flight retries on the next asker still open, so followers
// still get their answer. The offline answer path (warmup/store-path.ts) uses it too, gateless, with its one
// connection as the only helper. Joins are counted in nemlive_flight_coalesced_total.
import type { DuckDBConnection } from '@duckdb/node-api';
import { SessionClosedError } from './errors.ts';
import type { Gate, Ticket } from './fair-gate.ts';
import type { ConnHolder } from './conn-holder.ts';
import { metrics } from './metrics.ts';

interface Entry<T> {
  helpers: ConnHolder[];
  promise: Promise<T>;
  /** The gate ticket while the query waits or runs, so later askers join its queue. */
  ticket?: Ticket<ConnHolder, T>;
}

export class Flight<T> {
  private readonly running = new Map<string, Entry<T>>();

  constructor(private readonly gate?: Gate) {}

  /** In flight now. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Answers `key` with `compute` on a helper's connection, or joins the computation already running for it.
   * `helpers` offer their connections, in order of preference. Admission (server/fair-gate.ts open/full) is the
   * caller's: here the query only waits its turn.
   */
  run(
    key: string,
    helpers: ConnHolder | readonly ConnHolder[],
    compute: (conn: DuckDBConnection) => Promise<T>,
    question?: object,
  ): Promise<T> {
    const offered = Array.isArray(helpers) ? helpers : [helpers as ConnHolder];
    const existing = this.running.get(key);
    if (existing) {
      existing.helpers.push(...offered);
      existing.ticket?.join(offered);
      metrics.coalesced.inc();
      return existing.promise;
    }
    const entry: Entry<T> = { helpers: [...offered], promise: undefined as unknown as Promise<T> };
    entry.promise = this.lead(entry, compute, question);
    this.running.set(key, entry);
    const release = () => {
      if (this.running.get(key) === entry) this.running.delete(key);
    };
    entry.promise.then(release, release);
    return entry.promise;
  }

  /** Offers `helpers` to the query in flight for `key`, if any (it then may run at their turn); starts nothing. */
  join(key: string, helpers: readonly ConnHolder[]): void {
    const existing = this.running.get(key);
    if (!existing) return;
    existing.helpers.push(...helpers);
    existing.ticket?.join(helpers);
  }

  private async lead(entry: Entry<T>, compute: (conn: DuckDBConnection) => Promise<T>, question?: object): Promise<T> {
    await Promise.resolve(); // let the map entry exist before anything can settle
    for (;;) {
      const open = entry.helpers.filter((h) => !h.closed);
      if (open.length === 0) throw new SessionClosedError();
      let used: ConnHolder | undefined;
      const work = (helper: ConnHolder) => {
        used = helper;
        return helper.withConn(compute);
      };
      try {
        if (!this.gate) return await work(open[0]);
        entry.ticket = this.gate.enter(open, work, question);
        return await entry.ticket.promise;
      } catch (err) {
        // A helper that closed interrupted its query (or never ran it): the error is about the closing, not the question.
        if (used ? !used.closed : !(err instanceof SessionClosedError)) throw err;
        entry.helpers = entry.helpers.filter((h) => h !== used && !h.closed);
      } finally {
        entry.ticket = undefined;
      }
    }
  }
}
