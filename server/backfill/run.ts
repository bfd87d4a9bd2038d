// Runs a backfill: lists what the plan names (plan.ts), downloads each file it has not ingested before (streamed to
// disk as NAME.part, renamed when whole), ingests it into the store, and records it in DIR/done.json, so a re-run —
// after a kill, a failed download or a rejected file — fetches and ingests only what is missing. Files are deleted
// once ingested unless `keep`. One request at a time, each with a timeout and retries (server/live/http-get.ts); the
// next file downloads while one is ingested.
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import { IngestRefused, type Ingester } from './into.ts';
import { getWithRetries, HttpError, MAX_LISTING_BYTES, readBody, type GetOptions } from '../live/http-get.ts';
import { parseListing, type ListedFile } from '../live/listing.ts';
import {
  DAILY_FOLDERS,
  dailyFolder,
  daysOf,
  lastDays,
  monthlyFolder,
  wantedDaily,
  wantedMonthly,
  type DayRange,
  type Month,
} from './plan.ts';

export interface BackfillOptions {
  /** NEMWEB's site (NEMWEB_URL). */
  base: string;
  /** Whole months (MMSDM; the daily archive for a month MMSDM lacks), or the last `days` whole NEM days. */
  months?: Month[];
  days?: number;
  /** Where downloads go and done.json is kept. */
  dir: string;
  /** Where files go: the store itself, or a running server's ingest (into.ts). */
  ingest: Ingester;
  keep?: boolean;
  /** Told after each file. */
  progress?: (p: Progress) => void;
  /** Plain-words lines: what was planned, what failed. */
  log?: (line: string) => void;
  http?: Partial<Omit<GetOptions, 'headers' | 'onRetry'>>;
  now?: () => number;
}

export interface Progress {
  file: string;
  done: number;
  total: number;
  bytes: number;
  rows: number;
  /** Seconds left at the rate so far, null before a file is done. */
  etaS: number | null;
}

export interface BackfillSummary {
  /** Files the plan names, those already ingested by an earlier run, those fetched and ingested now, failures. */
  planned: number;
  skipped: number;
  ingested: number;
  failed: { file: string; error: string }[];
  bytes: number;
  rows: Record<string, number>;
  seconds: number;
}

interface Target {
  name: string;
  url: string;
}

