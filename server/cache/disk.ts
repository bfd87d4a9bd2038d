// The disk tier: encoded answers in LMDB under CACHE_DIR. Survives restarts, is shared by every process on the
// machine (LMDB serialises writers and gives readers snapshots) and survives kill -9 (a transaction commits
// whole or not at all). Bounded in bytes: writes evict the least recently used entries when pages run short.
//
// Three databases per format version (so an upgrade never decodes old bytes): answers (key → sealed bytes),
// meta (key → [lastUse, bytes]) and order ([lastUse, key] → empty), the last sorted oldest first for eviction.
//
// A cache must never take the server down: a damaged data file is deleted before LMDB maps it (lmdb-file.ts),
// and a failing disk (full, read-only, I/O errors) pauses writes with a backoff while reads go on.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { open as openLmdb, type Database, type RootDatabase } from 'lmdb';
import { DISK_FORMAT, isIntact, open as unseal, seal } from './envelope.ts';
import { ensureLockFile, lmdbFileProblem, removeLmdbFiles } from './lmdb-file.ts';

/** Evict when pages in use would pass HIGH_WATER × cap; evict down to LOW_WATER × cap (hysteresis, fewer sweeps). */
const HIGH_WATER = 0.75;
const LOW_WATER = 0.6;
/** LMDB keys are limited (~1,978 bytes in lmdb-js); longer cache keys are stored under their hash. */
const MAX_KEY_BYTES = 400;
/** Recency updates are writes: batch them instead of writing on every hit. */
const TOUCH_FLUSH_MS = 1000;
const EMPTY = Buffer.alloc(0);
const DB_NAME = /^(answers|meta|order)\.v(\d+)$/;
/** Writes pause this long after a failed commit, doubling while retries fail, up to MAX_RETRY_MS. */
const RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * 60_000;

export interface DiskTierOptions {
  /** A directory; created if missing. */
  path: string;
  maxBytes: number;
  onEvict?: (count: number, bytes: number) => void;
  /** The data file was damaged: it has been deleted and the cache starts empty. */
  onRebuilt?: (problem: string) => void;
  /** A commit failed: writes are dropped for `retryMs`, then tried again. Called once per outage. */
  onWritesFailing?: (err: Error, retryMs: number) => void;
  onWritesResumed?: () => void;
  /** First pause after a failed commit (tests shorten it). */
  retryMs?: number;
}

type MetaValue = [lastUse: number, bytes: number];
type OrderKey = [lastUse: number, key: string];

export class DiskTier {
  readonly path: string;
  readonly maxBytes: number;
  evictions = 0;
  evictedBytes = 0;
  /** Entries found damaged and dropped. */
  corrupt = 0;
  /** Answers too large to keep (over a quarter of the cap). */
  rejected = 0;
  /** Failed write transactions. */
  writeErrors = 0;
  /** Why the data file was deleted on open, if it was. */
  readonly rebuilt: string | undefined;

  private readonly root: RootDatabase;
  private readonly answers: Database<Buffer, string>;
  private readonly meta: Database<MetaValue, string>;
  private readonly order: Database<Buffer, OrderKey>;
  private readonly onEvict: DiskTierOptions['onEvict'];
  private puts = new Map<string, Buffer>();
  private touches = new Map<string, number>();
  private drops = new Set<string>();
  /** Puts handed to a transaction that has not committed yet: still answered by get(). */
  private committing = new Map<string, Buffer>();
  private scheduled: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private touchTimer: NodeJS.Timeout | undefined;
  private lastSeq = 0;
  private closed = false;
  private readonly events: Pick<DiskTierOptions, 'onWritesFailing' | 'onWritesResumed'>;
  private readonly retryMs: number;
  /** While writes are paused: when to try again, and the pause after that if it fails too. */
  private pausedUntil = 0;
  private nextPauseMs = 0;

