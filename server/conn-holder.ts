// What lends a DuckDB connection: a session's lane or the app's pool (lane.ts) to a query that must be computed.
import type { DuckDBConnection } from '@duckdb/node-api';

/** Something that lends a DuckDB connection; single flight retries on another holder when one closes. */
export interface ConnHolder {
  readonly closed: boolean;
  /** App work no client asked for (server/fair-gate.ts): never refused, served after interactive work. */
  readonly background?: boolean;
  /** Background work only worth doing when nothing else waits (the hot refresh, warmup): served last. */
  readonly idle?: boolean;
  /** Queries it can run at once (default 1: one connection). */
  readonly width?: number;
  withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T>;
}
