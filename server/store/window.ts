// The span of intervals a write touched: what ingest reports, and what its follow-up work (rollups, demand) covers.

/** Interval-end times, epoch seconds, both ends included. */
export interface Window {
  minTs: number;
  maxTs: number;
}

export function widen(a: Window | null, b: Window): Window {
  return a ? { minTs: Math.min(a.minTs, b.minTs), maxTs: Math.max(a.maxTs, b.maxTs) } : { ...b };
}