  constructor(opts: DiskTierOptions) {
    if (!(opts.maxBytes >= 1 << 20))
      throw new Error(`LMDB cache maxBytes must be at least 1 MiB, got ${opts.maxBytes}`);
    this.path = opts.path;
    this.maxBytes = opts.maxBytes;
    this.onEvict = opts.onEvict;
    this.events = opts;
    this.retryMs = opts.retryMs ?? RETRY_MS;
    mkdirSync(opts.path, { recursive: true });
    this.rebuilt = lmdbFileProblem(opts.path);
    if (this.rebuilt) {
      removeLmdbFiles(opts.path);
      opts.onRebuilt?.(this.rebuilt);
    }
    ensureLockFile(opts.path);
    // noSubdir: lmdb-js otherwise takes a path with a dot in its last part (mktemp's tmp.X1y2Z3) for a file name.
    // The map is address space, not disk: room to spare so LMDB never has to grow it under a writer.
    // overlappingSync off: with it (lmdb-js's default on Linux), four processes writing at once failed with
    // MDB_BAD_TXN and then hung within a few rounds; off, 80 rounds ran (one lost a transaction: a cache miss).
    // Commits then sync inside the write lock, which is off the request path.
    this.root = openLmdb({
      path: opts.path,
      noSubdir: false,
      maxDbs: 16,
      mapSize: Math.max(2 * opts.maxBytes, 64 << 20),
      overlappingSync: false,
    });
    // A process killed while reading leaves its reader slot behind, pinning old pages: clear such slots.
    this.root.readerCheck();
    this.dropOtherFormats();
    this.answers = this.root.openDB<Buffer, string>(`answers.v${DISK_FORMAT}`, { encoding: 'binary' });
    this.meta = this.root.openDB<MetaValue, string>(`meta.v${DISK_FORMAT}`, { encoding: 'msgpack' });
    this.order = this.root.openDB<Buffer, OrderKey>(`order.v${DISK_FORMAT}`, { encoding: 'binary' });
  }

  /** The stored answer, or undefined when absent or damaged (a damaged entry is dropped on the next write). */
  get(key: string): Uint8Array | undefined {
    const k = storedKey(key);
    const pending = this.puts.get(k) ?? this.committing.get(k);
    if (pending) return unseal(pending);
    const raw = this.answers.getBinaryFast(k);
    if (!raw) return undefined;
    if (!isIntact(raw)) {
      this.corrupt++;
      this.drops.add(k);
      void this.schedule();
      return undefined;
    }
    const out = unseal(raw);
    this.touches.set(k, this.nextSeq());
    if (!this.touchTimer) this.scheduleTouches();
    return out;
  }

  has(key: string): boolean {
    const k = storedKey(key);
    return this.puts.has(k) || this.committing.has(k) || this.answers.doesExist(k);
  }

  /** False while writes are paused after a failed commit. */
  get writable(): boolean {
    return this.pausedUntil === 0;
  }

  /**
   * Queues the answer for the next write transaction; resolves once it is committed, or dropped because the disk
   * is failing (see `writable`). Rejects only when closed.
   */
  set(key: string, bytes: Uint8Array): Promise<void> {
    if (this.closed) return Promise.reject(new Error('disk cache is closed'));
    const sealed = seal(bytes);
    if (sealed.byteLength > this.maxBytes / 4) {
      this.rejected++;
      return Promise.resolve();
    }
    if (this.paused()) return Promise.resolve();
    this.puts.set(storedKey(key), sealed);
    return this.schedule();
  }

  /** Pages our databases occupy, in bytes (LMDB's own page counts; the file only grows to its high-water mark). */
  usedBytes(): number {
    let pages = 0;
    let pageSize = 4096;
    for (const db of [this.answers, this.meta, this.order]) {
      const s = db.getStats() as LmdbStats;
      pages += s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages;
      pageSize = s.pageSize;
    }
    return pages * pageSize;
  }

  /** Size of the data file in use: (last page + 1) × page size. */
  fileBytes(): number {
    const s = this.root.getStats() as LmdbStats;
    return (s.lastPageNumber + 1) * s.pageSize;
  }

  get entries(): number {
    return (this.answers.getStats() as LmdbStats).entryCount;
  }

  /** Every stored key (as stored: long keys appear hashed). */
  keys(): string[] {
    return [...this.answers.getKeys()];
  }

