// Which NEMWEB files the live feed has already taken, kept in the store itself so "exactly once" survives restarts
// and travels with the data (a copied DATA_DIR does not re-ingest). Keyed by file name: NEMWEB names are unique
// (report, interval, publish time and sequence number), and the same file reached by another path or URL is the
// same file.
import type { DuckDBConnection } from '@duckdb/node-api';

export type FileStatus = 'ok' | 'bad';
export interface LedgerEntry {
  status: FileStatus;
  size: number;
}

const CREATE = `CREATE TABLE IF NOT EXISTS live_files (
  name VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, size BIGINT NOT NULL, status VARCHAR NOT NULL,
  detail VARCHAR, taken_at INTEGER NOT NULL)`;

export class Ledger {
  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly entries: Map<string, LedgerEntry>,
  ) {}

  static async open(conn: DuckDBConnection): Promise<Ledger> {
    await conn.run(CREATE);
    const rows = (
      await conn.runAndReadAll('SELECT name, status, size::DOUBLE AS size FROM live_files')
    ).getRowObjectsJS();
    const entries = new Map<string, LedgerEntry>();
    for (const r of rows) entries.set(String(r.name), { status: r.status as FileStatus, size: Number(r.size) });
    return new Ledger(conn, entries);
  }

  get(name: string): LedgerEntry | undefined {
    return this.entries.get(name);
  }

  /**
   * Whether a file still needs taking: never seen, or seen bad and since changed size (re-published or repaired).
   * A file ingested once is never taken again.
   */
  wants(name: string, size?: number): boolean {
    const e = this.entries.get(name);
    if (!e) return true;
    return e.status === 'bad' && size !== undefined && size !== e.size;
  }

  async record(name: string, source: string, size: number, status: FileStatus, detail?: string): Promise<void> {
    await this.conn.run(
      `INSERT INTO live_files VALUES ($1, $2, $3, $4, $5, epoch(now())::INTEGER)
       ON CONFLICT (name) DO UPDATE SET source = excluded.source, size = excluded.size, status = excluded.status,
         detail = excluded.detail, taken_at = excluded.taken_at`,
      [name, source, size, status, detail?.slice(0, 500) ?? null],
    );
    this.entries.set(name, { status, size });
  }

  get size(): number {
    return this.entries.size;
  }
}
