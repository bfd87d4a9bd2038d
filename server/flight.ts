// Single flight across sessions: identical in-flight questions (kind, canonical params, watermark) run once and
// every asker shares the answer. The query runs on the first asker's connection; if that session closes mid-query
// (which interrupts it), the flight retries on the next asker still open, so followers still get their answer.
// The offline answer path (warmup/answer-path.ts) uses it too, with its one connection as the only helper.
// Joins are counted in nemlive_flight_coalesced_total.
import type { DuckDBConnection } from '@duckdb/node-api';
import { SessionClosedError } from './errors.ts';
import type { ConnHolder } from './lane.ts';
import { metrics } from './metrics.ts';

interface Entry<T> {
  helpers: ConnHolder[];
  promise: Promise<T>;
}

export class Flight<T> {
  private readonly running = new Map<string, Entry<T>>();

  /** In flight now. */
  get size(): number {
    return this.running.size;
  }

  /**
   * Answers `key` with `compute` on a helper's connection, or joins the computation already running for it.
   * `helpers` offer their connections, in order of preference.
   */
  run(key: string, helpers: ConnHolder | readonly ConnHolder[], compute: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const offered = Array.isArray(helpers) ? helpers : [helpers as ConnHolder];
    const existing = this.running.get(key);
    if (existing) {
      existing.helpers.push(...offered);
      metrics.coalesced.inc();
      return existing.promise;
    }
    const entry: Entry<T> = { helpers: [...offered], promise: undefined as unknown as Promise<T> };
    entry.promise = this.lead(entry, compute);
    this.running.set(key, entry);
    const release = () => {
      if (this.running.get(key) === entry) this.running.delete(key);
    };
    entry.promise.then(release, release);
    return entry.promise;
  }

  private async lead(entry: Entry<T>, compute: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    await Promise.resolve(); // let the map entry exist before anything can settle
    for (;;) {
      const helper = entry.helpers.find((h) => !h.closed);
      if (!helper) throw new SessionClosedError();
      try {
        return await helper.withConn(compute);
      } catch (err) {
        // A helper that closed interrupted its query: the error is about the closing, not the question.
        if (!helper.closed) throw err;
        entry.helpers = entry.helpers.filter((h) => h !== helper);
      }
    }
  }
}
