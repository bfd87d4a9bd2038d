// LIVE=watch:/path — takes each NEMWEB file (zip or CSV) that lands in a folder, once. Polls rather than using
// fs.watch, which misses events on network and container mounts; a poll of a folder is cheap. A file is taken
// when it is provably whole: a zip with its central directory, a CSV with AEMO's END OF REPORT footer (ingest
// rejects a CSV without one as truncated). One that stays unchanged and unfinished for `incompletePolls` polls is
// written off as bad until it changes, and so is one larger than `maxFileBytes` (the feed reads a file whole; the
// ingest bounds what a zip may inflate to). Temporary names (.tmp, .part, dot-files) are never taken.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { formatBytes } from '../store/ingest-limits.ts';
import { isNoticeName } from '../alerts/notices.ts';
import { csvHasEndMarker, isReportName, zipLooksComplete } from './complete.ts';
import type { Feed } from './driver.ts';
import type { IncomingFile, Intake } from './intake.ts';

export interface WatchOptions {
  /** Between polls, ms (default 1000). */
  pollMs?: number;
  /** Most files taken per poll, so a large backlog still yields pushes as it goes (default 50). */
  batchSize?: number;
  /** Polls a file may sit unchanged and unfinished before it is written off as bad (default 30). */
  incompletePolls?: number;
  /** Largest file taken, bytes (default 512 MB: NEMWEB's daily archives are tens of MB); larger ones are bad. */
  maxFileBytes?: number;
}

interface Seen {
  size: number;
  mtimeMs: number;
  /** Consecutive polls with the same size and mtime. */
  stable: number;
}

export class WatchFeed implements Feed {
  readonly name: string;
  private readonly seen = new Map<string, Seen>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> | undefined;
  private active = false;
  private missingLogged = false;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly incompletePolls: number;
  private readonly maxFileBytes: number;

  constructor(
    readonly dir: string,
    private readonly intake: Intake,
    private readonly log: Logger,
    opts: WatchOptions = {},
  ) {
    this.name = `watch:${dir}`;
    this.pollMs = opts.pollMs ?? 1000;
    this.batchSize = opts.batchSize ?? 50;
    this.incompletePolls = opts.incompletePolls ?? 30;
    this.maxFileBytes = opts.maxFileBytes ?? 512 * 2 ** 20;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.log.info(
      { dir: this.dir, pollMs: this.pollMs, known: this.intake.ledger.size },
      'live: watching a folder for NEMWEB files',
    );
    this.loop();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    await this.running;
  }

  private loop(): void {
    this.running = this.poll()
      .catch((err: Error) => this.log.error({ dir: this.dir, err: err.message }, 'live: folder poll failed'))
      .finally(() => {
        if (this.active) this.timer = setTimeout(() => this.loop(), this.pollMs);
      });
  }

  /** One pass over the folder; returns the names stored. */
  async poll(): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir, { withFileTypes: true }))
        .filter((d) => d.isFile() && isReportName(d.name))
        .map((d) => d.name)
        .sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!this.missingLogged)
        this.log.warn({ dir: this.dir }, 'live: watch folder does not exist (yet); waiting for it');
      this.missingLogged = true;
      return [];
    }
    this.missingLogged = false;
    const ready: IncomingFile[] = [];
    for (const name of names) {
      if (ready.length >= this.batchSize) break;
      const file = await this.check(name);
      if (file) ready.push(file);
    }
    for (const name of this.seen.keys()) if (!names.includes(name)) this.seen.delete(name);
    return ready.length ? this.intake.take(ready) : [];
  }

  private async check(name: string): Promise<IncomingFile | undefined> {
    // Taken files are never looked at again; a bad one only once its size changes (re-published or repaired).
    if (this.intake.ledger.get(name)?.status === 'ok') return void this.seen.delete(name);
    const path = join(this.dir, name);
    const st = await stat(path).catch(() => undefined);
    if (!st || !this.intake.wants(name, st.size)) return void this.seen.delete(name);
    const prev = this.seen.get(name);
    const stable = prev !== undefined && prev.size === st.size && prev.mtimeMs === st.mtimeMs ? prev.stable + 1 : 0;
    this.seen.set(name, { size: st.size, mtimeMs: st.mtimeMs, stable });
    if (st.size === 0) return undefined;
    if (st.size > this.maxFileBytes) {
      // Once it stops growing: a file still being copied would otherwise be written off at every size it passes.
      if (stable < 1) return undefined;
      const max = formatBytes(this.maxFileBytes);
      const why = `${formatBytes(st.size)}, larger than the ${max} the live feed takes (import it with npm run ingest)`;
      await this.intake.reject(name, this.dir, st.size, why);
      return void this.seen.delete(name);
    }
    const bytes = await readFile(path).catch(() => undefined);
    if (!bytes || bytes.length !== st.size) return undefined; // vanished, or grew while being read
    const isZip = /\.zip$/i.test(name);
    // A notice has no end marker: it is whole once its size held for a poll.
    const whole = isZip ? zipLooksComplete(bytes) : isNoticeName(name) ? stable >= 1 : csvHasEndMarker(bytes);
    if (whole)
      return { name, bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), source: this.dir };
    if (stable >= this.incompletePolls) {
      const why = isZip ? 'zip without its central directory' : 'CSV without its END OF REPORT footer';
      await this.intake.reject(name, this.dir, st.size, `${why}, unchanged for ${stable} polls (truncated?)`);
      this.seen.delete(name);
    }
    return undefined;
  }
}
