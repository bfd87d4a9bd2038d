// Reconnect delays: exponential, capped, with jitter so thousands of clients dropped by one server restart
// do not all come back in the same millisecond.

export interface BackoffOptions {
  /** Delay before the first retry, ms. */
  initialMs: number;
  /** Ceiling for any delay, ms. */
  maxMs: number;
  /** Growth per failed attempt. */
  factor: number;
  /** Fraction of each delay that is randomised (0: none, 1: anywhere from 0 to the full delay). */
  jitter: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({
  initialMs: 250,
  maxMs: 15_000,
  factor: 2,
  jitter: 0.5,
});

/** Delay before retry number `attempt` (0-based): min(max, initial × factor^attempt), less up to `jitter` of it. */
export function backoffDelay(
  attempt: number,
  opts: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const base = Math.min(opts.maxMs, opts.initialMs * opts.factor ** Math.max(0, attempt));
  return Math.round(base * (1 - opts.jitter * random()));
}
