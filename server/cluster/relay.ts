// New intervals, supervisor → workers. The live pipeline first has every worker push the next interval ahead of
// the market (pushAhead), then advances the supervisor's market; the relay tells every serving worker at once, and the
// pipeline's "push cycle done" waits until each has written its pushes (or died,
// or a bound passed), so push latency and the hot refresh that follows mean the same as with one process.
import type { PushCycle } from '../live/pipeline.ts';
import type { Logger } from '../log.ts';
import type { Market } from '../market.ts';
import type { Marks } from './messages.ts';
import type { Worker, WorkerSet } from './workers.ts';

/** A worker slower than this to push is not waited for (it still pushes; the next interval is not held up). */
const ACK_TIMEOUT_MS = 30_000;

export class Relay implements PushCycle {
  private seq = 0;
  private waiting: { seq: number; left: Set<number>; done: () => void } | undefined;
  private cycle: Promise<void> = Promise.resolve();
  /** Subscribed questions per worker id, as each last reported. */
  private readonly groups = new Map<number, number>();
  private readonly stop: () => void;

  constructor(
    private readonly market: Market,
    private readonly workers: WorkerSet,
    private readonly log: Logger,
  ) {
    this.stop = market.onAdvance(() => this.announce());
  }

  get groupCount(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g;
    return n;
  }

  idle(): Promise<void> {
    return this.cycle;
  }

  /** A worker's push for `seq` went out. */
  pushed(w: Worker, seq: number, groups: number): void {
    this.groups.set(w.id, groups);
    if (this.waiting?.seq === seq) this.tick(w.id);
  }

  /** A worker is gone: nothing more to wait for from it. */
  left(w: Worker): void {
    this.groups.delete(w.id);
    this.tick(w.id);
  }

  close(): void {
    this.stop();
    this.waiting?.done();
  }

  /** Pushes the next interval from every worker before the market advances (the pipeline waits for it). */
  pushAhead(at: Marks): Promise<void> {
    return this.broadcast(at, 'ahead');
  }

  private announce(): void {
    const { watermark, firstTs, generation } = this.market;
    void this.broadcast({ watermark, firstTs, generation }, 'advance');
  }

  /** Tells every serving worker; resolves when each has written its pushes (or left, or a bound passed). */
  private broadcast(marks: Marks, t: 'advance' | 'ahead'): Promise<void> {
    const seq = ++this.seq;
    this.waiting?.done();
    const sent = this.workers.broadcast({ t, seq, ...marks });
    this.cycle = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.log.warn(
          { seq, waitingFor: this.waiting?.left.size },
          'cluster: workers slow to push a new interval; not waiting longer',
        );
        finish();
      }, ACK_TIMEOUT_MS);
      const finish = () => {
        clearTimeout(timer);
        if (this.waiting?.seq === seq) this.waiting = undefined;
        resolve();
      };
      this.waiting = { seq, left: new Set(sent.map((w) => w.id)), done: finish };
      if (sent.length === 0) finish();
    });
    return this.cycle;
  }

  private tick(id: number): void {
    const w = this.waiting;
    if (!w || !w.left.delete(id)) return;
    if (w.left.size === 0) w.done();
  }
}
