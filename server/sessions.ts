// The open sessions by id, and the count of DuckDB connections they hold (what /healthz and /metrics report).
// After many sockets have gone it also nudges V8 to give back the memory they grew (reclaim, below).
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Session } from './session.ts';

export interface ReclaimOptions {
  /** Sessions closed since the last reclaim that make one worth running (0: never). */
  afterCloses: number;
  /** It runs once no socket has opened or closed for this long. */
  quietMs: number;
  /** V8 still holding this much more heap than it uses afterwards: try again (up to 3 times in all). */
  retryAboveBytes: number;
  /** Told what a reclaim did (for the log). */
  onReclaim?: (r: Reclaimed) => void;
}

export interface Reclaimed {
  /** The collection's pause. */
  ms: number;
  /** V8 heap held (physical) and used, before and after. */
  heldBefore: number;
  heldAfter: number;
  usedAfter: number;
}

/**
 * Measured (bench/idle-memory.ts): a burst of 5,000 sockets grows V8's young generation to its maximum (the sessions
 * survive scavenges) and V8 keeps it, 20–40 MB of RSS, for as long as the server then sits idle: it shrinks the
 * young generation only at a collection that finds a low allocation rate since the previous one, and an idle server
 * runs none. So after many sockets have gone and 6 s have passed without one opening or closing, the server runs a
 * full collection itself (a pause of ~10–30 ms at these heap sizes); if V8 still holds much more than it uses (its
 * rate counted the burst), it runs another after the next quiet 6 s, three at most.
 */
export const DEFAULT_RECLAIM: ReclaimOptions = { afterCloses: 1000, quietMs: 6000, retryAboveBytes: 12 << 20 };
const MAX_ATTEMPTS = 3;

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private held = 0;
  private readonly waiters = new Set<() => void>();
  private closedSince = 0;
  private quiet: ReturnType<typeof setTimeout> | undefined;
  private reclaimCount = 0;

  constructor(private readonly reclaim: ReclaimOptions = DEFAULT_RECLAIM) {}

  get size(): number {
    return this.byId.size;
  }
  /** Connections sessions hold right now: opened and not yet closed (a closing session's counts until it closes). */
  get connections(): number {
    return this.held;
  }
  /** Full collections run after sockets went (see DEFAULT_RECLAIM). */
  get reclaims(): number {
    return this.reclaimCount;
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
    this.quiet?.refresh();
  }
  delete(session: Session): void {
    if (this.byId.get(session.id) === session) {
      this.byId.delete(session.id);
      this.closed();
    }
    this.wake();
  }
  get(id: string): Session | undefined {
    return this.byId.get(id);
  }
  values(): IterableIterator<Session> {
    return this.byId.values();
  }

  connectionOpened(): void {
    this.held++;
  }
  connectionReleased(): void {
    this.held--;
    this.wake();
  }

  /** Resolves when no session is open and no connection is held (shutdown waits on it). */
  drained(): Promise<void> {
    if (this.byId.size === 0 && this.held === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.byId.size === 0 && this.held === 0) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  /** Cancels a pending reclaim (shutdown). */
  stop(): void {
    clearTimeout(this.quiet);
    this.quiet = undefined;
  }

  private wake(): void {
    for (const fn of [...this.waiters]) fn();
  }

  private closed(): void {
    this.closedSince++;
    if (this.reclaim.afterCloses <= 0 || this.closedSince < this.reclaim.afterCloses) return;
    if (this.quiet) this.quiet.refresh();
    else this.scheduleReclaim(1);
  }

  private scheduleReclaim(attempt: number): void {
    this.quiet = setTimeout(() => {
      this.quiet = undefined;
      this.closedSince = 0;
      const r = reclaimHeap();
      if (!r) return;
      this.reclaimCount++;
      this.reclaim.onReclaim?.(r);
      // V8 judges the allocation rate since its previous collection, which may include the burst: the next full
      // collection, after another quiet spell, sees only that spell.
      if (r.heldAfter - r.usedAfter > this.reclaim.retryAboveBytes && attempt < MAX_ATTEMPTS)
        this.scheduleReclaim(attempt + 1);
    }, this.reclaim.quietMs);
    this.quiet.unref();
  }
}

let gc: (() => void) | null | undefined;

/** One full, synchronous V8 collection; undefined where gc() cannot be had. */
export function reclaimHeap(): Reclaimed | undefined {
  const collect = gcFunction();
  if (!collect) return undefined;
  const before = getHeapStatistics();
  const t0 = performance.now();
  // gc() with no argument: in Node 20's V8 any options object ({type: 'major'} included) runs only a scavenge.
  collect();
  const ms = performance.now() - t0;
  const after = getHeapStatistics();
  return {
    ms,
    heldBefore: before.total_physical_size,
    heldAfter: after.total_physical_size,
    usedAfter: after.used_heap_size,
  };
}

/**
 * V8's gc() without starting node with --expose-gc: set the flag, take gc from a fresh context (as jest's leak
 * detector does), and clear the flag again. Null where that is not possible.
 */
function gcFunction(): (() => void) | null {
  if (gc !== undefined) return gc;
  gc = (globalThis as { gc?: () => void }).gc ?? null;
  if (gc) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  } catch {
    gc = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return gc;
}
