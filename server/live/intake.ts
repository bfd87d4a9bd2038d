// The one way files enter the store from a live feed: skip what the ledger already holds, ingest the rest in name
// order (time order for NEMWEB names, so a revision lands after what it revises), record each outcome, and report
// the batch once so subscribers get one push per batch, not one per file.
import type { Logger } from 'pino';
import { widen } from '../store/window.ts';
import type { Ledger } from './ledger.ts';

export interface IncomingFile {
  name: string;
  bytes: Uint8Array;
  /** Where it came from (a folder path or a URL), for the ledger and logs. */
  source: string;
}

/**
 * Stores one file (server/store/ingest.ts ingestBuffer). Throws having stored nothing: with `code` 'bad_file' when
 * the file is malformed; any other error is the store's (full disk, closed connection) and the file is retried.
 */
export type IngestFn = (
  name: string,
  bytes: Uint8Array,
) => Promise<{ rows: Record<string, number>; window: { minTs: number; maxTs: number } | null }>;

/** The source of the batches the admin ingest (a backfill through a running server) stores. */
export const ADMIN_SOURCE = 'admin';

export interface Batch {
  source: string;
  /** Files stored, in the order they were ingested. */
  files: string[];
  rows: Record<string, number>;
  /**
   * Interval-end times (epoch s) the batch wrote; a window at or before the old watermark is a late or revised
   * interval.
   */
  window: { minTs: number; maxTs: number } | null;
  /** performance.now() when the last file of the batch was committed: the start of push latency. */
  ingestedAt: number;
}

/**
 * Consecutive store failures of one file after which later files go ahead of it: a failure that outlasts this many
 * polls is more likely the file's (an ingest bug it triggers) than the store's, and must not stop the feed.
 */
export const STALL_TRIES = 5;

export class Intake {
  /** Store failures per file name in a row (logged; at STALL_TRIES later files go ahead). */
  private readonly failures = new Map<string, number>();

  constructor(
    readonly ledger: Ledger,
    private readonly ingest: IngestFn,
    private readonly log: Logger,
    private readonly onBatch: (batch: Batch) => void | Promise<void>,
  ) {}

  /** Whether a file of this name (and size, when known) still needs taking. */
  wants(name: string, size?: number): boolean {
    return this.ledger.wants(name, size);
  }

  /**
   * Ingests the files the ledger does not hold yet; returns the names stored. Never throws for a bad file. When the
   * store fails, the rest of the batch waits for the next call: a later file must not land before an earlier one
   * (a revision before what it revises), and the same store would fail them too. After STALL_TRIES failures in a
   * row, the file stays wanted (tried each call) but no longer holds back the files after it.
   */
  async take(files: IncomingFile[]): Promise<string[]> {
    const stored: string[] = [];
    const rows: Record<string, number> = {};
    let window: Batch['window'] = null;
    let source = '';
    for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (!this.ledger.wants(f.name, f.bytes.length)) continue;
      try {
        const report = await this.ingest(f.name, f.bytes);
        await this.ledger.record(f.name, f.source, f.bytes.length, 'ok');
        this.failures.delete(f.name);
        stored.push(f.name);
        source = f.source;
        for (const [t, n] of Object.entries(report.rows)) rows[t] = (rows[t] ?? 0) + n;
        if (report.window) window = widen(window, report.window);
        this.log.info({ file: f.name, source: f.source, rows: report.rows }, 'live: ingested');
      } catch (err) {
        if ((err as { code?: string }).code === 'bad_file') {
          await this.badFile(f, err as Error);
          continue;
        }
        const tries = (this.failures.get(f.name) ?? 0) + 1;
        this.failures.set(f.name, tries);
        if (tries < STALL_TRIES) {
          this.log.error(
            { file: f.name, source: f.source, err: (err as Error).message, tries },
            'live: the store failed; the file is tried again later',
          );
          break;
        }
        this.log.error(
          { file: f.name, source: f.source, err: (err as Error).message, tries },
          'live: a file keeps failing; later files go ahead of it',
        );
      }
    }
    if (stored.length > 0) await this.onBatch({ source, files: stored, rows, window, ingestedAt: performance.now() });
    return stored;
  }

  /** Records a file that can never be whole (e.g. a zip that stayed without its central directory). */
  async reject(name: string, source: string, size: number, reason: string): Promise<void> {
    this.log.warn({ file: name, source, reason }, 'live: bad file skipped');
    await this.ledger.record(name, source, size, 'bad', reason);
  }

  private async badFile(f: IncomingFile, err: Error): Promise<void> {
    this.failures.delete(f.name);
    try {
      await this.reject(f.name, f.source, f.bytes.length, err.message);
    } catch (recordErr) {
      // The ledger could not be written either: the file is tried again next time, which is harmless.
      this.log.error({ file: f.name, err: (recordErr as Error).message }, 'live: could not record a bad file');
    }
  }
}