/** Local file name: NEMWEB's '#' (MMSDM archive names) kept as %23, as the files are linked. */
const localName = (name: string) => name.replace(/#/g, '%23');

export async function backfill(o: BackfillOptions): Promise<BackfillSummary> {
  const started = performance.now();
  const http: GetOptions = {
    timeoutMs: 60_000,
    retries: 3,
    retryBaseMs: 2000,
    fetch: globalThis.fetch,
    signal: new AbortController().signal,
    ...o.http,
    onRetry: (attempt, err, delayMs) => o.log?.(`retrying (${attempt}) after ${err.message}, in ${delayMs} ms`),
  };
  const log = o.log ?? (() => {});
  mkdirSync(o.dir, { recursive: true });
  const donePath = join(o.dir, 'done.json');
  const done = readDone(donePath, log);

  const targets = await plan(o, http, log);
  const todo = targets.filter((t) => !done.has(t.name));
  log(`${targets.length} files planned, ${targets.length - todo.length} already ingested, ${todo.length} to fetch`);
  const summary: BackfillSummary = {
    planned: targets.length,
    skipped: targets.length - todo.length,
    ingested: 0,
    failed: [],
    bytes: 0,
    rows: {},
    seconds: 0,
  };
  let rows = 0;
  // The next file downloads while one is ingested (DuckDB's work): still one request at a time. Resolves true when
  // it was downloaded now rather than found on disk.
  const fetchFile = (t: Target): Promise<boolean> => {
    const path = join(o.dir, localName(t.name));
    const fetched = existsSync(path) ? Promise.resolve(false) : download(t.url, path, http).then(() => true);
    fetched.catch(() => {}); // awaited in its turn, where a failure is that file's
    return fetched;
  };
  let fetching = todo.length > 0 ? fetchFile(todo[0]) : undefined;
  for (const [i, t] of todo.entries()) {
    const path = join(o.dir, localName(t.name));
    try {
      let fresh: boolean | undefined;
      try {
        fresh = await fetching;
      } finally {
        fetching = i + 1 < todo.length ? fetchFile(todo[i + 1]) : undefined;
      }
      if (http.signal.aborted) {
        // Stopped (a kill): nothing more is ingested, and a file fetched ahead counts as not fetched.
        if (fresh) rmSync(path, { force: true });
        throw http.signal.reason instanceof Error ? http.signal.reason : new Error('stopped');
      }
      summary.bytes += statSync(path).size;
      let stored: Record<string, number>;
      try {
        stored = await o.ingest(path, t.name);
      } catch (err) {
        // A bad file (an error page served as 200, a cut-off zip) is fetched again by a re-run; otherwise it is kept.
        if (err instanceof IngestRefused && err.bad) rmSync(path, { force: true });
        throw err;
      }
      for (const [table, n] of Object.entries(stored)) {
        summary.rows[table] = (summary.rows[table] ?? 0) + n;
        rows += n;
      }
      done.add(t.name);
      // Written aside and renamed: a run stopped mid-write leaves the previous list, never half of one.
      writeFileSync(`${donePath}.part`, JSON.stringify([...done].sort()));
      renameSync(`${donePath}.part`, donePath);
      if (!o.keep) rmSync(path, { force: true });
      summary.ingested++;
    } catch (err) {
      summary.failed.push({ file: t.name, error: (err as Error).message });
      log(`failed: ${t.name}: ${(err as Error).message} (a re-run tries it again)`);
    }
    const elapsed = (performance.now() - started) / 1000;
    o.progress?.({
      file: t.name,
      done: i + 1,
      total: todo.length,
      bytes: summary.bytes,
      rows,
      etaS: (elapsed / (i + 1)) * (todo.length - i - 1),
    });
  }
  if (o.ingest.finish) {
    log('rolling up what was ingested');
    await o.ingest.finish();
  }
  summary.seconds = (performance.now() - started) / 1000;
  return summary;
}

/** The names done.json lists; a damaged one is set aside and the run starts over (ingest is idempotent). */
function readDone(path: string, log: (l: string) => void): Set<string> {
  if (!existsSync(path)) return new Set();
  try {
    const names: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return new Set(names);
  } catch {
    // set aside below
  }
  renameSync(path, `${path}.damaged`);
  log(`${path} is not a list of file names: set aside as done.json.damaged; every planned file is fetched again`);
  return new Set();
}

/** The files to take: each month's MMSDM files, or the daily archive's for a month MMSDM lacks and for `days`. */
async function plan(o: BackfillOptions, http: GetOptions, log: (l: string) => void): Promise<Target[]> {
  const now = (o.now ?? Date.now)();
  const yesterday = lastDays(1, now).to;
  const out: Target[] = [];
  const daily: DayRange[] = [];
  for (const m of o.months ?? []) {
    const folder = monthlyFolder(o.base, m);
    try {
      out.push(...(await list(folder, http)).filter((f) => wantedMonthly(f.name, m)));
    } catch (err) {
      if (!(err instanceof HttpError && err.status === 404)) throw err;
      const days = daysOf(m, yesterday);
      if (!days) continue;
      log(`${m.year}-${String(m.month).padStart(2, '0')}: not in MMSDM yet; from the daily archive instead`);
      daily.push(days);
    }
  }
  if (o.days) daily.push(lastDays(o.days, now));
  if (daily.length) {
    for (const folder of DAILY_FOLDERS) {
      const files = await list(dailyFolder(o.base, folder), http);
      out.push(...files.filter((f) => daily.some((d) => wantedDaily(f.name, d))));
    }
  }
  const seen = new Set<string>();
  return out.filter((t) => !seen.has(t.name) && seen.add(t.name)).map(({ name, url }) => ({ name, url }));
}

async function list(url: string, http: GetOptions): Promise<ListedFile[]> {
  const res = await getWithRetries(url, http);
  return parseListing(new TextDecoder().decode(await readBody(res, MAX_LISTING_BYTES, url)), url);
}

/** Larger than any file NEMWEB's archives hold (a zip the ingest inflates at most 4 GiB from). */
const MAX_FILE_BYTES = 4 * 1024 ** 3;

/**
 * Streams `url` to `path` (through `path.part`, renamed when whole). A big file on a slow link takes as long as it
 * keeps coming: the timeout is for the headers and for any silence in the body, not the whole transfer; a body past
 * `maxBytes` (a file that never ends) fails. A failed download leaves no file.
 */
export async function download(url: string, path: string, http: GetOptions, maxBytes = MAX_FILE_BYTES): Promise<void> {
  const stall = new AbortController();
  const signal = AbortSignal.any([http.signal, stall.signal]);
  const res = await getWithRetries(url, { ...http, headersTimeoutOnly: true, signal });
  if (!res.body) throw new Error(`${url}: empty response`);
  const part = `${path}.part`;
  let bytes = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stall.abort(new Error(`${url}: no data for ${http.timeoutMs} ms`)), http.timeoutMs);
  };
  const bounded = new Transform({
    transform(chunk: Buffer, _enc, done) {
      bytes += chunk.length;
      if (bytes > maxBytes) return done(new Error(`${url}: larger than ${maxBytes} bytes`));
      arm();
      done(null, chunk);
    },
  });
  arm();
  try {
    await pipeline(Readable.fromWeb(res.body as ReadableStream), bounded, createWriteStream(part));
  } catch (err) {
    rmSync(part, { force: true });
    throw stall.signal.aborted ? (stall.signal.reason as Error) : err;
  } finally {
    clearTimeout(timer);
  }
  renameSync(part, path);
}
