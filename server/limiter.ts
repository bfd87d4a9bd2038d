// A token bucket per session: a flood gets `rate_limited`, never a slower server for others. (The bound on
// concurrent catalogue queries is the gate in fair-gate.ts.) Checks return values, not exceptions.

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

/** Takes `n` tokens (one by default; a request that costs more than a frame's work, more) if there are that many. */
export function takeToken(bucket: Bucket, limit: RateLimit, now = performance.now(), n = 1): boolean {
  const elapsed = Math.max(0, now - bucket.at) / 1000;
  bucket.tokens = Math.min(limit.burst, bucket.tokens + elapsed * limit.perSecond);
  bucket.at = now;
  if (bucket.tokens < n) return false;
  bucket.tokens -= n;
  return true;
}
