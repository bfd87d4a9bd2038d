// Each source's "as of": AEMO publishes prices, unit SCADA, regional sums and interconnector flows every 5 minutes
// but in separate files that land seconds to minutes apart, and rooftop PV half-hourly, some time after its half hour.
// /healthz lists how far behind the wall clock each one is and says `degraded` when one is later than the bound.
import type { DuckDBConnection } from '@duckdb/node-api';
import { toNemIso } from '../../shared/nem.ts';

const TABLES = {
  prices: 'price',
  scada: 'scada',
  regionsum: 'regionsum',
  interconnectors: 'interconnector',
  rooftop: 'rooftop',
} as const;
export type SourceName = keyof typeof TABLES;
/** The newest interval end (epoch s) each source has in the store; null: none yet. */
export type SourceMarks = Record<SourceName, number | null>;

/** Half-hourly and published after its half hour: allowed that much more than the 5-minute sources. */
const ROOFTOP_EXTRA_S = 1800;

// max(ts) reads each table's row-group statistics, not its rows.
const MARKS_SQL = Object.entries(TABLES)
  .map(([name, table]) => `SELECT '${name}' AS name, max(ts) AS ts FROM ${table}`)
  .join(' UNION ALL ');

export async function readSourceMarks(conn: DuckDBConnection): Promise<SourceMarks> {
  const rows = (await conn.runAndReadAll(MARKS_SQL)).getRowObjectsJS() as { name: SourceName; ts: number | null }[];
  return Object.fromEntries(rows.map((r) => [r.name, r.ts === null ? null : Number(r.ts)])) as SourceMarks;
}

export interface SourceLag {
  /** ISO NEM time of the newest interval; null when the source has none. */
  asOf: string | null;
  /** Seconds between that interval's end and now. */
  lagS: number | null;
  /** Later than the bound (lateS; rooftop PV half an hour more). A source with nothing yet is not late: a feed may
   * not carry it (a watched folder of price files alone). */
  late: boolean;
}

export function sourceLags(marks: SourceMarks, nowS: number, lateS: number): Record<SourceName, SourceLag> {
  const out = {} as Record<SourceName, SourceLag>;
  for (const name of Object.keys(TABLES) as SourceName[]) {
    const ts = marks[name];
    const lagS = ts === null ? null : Math.max(0, Math.round(nowS - ts));
    const bound = lateS + (name === 'rooftop' ? ROOFTOP_EXTRA_S : 0);
    out[name] = { asOf: ts === null ? null : toNemIso(ts), lagS, late: lagS !== null && lagS > bound };
  }
  return out;
}
