// The newest alert events in memory, in cursor order (shared/kinds/alerts.ts eventCursor): what `alerts`
// subscriptions replay from and hear new events through. The process that owns the store fills it as events are
// stored (alert-log.ts); a cluster worker's is a copy, filled from the supervisor's messages (server/cluster/).
import { rulesMatch, type AlertEvent, type AlertRule } from '../../shared/kinds/alerts.ts';

/** Events kept in memory for replay after a reconnect (older ones: alerts.history). */
export const RING_SIZE = 10_000;

/** Without `since`, an `alerts` answer holds at most this many of the newest events its rules match… */
const NEWEST = 50;
/** …looked for among this many newest events. */
export const NEWEST_SCAN = 2000;

/** The newest events of `pool` (oldest first) that `rules` match, at most NEWEST of them among the last NEWEST_SCAN. */
export function newestMatching(pool: readonly AlertEvent[], rules: readonly AlertRule[]): AlertEvent[] {
  const out: AlertEvent[] = [];
  for (let i = pool.length - 1; i >= Math.max(0, pool.length - NEWEST_SCAN) && out.length < NEWEST; i--)
    if (rulesMatch(rules, pool[i])) out.push(pool[i]);
  return out.reverse();
}

/** What subscriptions need of the events: replay from a cursor, and the new ones as they are stored. */
export interface AlertSource {
  /** The newest event's cursor (0: none yet). */
  readonly cursor: number;
  /** Events after cursor `after`, oldest first; complete false when some after it are no longer held. */
  since(after: number): { events: AlertEvent[]; complete: boolean };
  /** The newest `n` events, oldest first. */
  latest(n: number): AlertEvent[];
  /** Called with each commit's new events (never empty); returns the function that removes the listener. */
  onEvents(fn: (events: AlertEvent[]) => void): () => void;
}

/** What a ring holds, to start another from (a cluster worker's copy). */
export interface RingState {
  events: AlertEvent[];
  floor: number;
}

export class EventRing implements AlertSource {
  private readonly events: AlertEvent[];
  private readonly listeners = new Set<(events: AlertEvent[]) => void>();

  /**
   * @param events held, any order
   * @param floor every event with a cursor above this is held (0: every event)
   */
  constructor(
    events: readonly AlertEvent[],
    private floor: number,
    private readonly size = RING_SIZE,
  ) {
    this.events = [...events].sort((a, b) => a.seq - b.seq);
    this.trim();
  }

  get cursor(): number {
    return this.events.at(-1)?.seq ?? this.floor;
  }

  get state(): RingState {
    return { events: [...this.events], floor: this.floor };
  }

  since(after: number): { events: AlertEvent[]; complete: boolean } {
    return { events: this.events.slice(this.firstAfter(after)), complete: after >= this.floor };
  }

  latest(n: number): AlertEvent[] {
    return this.events.slice(Math.max(0, this.events.length - n));
  }

  onEvents(fn: (events: AlertEvent[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Adds newly stored events (those held already are left out) and hands the new ones to the listeners. */
  add(events: readonly AlertEvent[]): AlertEvent[] {
    const fresh: AlertEvent[] = [];
    for (const e of events) {
      const last = this.events.at(-1);
      if (last === undefined || e.seq > last.seq) this.events.push(e);
      else {
        // Behind the newest: a notice that arrived late. Kept in cursor order, once.
        const i = this.firstAfter(e.seq - 1);
        if (this.events[i]?.seq === e.seq) continue;
        this.events.splice(i, 0, e);
      }
      fresh.push(e);
    }
    this.trim();
    if (fresh.length > 0) for (const fn of [...this.listeners]) fn(fresh);
    return fresh;
  }

  private trim(): void {
    if (this.events.length <= this.size) return;
    const gone = this.events.splice(0, this.events.length - this.size);
    this.floor = Math.max(this.floor, gone[gone.length - 1].seq);
  }

  /** The index of the first event with a cursor above `after`. */
  private firstAfter(after: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].seq > after) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }
}
