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
 * survive scavenges) and V8 keeps it, ~30–45 MB of RSS, for as long as the server then sits idle: it shrinks the
 * young generation only at a full collection that sees a low allocation rate over the last 5 s, and an idle server
 * runs no collections. So after many sockets have gone and 6 s have passed without one opening or closing, the
 * server runs a minor collection, and 6 s later that full one itself (a pause of ~10–30 ms at these heap sizes).
 */
export const DEFAULT_RECLAIM: ReclaimOptions = { afterCloses: 1000, quietMs: 6000, retryAboveBytes: 16 << 20 };
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
      // V8 counts its allocation rate from its previous collection; a minor one now makes the next count cover
      // only the quiet time, not the tail of the burst.
      collectGarbage('minor');
      this.quiet = setTimeout(() => {
        this.quiet = undefined;
        this.closedSince = 0;
        const r = reclaimHeap();
        if (!r) return;
        this.reclaimCount++;
        this.reclaim.onReclaim?.(r);
        // Traffic from the sockets still open can make V8 judge the rate too high to shrink: try again later.
        if (r.heldAfter - r.usedAfter > this.reclaim.retryAboveBytes && attempt < MAX_ATTEMPTS) this.scheduleReclaim(attempt + 1);
      }, this.reclaim.quietMs);
      this.quiet.unref();
    }, this.reclaim.quietMs);
    this.quiet.unref();
  }
}

type Gc = (opts?: { type: 'minor' | 'major' }) => void;
let gc: Gc | null | undefined;

/** One full, synchronous V8 collection; undefined where gc() cannot be had. */
export function reclaimHeap(): Reclaimed | undefined {
  const before = getHeapStatistics();
  const t0 = performance.now();
  if (!collectGarbage('major')) return undefined;
  const ms = performance.now() - t0;
  const after = getHeapStatistics();
  return { ms, heldBefore: before.total_physical_size, heldAfter: after.total_physical_size, usedAfter: after.used_heap_size };
}

/** False where V8's gc() cannot be had. */
function collectGarbage(type: 'minor' | 'major'): boolean {
  const collect = gcFunction();
  // Node 20's V8 runs a scavenge for any options object ({type: 'major'} included); only gc() is a full one.
  if (type === 'major') collect?.();
  else collect?.({ type });
  return collect !== null;
}

/**
 * V8's gc() without starting node with --expose-gc: set the flag, take gc from a fresh context (as jest's leak
 * detector does), and clear the flag again. Null where that is not possible.
 */
function gcFunction(): Gc | null {
  if (gc !== undefined) return gc;
  gc = (globalThis as { gc?: Gc }).gc ?? null;
  if (gc) return gc;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as Gc;
  } catch {
    gc = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return gc;
}
