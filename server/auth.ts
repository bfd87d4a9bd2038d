// The optional bearer token (AUTH_TOKEN) for sockets and /metrics, compared in constant time so response timing
// does not reveal how much of a guess was right.
import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** True when no token is configured, or `given` equals it. Hashing first makes the lengths equal. */
export function tokenMatches(expected: string | undefined, given: string | null | undefined): boolean {
  if (expected === undefined) return true;
  if (given === null || given === undefined) return false;
  return timingSafeEqual(digest(expected), digest(given));
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(header: string): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}
