// The alert events of a running server: derived and stored when intervals commit (the live pipeline calls commit
// after each stored batch), kept in a bounded ring for replay, and handed to listeners (the subscription hub).
// Never for data older than the watermark at boot: derivation starts there, and notices created before it are stored
// without an event. Events are stored under unique keys before they are handed on, so a restart fires none twice.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { AlertEvent, NoticeCategory } from '../../shared/kinds/alerts.ts';
import { REGIONS, type Region } from '../../shared/nem.ts';
import { keepStatements, rows } from '../catalogue/sql.ts';
import { derive, seedCarried, type Carried } from './derive.ts';
import { EventRing, RING_SIZE, type AlertSource } from './event-ring.ts';
import { latestEvents, storeEvents, type Candidate } from './event-store.ts';
import { classify, storeNotice, type Notice } from './notices.ts';

type NoticeRow = Pick<Notice, 'id' | 'created' | 'reference' | 'region' | 'lor' | 'forecast' | 'cancelled'> & {
  n: number;
  type_id: string;
  category: NoticeCategory;
};

export class AlertLog implements AlertSource {
  private chain: Promise<unknown> = Promise.resolve();
  /** Rows were written at or before derivedTo since `carried` was read: it is read again before the next derive. */
  private stale = false;

  private constructor(
    /** The newest events, in memory, for replay. */
    readonly ring: EventRing,
    /** Intervals up to this are derived (or were stored before boot). */
    private derivedTo: number,
    /** What deriving the intervals after derivedTo needs of those before (maxima, hysteresis states). */
    private carried: Carried,
    /** Notices arrived up to this n are dealt with. */
    private noticeMark: number,
    /** Notices created at or before this fire nothing (the watermark at boot). */
    private readonly noticeFrom: number,
    /** The store is the demo: a price of $5,000 or more comes with a made-up LOR notice, marked as the demo's. */
    private readonly demo: boolean,
  ) {}

  /** The log of a store whose watermark is `watermark` at boot (0: no data yet). */
  static async open(conn: DuckDBConnection, watermark: number, demo: boolean): Promise<AlertLog> {
    const recent = await latestEvents(conn, RING_SIZE);
    const stored = (await rows<{ n: number }>(conn, 'SELECT count(*)::INTEGER AS n FROM alert_event'))[0].n;
    const mark = (await rows<{ n: number | null }>(conn, 'SELECT max(n) AS n FROM market_notice'))[0].n ?? 0;
    // Older events than those read may be missing from the ring: a cursor before its oldest is not replayed whole.
    const floor = stored > recent.length ? recent[0].seq - 1 : 0;
    const carried = await seedCarried(conn, watermark);
    return new AlertLog(new EventRing(recent, floor), watermark, carried, mark, watermark, demo);
  }

  get cursor(): number {
    return this.ring.cursor;
  }

  since(after: number): { events: AlertEvent[]; complete: boolean } {
    return this.ring.since(after);
  }

  latest(n: number): AlertEvent[] {
    return this.ring.latest(n);
  }

  onEvents(fn: (events: AlertEvent[]) => void): () => void {
    return this.ring.onEvents(fn);
  }

  /**
   * Derives what intervals up to `watermark` and the notices stored since the last call fire, stores it, and hands the
   * new events to the listeners. One commit at a time.
   */
  commit(conn: DuckDBConnection, watermark: number, wroteFrom?: number): Promise<AlertEvent[]> {
    const run = this.chain.then(() => this.commitNow(conn, watermark, wroteFrom));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /**
   * `wroteFrom`: the earliest interval the batch wrote. Rows at or before the intervals derived already (a backfill, a
   * revision) change the maxima and states carried from them, so those are read again from the store, as a log opened
   * now would read them (records are judged against everything stored, whenever it came).
   */
  private async commitNow(conn: DuckDBConnection, watermark: number, wroteFrom?: number): Promise<AlertEvent[]> {
    keepStatements(conn); // the same few statements every interval: planned once
    const lo = this.derivedTo;
    if (wroteFrom !== undefined && wroteFrom <= lo) this.stale = true;
    if (this.stale && lo > 0) {
      this.carried = await seedCarried(conn, lo);
      this.stale = false;
    }
    // A first interval in an empty store: nothing before it to compare with.
    const derived = lo > 0 && watermark > lo ? await derive(conn, lo, watermark, this.carried) : undefined;
    const cands = derived?.events ?? [];
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
    if (watermark > lo) {
      this.derivedTo = watermark;
      this.carried = derived?.after ?? (await seedCarried(conn, watermark));
    }
    if (notices.length > 0) this.noticeMark = notices[notices.length - 1].n;
    return this.ring.add(events);
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
