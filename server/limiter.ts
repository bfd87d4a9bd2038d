// Bounds on work. A token bucket per session (a flood gets `rate_limited`, never a slower server for others)
// and a gate on concurrent catalogue queries with a bounded queue: on 2 cores, ten heavy GROUP BYs at once take
// ten times one (STACK.md), so extra concurrency buys nothing but memory. Checks return values, not exceptions.

export interface Bucket {
  tokens: number;
  /** performance.now() of the last refill. */
  at: number;
}

export interface RateLimit {
  /** Frames per second a session may send on average. */
  perSecond: number;
  /** Frames it may send at once after being quiet. */
  burst: number;
}

export function newBucket(limit: RateLimit, now = performance.now()): Bucket {
  return { tokens: limit.burst, at: now };
}

/** Takes one token if there is one. */
export function takeToken(bucket: Bucket, limit: RateLimit, now = performance.now()): boolean {
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.perSecond);
  bucket.at = now;
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Runs at most `max` tasks at once; up to `maxQueue` more wait in order; beyond that `run` says no. */
export class Gate {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    readonly max: number,
    readonly maxQueue: number,
  ) {
    if (max < 1) throw new RangeError('a gate needs at least one slot');
  }

  get running(): number {
    return this.active;
  }
  get queued(): number {
    return this.queue.length;
  }

  /** The task's promise, or undefined when the queue is full (the caller answers `overloaded`). */
  run<T>(task: () => Promise<T>): Promise<T> | undefined {
    if (this.active >= this.max && this.queue.length >= this.maxQueue) return undefined;
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.active++;
        Promise.resolve()
          .then(task)
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.queue.shift()?.();
          });
      };
      if (this.active < this.max) start();
      else this.queue.push(start);
    });
  }
}
