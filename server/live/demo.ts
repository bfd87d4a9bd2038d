// LIVE=demo — extends the demo dataset so charts move without a network. The intervals themselves come from the
// demo generator (server/store/demo.ts), same seed, same style; this module only keeps time, in one of two ways:
// - following the wall clock (a store built to 'now'): at each real 5-minute boundary it appends the interval that
//   just ended, and on start it first catches up what a pause missed, so the demo is live now;
// - replaying (REPLAY_SECONDS = N, or a store built to a fixed end): one interval every N seconds after the data,
//   ahead of or behind the clock, and said so to clients (the header shows "Demo replay", never "Live").
// Steps never overlap: a slow append delays the next one instead.
import type { Logger } from 'pino';
import { INTERVAL_S, lastWholeInterval } from '../../shared/nem.ts';
import type { Feed, OnBatch } from './driver.ts';

/** Appends intervals up to `to` (default: the next one) and returns the new watermark (epoch s, interval end). */
export type AppendIntervals = (to?: number) => Promise<number>;

/** After a boundary the interval is "published" this much later, as AEMO's land some seconds after it. */
const CLOCK_LAG_MS = 1000;
/** One step appends at most this many intervals (a day), so a long sleep is caught up in bounded transactions. */
const MAX_STEP_INTERVALS = 288;

export type DemoPace = { clock: true } | { clock: false; periodMs: number };

export class DemoFeed implements Feed {
  readonly name = 'demo';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> | undefined;
  private active = false;
  private next = 0;

  constructor(
    private readonly append: AppendIntervals,
    /** The store's watermark when the feed is made. */
    private last: number,
    private readonly pace: DemoPace,
    private readonly log: Logger,
    private readonly onBatch: OnBatch,
    /** Wall clock, ms (tests move it). */
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    if (this.pace.clock) {
      this.log.info('live: the demo follows the wall clock, one interval at each 5-minute boundary');
      this.next = performance.now(); // catch up first
    } else {
      this.log.info({ everySeconds: this.pace.periodMs / 1000 }, 'live: demo replay appends one interval per period');
      this.next = performance.now() + this.pace.periodMs;
    }
    this.schedule();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Appends what is due now (replay: the next interval; clock: up to the last whole one) and reports it. */
  async step(): Promise<number> {
    const prev = this.last;
    const due = this.pace.clock
      ? Math.min(lastWholeInterval(this.now()), prev + MAX_STEP_INTERVALS * INTERVAL_S)
      : undefined;
    if (due !== undefined && due <= prev) return prev; // nothing is due yet
    const ts = await this.append(due);
    this.last = ts;
    const ingestedAt = performance.now();
    this.log.debug({ ts }, 'live: demo interval appended');
    await this.onBatch({
      source: 'demo',
      files: [],
      rows: {},
      window: { minTs: prev + INTERVAL_S, maxTs: ts },
      ingestedAt,
    });
    return ts;
  }

  /** When the next step is due, in performance.now() time. */
  private nextAt(): number {
    const now = performance.now();
    if (!this.pace.clock) {
      // Timed from the planned start, not the end of the last step, so the cadence does not drift; fell behind: skip.
      const planned = this.next + this.pace.periodMs;
      return planned < now ? now + this.pace.periodMs : planned;
    }
    const wall = this.now();
    if (this.last < lastWholeInterval(wall)) return now; // still catching up
    return now + (lastWholeInterval(wall) + INTERVAL_S) * 1000 - wall + CLOCK_LAG_MS;
  }

  private schedule(): void {
    const delay = Math.max(0, this.next - performance.now());
    this.timer = setTimeout(() => {
      let failed = false;
      this.running = this.step()
        .catch((err: Error) => {
          failed = true;
          this.log.error({ err: err.message }, 'live: demo append failed; trying again');
        })
        .finally(() => {
          if (!this.active) return;
          // A failing store is retried after a pause, not in a loop.
          this.next = failed && this.pace.clock ? performance.now() + 5000 : this.nextAt();
          this.schedule();
        });
    }, delay);
  }
}
