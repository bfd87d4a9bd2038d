// LIVE=demo — extends the demo dataset by one deterministic 5-minute interval every REPLAY_SECONDS, so charts move
// without a network. The interval itself comes from the demo generator (server/store/demo.ts), same seed, same
// style; this module only keeps time. Steps never overlap: a slow append delays the next one instead.
import type { Logger } from 'pino';
import type { Feed, OnBatch } from './driver.ts';

/** Appends the next interval and says which (epoch s, interval end). */
export type AppendInterval = () => Promise<number>;

export class DemoFeed implements Feed {
  readonly name = 'demo';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> | undefined;
  private active = false;
  private next = 0;

  constructor(
    private readonly append: AppendInterval,
    private readonly periodMs: number,
    private readonly log: Logger,
    private readonly onBatch: OnBatch,
  ) {}

  start(): void {
    if (this.active) return;
    this.active = true;
    this.log.info({ everySeconds: this.periodMs / 1000 }, 'live: demo replay appends one interval per period');
    this.next = performance.now() + this.periodMs;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Appends one interval now and reports it; returns its time. */
  async step(): Promise<number> {
    const ts = await this.append();
    const ingestedAt = performance.now();
    this.log.debug({ ts }, 'live: demo interval appended');
    await this.onBatch({ source: 'demo', files: [], rows: {}, window: { minTs: ts, maxTs: ts }, ingestedAt });
    return ts;
  }

  private schedule(): void {
    // Timed from the planned start, not the end of the last step, so the cadence does not drift.
    const delay = Math.max(0, this.next - performance.now());
    this.timer = setTimeout(() => {
      this.next += this.periodMs;
      this.running = this.step()
        .catch((err: Error) =>
          this.log.error({ err: err.message }, 'live: demo append failed; trying again next period'),
        )
        .finally(() => {
          if (!this.active) return;
          if (this.next < performance.now()) this.next = performance.now() + this.periodMs; // fell behind: skip, do not burst
          this.schedule();
        });
    }, delay);
  }
}
