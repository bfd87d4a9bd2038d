// Writing one push frame into many sockets: the same buffer, one uncorked send per socket. uWS then writes a big
// frame straight from that buffer (header and payload in one writev) as long as the socket is not a uWS topic
// subscriber; its topic publish instead copies big frames into a per-socket buffer first (~1.5–2× the time at
// 10,000 sockets, measured). Frames go out in the order they were handed in, in slices of about a millisecond with a
// macrotask between slices, so DuckDB completions and the next answers are handled while thousands of sockets are
// written (5 ms slices held back the tabs still being computed: 10,000 tab subscribers' p95 went 215–222 → 190 ms). A
// push may come in two forms (full, and a delta for sockets that hold the previous answer): a plan then picks each
// socket's frame as its turn comes and hears which sends succeeded. What a job sends can be made when its turn comes
// (a function): a thousand one-socket topics then encode their frames slice by slice, not all at once up front.
import { framesOut, metrics } from './metrics.ts';

/** What a push needs of a socket (a Session). */
export interface Recipient {
  readonly closed: boolean;
  /** Skipped for pushes while its send buffer is over the limit; it catches up when it drains. */
  stale: boolean;
  bufferedAmount(): number;
  sendUncorked(bytes: Uint8Array): boolean;
  readonly log: { info(obj: object, msg: string): void };
}

/** Per-socket choice of frame; called synchronously in the send loop, frameFor then (on success) sent. */
export interface Plan<R extends Recipient = Recipient> {
  frameFor(r: R): Uint8Array;
  sent(r: R, frame: Uint8Array): void;
}

export interface Delivery {
  sent: number;
  /** Bytes of the frames written. */
  bytes: number;
  /** Sockets skipped because they are behind. */
  skipped: number;
  /** Time spent writing this frame, ms (the slices' time, not the turns between them). */
  ms: number;
}

/** A frame for every recipient, a plan picking one per recipient, or a function making either when the job starts. */
export type Sendable<R extends Recipient = Recipient> = Uint8Array | Plan<R> | (() => Uint8Array | Plan<R>);

interface Job {
  what: Sendable;
  to: Iterable<Recipient>;
  resolve: (d: Delivery) => void;
  reject: (err: unknown) => void;
}

/** Sockets sent to between clock checks. */
const CHECK_EVERY = 64;
/** What an atTurn job hands the loop: a frame for no socket. */
const NO_FRAME = new Uint8Array(0);

export class Fanout {
  private readonly queue: Job[] = [];
  private draining = false;

  /**
   * @param behindBytes buffered bytes beyond which a socket is marked stale and skipped
   * @param sliceMs time spent sending before letting the event loop turn
   */
  constructor(
    private readonly behindBytes: number,
    private readonly sliceMs = 1,
  ) {}

  /**
   * Runs `turn` when the jobs handed in before it have been written (it writes its own frames, in order with theirs);
   * resolves once it has run, rejects with what it threw.
   */
  atTurn(turn: () => void): Promise<void> {
    return this.send(() => {
      turn();
      return NO_FRAME;
    }, []).then(() => undefined);
  }

  /**
   * Sends `frame` (or what `plan` picks for each) to each recipient, iterated when its turn comes, so ones that left
   * meanwhile are not visited.
   */
  send<R extends Recipient>(what: Sendable<R>, to: Iterable<R>): Promise<Delivery> {
    return new Promise((resolve, reject) => {
      this.queue.push({ what: what as Sendable, to, resolve, reject });
      // Started a microtask later, so the pushes handed in by one synchronous loop share one drain and its slices.
      if (!this.draining) {
        this.draining = true;
        queueMicrotask(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      let sliceStart = performance.now();
      const sliceOver = () => performance.now() - sliceStart > this.sliceMs;
      const nextSlice = async () => {
        await new Promise((resolve) => setImmediate(resolve));
        return (sliceStart = performance.now());
      };
      let n = 0;
      // Jobs started: one whose sockets all closed meanwhile still made its frame (time the slice counts).
      let jobs = 0;
      for (let job = this.queue.shift(); job; job = this.queue.shift()) {
        const d: Delivery = { sent: 0, bytes: 0, skipped: 0, ms: 0 };
        let writes = 0;
        let t = jobs++ > 0 && sliceOver() ? await nextSlice() : performance.now();
        try {
          const what = typeof job.what === 'function' ? job.what() : job.what;
          const plan = what instanceof Uint8Array ? undefined : what;
          for (const r of job.to) {
            if (r.closed) continue;
            if (r.stale || this.isBehind(r)) d.skipped++;
            else {
              const frame = plan ? plan.frameFor(r) : (what as Uint8Array);
              writes++;
              if (r.sendUncorked(frame)) {
                d.sent++;
                d.bytes += frame.length;
                plan?.sent(r, frame);
              }
            }
            if (++n % CHECK_EVERY === 0 && sliceOver()) {
              d.ms += performance.now() - t;
              t = await nextSlice();
            }
          }
          d.ms += performance.now() - t;
          job.resolve(d);
        } catch (err) {
          // This push only (its frame, or the one a plan makes for a socket, could not be made): the rest still go out.
          job.reject(err);
        } finally {
          if (writes) framesOut.inc(writes); // once per push: an inc costs ~0.5 µs, 5 ms per 10,000 sockets
          if (d.skipped) metrics.pushSkipped.inc(d.skipped);
        }
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
