// Writing one push frame into many sockets: the same buffer, one uncorked send per socket. uWS then writes a big
// frame straight from that buffer (header and payload in one writev) as long as the socket is not a uWS topic
// subscriber; its topic publish instead copies big frames into a per-socket buffer first (~1.5–2× the time at
// 10,000 sockets, measured). Frames go out in the order they were handed in, in slices of a few milliseconds with a
// macrotask between slices, so DuckDB completions and the next answers are handled while thousands of sockets are
// written.
import { metrics } from './metrics.ts';

/** What a push needs of a socket (a Session). */
export interface Recipient {
  readonly closed: boolean;
  /** Skipped for pushes while its send buffer is over the limit; it catches up when it drains. */
  stale: boolean;
  bufferedAmount(): number;
  sendUncorked(bytes: Uint8Array): boolean;
  readonly log: { info(obj: object, msg: string): void };
}

export interface Delivery {
  sent: number;
  /** Sockets skipped because they are behind. */
  skipped: number;
  /** Time spent writing this frame, ms (the slices' time, not the turns between them). */
  ms: number;
}

interface Job {
  frame: Uint8Array;
  to: Iterable<Recipient>;
  resolve: (d: Delivery) => void;
}

/** Sockets sent to between clock checks. */
const CHECK_EVERY = 64;

export class Fanout {
  private readonly queue: Job[] = [];
  private draining = false;

  /**
   * @param behindBytes buffered bytes beyond which a socket is marked stale and skipped
   * @param sliceMs time spent sending before letting the event loop turn
   */
  constructor(
    private readonly behindBytes: number,
    private readonly sliceMs = 5,
  ) {}

  /** Sends `frame` to each recipient (iterated when its turn comes, so ones that left meanwhile are not visited). */
  send(frame: Uint8Array, to: Iterable<Recipient>): Promise<Delivery> {
    return new Promise((resolve) => {
      this.queue.push({ frame, to, resolve });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      let sliceStart = performance.now();
      let n = 0;
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const d: Delivery = { sent: 0, skipped: 0, ms: 0 };
        let t = performance.now();
        for (const r of job.to) {
          if (r.closed) continue;
          if (r.stale || this.isBehind(r)) d.skipped++;
          else if (r.sendUncorked(job.frame)) d.sent++;
          if (++n % CHECK_EVERY === 0 && performance.now() - sliceStart > this.sliceMs) {
            d.ms += performance.now() - t;
            await new Promise((resolve) => setImmediate(resolve));
            sliceStart = t = performance.now();
          }
        }
        d.ms += performance.now() - t;
        if (d.skipped) metrics.pushSkipped.inc(d.skipped);
        job.resolve(d);
      }
    } finally {
      this.draining = false;
    }
  }

  private isBehind(r: Recipient): boolean {
    const buffered = r.bufferedAmount();
    if (buffered <= this.behindBytes) return false;
    r.stale = true;
    r.log.info({ buffered }, 'socket is behind: pushes paused until it drains');
    return true;
  }
}
