// A small async queue: the producer pushes, one consumer reads with `for await`. Bounded, because a consumer that
// stops reading must not grow memory without limit; when full, the oldest update goes (a newer answer supersedes it).

export class Channel<T> implements AsyncIterableIterator<T> {
  private readonly buffer: T[] = [];
  private readonly waiters: { resolve: (r: IteratorResult<T>) => void; reject: (e: Error) => void }[] = [];
  private finished = false;
  private failure: Error | undefined;
  /** Updates dropped because the consumer fell more than `capacity` behind. */
  dropped = 0;

  constructor(
    private readonly capacity = 256,
    private readonly onReturn?: () => void,
  ) {}

  push(value: T): void {
    if (this.finished) return;
    const waiter = this.waiters.shift();
    if (waiter) return waiter.resolve({ value, done: false });
    this.buffer.push(value);
    if (this.buffer.length > this.capacity) {
      this.buffer.shift();
      this.dropped++;
    }
  }

  /** No more values: readers drain what is buffered, then finish. */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    for (const w of this.waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** Readers drain what is buffered, then the iteration throws `error`. */
  fail(error: Error): void {
    if (this.finished) return;
    this.failure = error;
    this.finished = true;
    for (const w of this.waiters.splice(0)) w.reject(error);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift() as T, done: false });
    if (this.failure) {
      const error = this.failure;
      this.failure = undefined; // thrown once; later calls just report done
      return Promise.reject(error);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Called by `break` in a for-await loop: the reader is gone, so stop the source too. */
  return(): Promise<IteratorResult<T>> {
    this.buffer.length = 0;
    this.end();
    this.onReturn?.();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
