// Alert events in the store (table alert_event): written once under a unique key, read back with their cursors
// (computed from the event, shared/kinds/alerts.ts eventCursor; the table's seq is only this store's commit order).
// A candidate whose key is already stored is not stored again, so deriving the same interval twice (a retried batch,
// a restart) fires nothing twice.
import type { DuckDBConnection } from '@duckdb/node-api';
import { eventCursor, type AlertEvent, type AlertType, type NoticeCategory } from '../../shared/kinds/alerts.ts';
import type { Region } from '../../shared/nem.ts';
import { rows, textList, type Params } from '../catalogue/sql.ts';
import { inTransaction } from '../store/transaction.ts';

/** An event before its cursor is worked out. */
export type Candidate = Omit<AlertEvent, 'seq'>;

interface EventRow {
  seq: number;
  key: string;
  type: string;
  region: string | null;
  time: number;
  value: number | null;
  level: number | null;
  text: string;
  notice_id: number | null;
  type_id: string | null;
  reference: string | null;
  category: string | null;
  lor: number | null;
  forecast: boolean | null;
  cancelled: boolean | null;
}

const COLUMNS = `e.seq, e.key, e.type, e.region, e.time, e.value, e.level, e.text, e.notice_id,
  n.type_id, n.reference, n.category, n.lor, n.forecast, n.cancelled`;
const FROM = 'FROM alert_event e LEFT JOIN market_notice n ON n.id = e.notice_id';

function toEvent(r: EventRow): AlertEvent {
  const e: Candidate = {
    key: r.key,
    type: r.type as AlertType,
    region: r.region as Region | null,
    time: r.time,
    value: r.value,
    level: r.level,
    text: r.text,
    notice:
      r.notice_id === null
        ? null
        : {
            id: r.notice_id,
            typeId: r.type_id ?? '',
            reference: r.reference ?? '',
            category: (r.category ?? 'other') as NoticeCategory,
            lor: r.lor,
            forecast: r.forecast === true,
            cancelled: r.cancelled === true,
          },
  };
  return withCursor(e);
}

export const withCursor = (c: Candidate): AlertEvent => ({ seq: eventCursor(c), ...c });

/** Rows one INSERT writes: a commit's events (a few) in one statement, a catch-up's in a few of these. */
const ROWS_PER_INSERT = 16;
const COLUMN_LIST = ['key', 'type', 'region', 'time', 'value', 'level', 'text', 'notice'] as const;

/** INSERT of `n` rows, named parameters `$key0`, `$type0`, …; reports the keys it stored (not stored before). */
const insertSql = memo((n: number) => {
  const row = (i: number) =>
    `($key${i}, $type${i}, $region${i}, $time${i}, $value${i}::DOUBLE, $level${i}::DOUBLE, $text${i}, $notice${i}::INTEGER)`;
  return `INSERT INTO alert_event (key, type, region, time, value, level, text, notice_id)
VALUES ${Array.from({ length: n }, (_, i) => row(i)).join(', ')} ON CONFLICT DO NOTHING RETURNING key`;
});

/**
 * Stores the candidates not stored before; returns those, in order, as stored (no read back). A commit's few events
 * are one statement: on the commit's path each round trip waits its turn for a DuckDB thread behind the pushes'
 * queries (an INSERT each in one transaction took 5–16 ms apiece under load).
 */
export async function storeEvents(conn: DuckDBConnection, cands: readonly Candidate[]): Promise<AlertEvent[]> {
  if (cands.length === 0) return [];
  const chunks: Candidate[][] = [];
  for (let i = 0; i < cands.length; i += ROWS_PER_INSERT) chunks.push(cands.slice(i, i + ROWS_PER_INSERT));
  const stored = new Set<string>();
  const write = async (chunk: Candidate[]) => {
    const values: Params = {};
    chunk.forEach((c, i) => {
      const v = [c.key, c.type, c.region, c.time, c.value, c.level, c.text, c.notice?.id ?? null];
      COLUMN_LIST.forEach((name, j) => (values[`${name}${i}`] = v[j]));
    });
    for (const r of await rows<{ key: string }>(conn, insertSql(chunk.length), values)) stored.add(r.key);
  };
  if (chunks.length === 1) await write(chunks[0]);
  // Several statements in one transaction: one commit (a write to the WAL) for the batch, and none half-stored.
  else
    await inTransaction(conn, async () => {
      for (const chunk of chunks) await write(chunk);
    });
  // A key given twice (duplicate rows of an interval) is stored once: fired once, as its first candidate.
  return cands.filter((c) => stored.delete(c.key)).map(withCursor);
}

/** The SQL for each n, made once. */
function memo(make: (n: number) => string): (n: number) => string {
  const made = new Map<number, string>();
  return (n) => made.get(n) ?? (made.set(n, make(n)), made.get(n)!);
}

/** The newest `n` events stored, in cursor order. */
export async function latestEvents(conn: DuckDBConnection, n: number): Promise<AlertEvent[]> {
  const sql = `SELECT ${COLUMNS} ${FROM} WHERE e.seq > coalesce((SELECT max(seq) FROM alert_event), 0) - $n`;
  return (await rows<EventRow>(conn, sql, { n })).map(toEvent).sort((a, b) => a.seq - b.seq);
}

/** Events in (from, to] (event time), of the regions (market-wide ones too) and types asked, newest first. */
export async function historyEvents(
  conn: DuckDBConnection,
  q: { from: number; to: number; regions: readonly string[]; types: readonly string[]; limit: number },
): Promise<{ events: AlertEvent[]; total: number }> {
  // One scan: the window count is taken before the limit.
  const found = await rows<EventRow & { total: number }>(
    conn,
    `SELECT ${COLUMNS}, count(*) OVER ()::INTEGER AS total ${FROM}
     WHERE e.time > $from AND e.time <= $to AND (e.region IS NULL OR list_contains($regions, e.region))
       AND list_contains($types, e.type)
     ORDER BY e.time DESC, e.seq DESC LIMIT $limit`,
    { from: q.from, to: q.to, regions: textList(q.regions), types: textList(q.types), limit: q.limit },
  );
  return { events: found.map(toEvent), total: found[0]?.total ?? 0 };
}
