// The alert events of a running server: derived and stored when intervals commit (the live pipeline calls commit
// after each stored batch), kept in a bounded ring for replay, and handed to listeners (the subscription hub).
// Never for data older than the watermark at boot: derivation starts there, and notices created before it are stored
// without an event. Events are stored under unique keys before they are handed on, so a restart fires none twice.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AlertEvent, NoticeCategory } from '../../shared/kinds/alerts.ts';
import { REGIONS, type Region } from '../../shared/nem.ts';
import { keepStatements, rows } from '../catalogue/sql.ts';
import { deriveIntervalEvents } from './derive.ts';
import { latestEvents, storeEvents, type Candidate } from './event-store.ts';
import { classify, storeNotice, type Notice } from './notices.ts';

/** Events kept in memory for replay after a reconnect (older ones: alerts.history). */
export const RING_SIZE = 10_000;

/** What subscriptions need of the events: replay from a cursor, and the new ones as they are stored. */
export interface AlertSource {
  /** The newest event's seq (0: none yet). */
  readonly cursor: number;
  /** Events after `seq`, oldest first; complete false when some after it are no longer held. */
  since(seq: number): { events: AlertEvent[]; complete: boolean };
  /** The newest `n` events, oldest first. */
  latest(n: number): AlertEvent[];
  /** Called with each commit's new events (never empty); returns the function that removes the listener. */
  onEvents(fn: (events: AlertEvent[]) => void): () => void;
}

type NoticeRow = Pick<Notice, 'id' | 'created' | 'reference' | 'region' | 'lor' | 'forecast' | 'cancelled'> & {
  n: number;
  type_id: string;
  category: NoticeCategory;
};

export class AlertLog implements AlertSource {
  private readonly ring: AlertEvent[];
  /** The smallest seq from which every event is in the ring. */
  private ringStart: number;
  private readonly listeners = new Set<(events: AlertEvent[]) => void>();
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    recent: AlertEvent[],
    ringStart: number,
    /** Intervals up to this are derived (or were stored before boot). */
    private derivedTo: number,
    /** Notices arrived up to this n are dealt with. */
    private noticeMark: number,
    /** Notices created at or before this fire nothing (the watermark at boot). */
    private readonly noticeFrom: number,
    /** The store is the demo: a price of $5,000 or more comes with a made-up LOR notice, marked as the demo's. */
    private readonly demo: boolean,
  ) {
    this.ring = recent;
    this.ringStart = ringStart;
  }

  /** The log of a store whose watermark is `watermark` at boot (0: no data yet). */
  static async open(conn: DuckDBConnection, watermark: number, demo: boolean): Promise<AlertLog> {
    const recent = await latestEvents(conn, RING_SIZE);
    const first = (await rows<{ s: number | null }>(conn, 'SELECT min(seq) AS s FROM alert_event'))[0].s ?? 1;
    const mark = (await rows<{ n: number | null }>(conn, 'SELECT max(n) AS n FROM market_notice'))[0].n ?? 0;
    const ringStart = recent.length > 0 && recent[0].seq > first ? recent[0].seq : 1;
    return new AlertLog(recent, ringStart, watermark, mark, watermark, demo);
  }

  get cursor(): number {
    return this.ring.length > 0 ? this.ring[this.ring.length - 1].seq : this.ringStart - 1;
  }

  since(seq: number): { events: AlertEvent[]; complete: boolean } {
    let i = this.ring.length;
    while (i > 0 && this.ring[i - 1].seq > seq) i--;
    return { events: this.ring.slice(i), complete: seq + 1 >= this.ringStart };
  }

  latest(n: number): AlertEvent[] {
    return this.ring.slice(Math.max(0, this.ring.length - n));
  }

  onEvents(fn: (events: AlertEvent[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Derives what intervals up to `watermark` and the notices stored since the last call fire, stores it, and hands the
   * new events to the listeners. One commit at a time.
   */
  commit(conn: DuckDBConnection, watermark: number): Promise<AlertEvent[]> {
    const run = this.chain.then(() => this.commitNow(conn, watermark));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async commitNow(conn: DuckDBConnection, watermark: number): Promise<AlertEvent[]> {
    keepStatements(conn); // the same few statements every interval: planned once
    const lo = this.derivedTo;
    // A first interval in an empty store: nothing before it to compare with.
    const cands = lo > 0 && watermark > lo ? await deriveIntervalEvents(conn, lo, watermark) : [];
    if (this.demo) for (const c of cands) await this.demoNotice(conn, c);
    const notices = await rows<NoticeRow>(
      conn,
      `SELECT n, id, created, type_id, reference, region, lor, category, forecast, cancelled FROM market_notice
       WHERE n > $mark ORDER BY n`,
      { mark: this.noticeMark },
    );
    for (const n of notices)
      if (n.created > this.noticeFrom)
        cands.push({
          key: `notice:${n.id}`,
          type: 'notice',
          region: n.region,
          time: n.created,
          value: null,
          level: n.lor,
          text: n.reference,
          notice: {
            id: n.id,
            typeId: n.type_id,
            reference: n.reference,
            category: n.category,
            lor: n.lor,
            forecast: n.forecast,
            cancelled: n.cancelled,
          },
        });
    const events = await storeEvents(conn, cands);
    // Marks move only once stored: a failed commit is derived again by the next one.
    if (watermark > lo) this.derivedTo = watermark;
    if (notices.length > 0) this.noticeMark = notices[notices.length - 1].n;
    if (events.length === 0) return events;
    this.ring.push(...events);
    if (this.ring.length > RING_SIZE) {
      this.ring.splice(0, this.ring.length - RING_SIZE);
      this.ringStart = this.ring[0].seq;
    }
    for (const fn of [...this.listeners]) fn(events);
    return events;
  }

  /** The demo's made-up notice for a price of $5,000 or more: an actual LOR1 (LOR2 at $10,000), negative id. */
  private async demoNotice(conn: DuckDBConnection, c: Candidate): Promise<void> {
    if (c.type !== 'price.above' || c.level === null || c.level < 5000 || c.region === null) return;
    const lor = c.level >= 10000 ? 2 : 1;
    const region = c.region;
    const name = region.replace(/1$/, '');
    const reference = `[Demo] Actual Lack Of Reserve Level ${lor} (LOR${lor}) in the ${name} Region`;
    const reason = `Demo notice: the demo's price in ${region} reached $${c.level.toLocaleString('en-AU')}/MWh. Not an AEMO notice.`;
    const id = -((c.time / 300) * 8 + REGIONS.indexOf(region as Region) * 2 + lor - 1);
    await storeNotice(conn, {
      id,
      created: c.time,
      typeId: 'RESERVE NOTICE',
      typeDescription: 'LRC/LOR1/LOR2/LOR3',
      reference,
      reason,
      ...classify('RESERVE NOTICE', reference, reason),
    });
  }
}
