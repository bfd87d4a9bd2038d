// Single flight: concurrent callers asking for the same key share one computation (one DuckDB query).
// Not server/flight.ts's Flight: warmup's computes bring their own connection, so there are no askers' connections
// to fail over between, which is all that one adds.

export class SingleFlight<T> {
  private readonly running = new Map<string, Promise<T>>();

  /** Runs `fn` unless a run for `key` is already in flight; `joined` says whether this caller rode along. */
  run(key: string, fn: () => Promise<T>): { promise: Promise<T>; joined: boolean } {
    const existing = this.running.get(key);
    if (existing) return { promise: existing, joined: true };
    const promise = Promise.resolve().then(fn);
    this.running.set(key, promise);
    // Settled either way, the key is free again: a failure is not remembered, the next caller retries.
    const release = () => {
      if (this.running.get(key) === promise) this.running.delete(key);
    };
    promise.then(release, release);
    return { promise, joined: false };
  }

  get size(): number {
    return this.running.size;
  }
}