  /** The three databases agree: every answer has its recency record and order slot, and nothing else exists. */
  audit(): { entries: number; consistent: boolean } {
    let consistent = true;
    let entries = 0;
    for (const k of this.answers.getKeys()) {
      entries++;
      const m = this.meta.get(k);
      if (!m || !this.order.doesExist([m[0], k])) consistent = false;
    }
    const metaCount = (this.meta.getStats() as LmdbStats).entryCount;
    const orderCount = (this.order.getStats() as LmdbStats).entryCount;
    return { entries, consistent: consistent && metaCount === entries && orderCount === entries };
  }

  /** Commits everything queued (answers, recency, drops). */
  async flush(): Promise<void> {
    if (this.touchTimer) clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    await this.drain();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    // lmdb-js's close waits for the last transaction's flush, which never comes when that commit failed; an empty
    // transaction writes nothing (so it commits even on a full disk) and becomes the last one.
    if (this.pausedUntil !== 0) await this.root.transaction(() => undefined).catch(() => undefined);
    await this.root.close().catch(() => undefined); // nothing left to lose: every write was settled above
  }

  private paused(): boolean {
    if (this.pausedUntil === 0) return false;
    return Date.now() < this.pausedUntil;
  }

  private schedule(): Promise<void> {
    // Writes queued in one event-loop turn share a transaction.
    this.scheduled ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.scheduled = undefined;
      return this.drain();
    });
    return this.scheduled;
  }

  private scheduleTouches(): void {
    this.touchTimer = setTimeout(() => {
      this.touchTimer = undefined;
      void this.drain();
    }, TOUCH_FLUSH_MS);
    this.touchTimer.unref();
  }

  /**
   * One writer loop per process: transactions run one after another, never merged by lmdb-js into one. Never rejects.
   */
  private drain(): Promise<void> {
    const run = this.writing.then(async () => {
      while (!this.closed && !this.paused() && (this.puts.size > 0 || this.touches.size > 0 || this.drops.size > 0)) {
        await this.commitChunk();
      }
    });
    this.writing = run.catch(() => undefined);
    return run;
  }

  /**
   * Pages freed inside a transaction are reusable only by later ones, so a transaction carries at most
   * 1/32 of the cap: the file then stays within the cap instead of growing by a whole batch.
   */
  private async commitChunk(): Promise<void> {
    const limit = Math.max(this.maxBytes / 32, 64 << 10);
    const puts = new Map<string, Buffer>();
    let bytes = 0;
    for (const [k, v] of this.puts) {
      if (puts.size > 0 && bytes + v.byteLength > limit) break;
      puts.set(k, v);
      bytes += v.byteLength;
    }
    for (const [k, v] of puts) {
      this.puts.delete(k);
      this.committing.set(k, v);
    }
    const touches = this.touches;
    const drops = this.drops;
    this.touches = new Map();
    this.drops = new Set();
    try {
      const evicted = await this.root.transaction(() => this.apply(puts, touches, drops));
      if (evicted.count > 0) {
        this.evictions += evicted.count;
        this.evictedBytes += evicted.bytes;
        this.onEvict?.(evicted.count, evicted.bytes);
      }
      if (this.pausedUntil !== 0) this.resumed();
    } catch (err) {
      // lmdb-js's event-turn batch holds a commit promise of its own that nobody awaits: it was rejected with ours.
      this.root.committed.then(undefined, () => undefined);
      await this.failed(err);
    } finally {
      for (const [k, v] of puts) if (this.committing.get(k) === v) this.committing.delete(k);
    }
  }

  /** A commit failed (disk full, I/O error, map full): drop what is queued and pause writes; reads go on. */
  private async failed(err: unknown): Promise<void> {
    const cause = await commitCause(err);
    this.writeErrors++;
    this.puts.clear();
    this.touches.clear();
    this.drops.clear();
    const first = this.pausedUntil === 0;
    const pause = first ? this.retryMs : this.nextPauseMs;
    this.pausedUntil = Date.now() + pause;
    this.nextPauseMs = Math.min(pause * 2, MAX_RETRY_MS);
    if (first) this.events.onWritesFailing?.(cause, pause);
  }

  private resumed(): void {
    this.pausedUntil = 0;
    this.events.onWritesResumed?.();
  }

  /** Runs inside one write transaction (holding LMDB's writer lock across processes). */
  private apply(
    puts: Map<string, Buffer>,
    touches: Map<string, number>,
    drops: Set<string>,
  ): { count: number; bytes: number } {
    const evicted = { count: 0, bytes: 0 };
    for (const k of drops) {
      const raw = this.answers.getBinaryFast(k);
      if (raw && !isIntact(raw)) this.removeEntry(k); // still damaged: another process may have rewritten it meanwhile
    }
    for (const [k, seq] of touches) {
      const m = this.meta.get(k);
      if (!m || m[0] >= seq) continue;
      this.order.removeSync([m[0], k]);
      this.order.putSync([seq, k], EMPTY);
      this.meta.putSync(k, [seq, m[1]]);
    }
    const high = this.maxBytes * HIGH_WATER;
    for (const [k, sealed] of puts) {
      const need = pageBytes(sealed.byteLength);
      this.removeEntry(k);
      if (this.usedBytes() + need > high) this.evict(this.maxBytes * LOW_WATER - need, evicted);
      const seq = this.nextSeq();
      this.answers.putSync(k, sealed);
      this.meta.putSync(k, [seq, sealed.byteLength]);
      this.order.putSync([seq, k], EMPTY);
    }
    return evicted;
  }

  private evict(targetBytes: number, evicted: { count: number; bytes: number }): void {
    while (this.usedBytes() > targetBytes) {
      // Collect first: deleting under a live cursor is not something to rely on.
      const oldest = [...this.order.getKeys({ limit: 32 })];
      if (oldest.length === 0) return;
      for (const [seq, k] of oldest) {
        const m = this.meta.get(k);
        this.order.removeSync([seq, k]);
        if (m && m[0] !== seq) continue; // a stale slot; the entry lives on under its newer one
        this.meta.removeSync(k);
        this.answers.removeSync(k);
        evicted.count++;
        evicted.bytes += m ? m[1] : 0;
        if (this.usedBytes() <= targetBytes) return;
      }
    }
  }

  private removeEntry(k: string): void {
    const m = this.meta.get(k);
    if (m) {
      this.order.removeSync([m[0], k]);
      this.meta.removeSync(k);
    }
    this.answers.removeSync(k);
  }

  /** Recency stamps: microsecond wall clock, strictly increasing within a process, comparable across processes. */
  private nextSeq(): number {
    this.lastSeq = Math.max(Date.now() * 1000, this.lastSeq + 1);
    return this.lastSeq;
  }

  private dropOtherFormats(): void {
    for (const name of [...this.root.getKeys()]) {
      const m = typeof name === 'string' ? DB_NAME.exec(name) : null;
      if (m && Number(m[2]) !== DISK_FORMAT) this.root.openDB(name as string, { encoding: 'binary' }).dropSync();
    }
  }
}

/**
 * lmdb-js rejects a failed commit with a generic error whose `commitError` is a second promise, rejected with the
 * real cause (EIO, ENOSPC) a moment later; left alone, that one is an unhandled rejection and ends the process.
 */
async function commitCause(err: unknown): Promise<Error> {
  const inner = (err as { commitError?: Promise<unknown> } | undefined)?.commitError;
  const outer = err instanceof Error ? err : new Error(String(err));
  if (!(inner instanceof Promise)) return outer;
  const settled = inner.then(
    () => outer,
    (cause: unknown) => (cause instanceof Error ? cause : outer),
  );
  return Promise.race([settled, new Promise<Error>((resolve) => setTimeout(() => resolve(outer), 50))]);
}

interface LmdbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  entryCount: number;
  lastPageNumber: number;
}

/** Bytes an answer of this size takes in pages, roughly: values past ~2 KB go to their own overflow pages. */
function pageBytes(size: number): number {
  return Math.ceil((size + 64) / 4096) * 4096;
}

function storedKey(key: string): string {
  if (key.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(key) <= MAX_KEY_BYTES) return key;
  return '#' + createHash('sha256').update(key).digest('base64url');
}
