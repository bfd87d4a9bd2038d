// LIVE=http://…/ (or LIVE=nemweb) — polls NEMWEB-style directory listings and downloads the report files it has not
// taken yet. Polls by AEMO's rhythm: a listing whose files come every 5 minutes (dispatch, SCADA) is asked again
// shortly after the next interval ends and then every FAST_MS until that interval's file is there, for at most
// FAST_WINDOW_S, then rests until the next interval; any other listing (rooftop PV, next-day and daily files, CDEII)
// every pollMs. So a new interval is taken within a couple of seconds of its publication, at about one conditional
// request per second per 5-minute folder for a minute or so per interval (see rhythm.ts). One request at a time,
// conditional GETs, a bounded look-back, a longer interval while a source is down; every request has a timeout and a
// few retries with backoff; one clear line says when a source goes down and when it is back.
import type { Logger } from 'pino';
import type { Feed } from './driver.ts';
import type { IncomingFile, Intake } from './intake.ts';
import { getWithRetries, HttpError, MAX_LISTING_BYTES, readBody } from './http-get.ts';
import { parseListing, type ListedFile } from './listing.ts';
import { nextListing, stampsOf } from './rhythm.ts';

export interface HttpOptions {
  /** Between polls, ms (default 30 s; NEMWEB publishes every 5 minutes). */
  pollMs?: number;
  /** Per request, ms (default 15 s). */
  timeoutMs?: number;
  /** Extra tries after a failed request (default 2). */
  retries?: number;
  /** First retry delay, ms, doubling (default 1 s). */
  retryBaseMs?: number;
  /**
   * Only the newest N files of each listing are considered; older history is `npm run ingest`'s job (default 288, a day
   * of 5-minute files).
   */
  window?: number;
  /** Downloads per poll; the rest follow on the next, sooner, poll (default 24). */
  maxPerPoll?: number;
  /** Longest poll interval while a source is down, ms (default 5 min). */
  maxDownMs?: number;
  /** Larger downloads are refused, bytes (default 256 MiB). */
  maxBytes?: number;
  /** 5-minute listings: how often to ask while the next interval's file is due, ms (default 2 s). */
  fastMs?: number;
  /** Follow AEMO's rhythm (default); false lists every source every pollMs (the old fixed poll: a bench baseline). */
  rhythm?: boolean;
  fetch?: typeof fetch;
  /** Wall clock, ms (tests move it). */
  now?: () => number;
}

interface SourceState {
  failures: number;
  etag?: string;
  lastModified?: string;
  listed: ListedFile[];
  /** The interval ends its 5-minute file names carry (rhythm.ts), read once per changed listing. */
  stamps: number[];
  /** When it was last listed, wall-clock ms (0: never). */
  polledAt: number;
}

export class HttpFeed implements Feed {
  readonly name: string;
  private readonly o: Required<HttpOptions>;
  private readonly sources = new Map<string, SourceState>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<unknown> | undefined;
  private abort = new AbortController();
  private active = false;
  private backlog = false;

  constructor(
    readonly urls: string[],
    private readonly intake: Intake,
    private readonly log: Logger,
    opts: HttpOptions = {},
  ) {
    this.name = urls.join(',');
    this.o = {
      pollMs: 30_000,
      timeoutMs: 15_000,
      retries: 2,
      retryBaseMs: 1000,
      window: 288,
      maxPerPoll: 24,
      maxDownMs: 300_000,
      maxBytes: 256 * 1024 * 1024,
      fastMs: 2000,
      rhythm: true,
      fetch: globalThis.fetch,
      now: Date.now,
      ...opts,
    };
    for (const u of urls) this.sources.set(u, { failures: 0, listed: [], stamps: [], polledAt: 0 });
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.abort = new AbortController();
    this.log.info({ urls: this.urls, pollMs: this.o.pollMs }, 'live: polling NEMWEB listings');
    this.loop();
  }

  async stop(): Promise<void> {
    this.active = false;
    clearTimeout(this.timer);
    this.abort.abort();
    await this.running;
  }

  private loop(): void {
    this.running = this.poll(this.due())
      .catch((err: Error) => this.log.error({ err: err.message }, 'live: poll failed'))
      .finally(() => {
        if (this.active) this.timer = setTimeout(() => this.loop(), this.nextDelay());
      });
  }

  /** When each source is next to be listed, wall-clock ms. */
  private dueAt(state: SourceState): number {
    if (state.polledAt === 0 || this.backlog) return 0;
    if (state.failures > 0)
      return state.polledAt + Math.min(this.o.maxDownMs, this.o.pollMs * 2 ** (state.failures - 1));
    if (!this.o.rhythm) return state.polledAt + this.o.pollMs;
    return nextListing(state.stamps, state.polledAt, this.o);
  }

  /** The sources due now (the first round: all). */
  private due(): string[] {
    const now = this.o.now();
    return this.urls.filter((u) => this.dueAt(this.sources.get(u)!) <= now);
  }

  private nextDelay(): number {
    if (this.backlog) return Math.min(this.o.pollMs, 1000);
    const next = Math.min(...[...this.sources.values()].map((s) => this.dueAt(s)));
    // Looked at again at least every second: a wall clock that jumps (a laptop waking) is noticed at once.
    return Math.min(1000, Math.max(50, next - this.o.now()));
  }

  /**
   * One round over `urls` (default: every listing), then their new files as one batch (one push). Returns names
   * stored.
   */
  async poll(urls: string[] = this.urls): Promise<string[]> {
    const todo: { file: ListedFile; source: string }[] = [];
    for (const url of urls) {
      const listed = await this.list(url);
      for (const file of listed.slice(-this.o.window))
        if (this.intake.wants(file.name)) todo.push({ file, source: url });
    }
    todo.sort((a, b) => (a.file.name < b.file.name ? -1 : 1));
    const files: IncomingFile[] = [];
    for (const { file, source } of todo.slice(0, this.o.maxPerPoll)) {
      if (this.abort.signal.aborted) break;
      try {
        files.push({ name: file.name, bytes: await this.get(file.url), source });
      } catch (err) {
        if (this.abort.signal.aborted) break;
        // Gone from the listing between listing and download (NEMWEB rotates Current): nothing to do.
        if (err instanceof HttpError && err.status === 404)
          this.log.debug({ url: file.url }, 'live: file vanished before download');
        else
          this.log.warn(
            { url: file.url, err: (err as Error).message },
            'live: download failed; will try again next poll',
          );
      }
    }
    const stored = files.length ? await this.intake.take(files) : [];
    // More waiting: come back soon, but only while downloads succeed (a failing file must not speed polling up).
    this.backlog = todo.length > this.o.maxPerPoll && stored.length > 0;
    return stored;
  }

  /** The source's report files, or none while it is down (its last listing would only send us to a dead host). */
  private async list(url: string): Promise<ListedFile[]> {
    const state = this.sources.get(url)!;
    state.polledAt = this.o.now();
    try {
      const headers: Record<string, string> = {};
      if (state.etag) headers['if-none-match'] = state.etag;
      if (state.lastModified) headers['if-modified-since'] = state.lastModified;
      const res = await this.request(url, headers, state.failures > 0);
      if (res.status !== 304) {
        const html = new TextDecoder().decode(await readBody(res, MAX_LISTING_BYTES, url));
        state.listed = parseListing(html, url);
        state.stamps = stampsOf(state.listed);
        state.etag = res.headers.get('etag') ?? undefined;
        state.lastModified = res.headers.get('last-modified') ?? undefined;
      }
      if (state.failures > 0) this.log.info({ url, failures: state.failures }, `live: source is back: ${url}`);
      state.failures = 0;
    } catch (err) {
      if (this.abort.signal.aborted) return [];
      state.failures++;
      if (state.failures === 1) {
        this.log.warn(
          { url, err: (err as Error).message },
          `live: source down: ${url} (${(err as Error).message}); will keep polling, backing off to ${this.o.maxDownMs / 1000} s`,
        );
      } else this.log.debug({ url, failures: state.failures, err: (err as Error).message }, 'live: source still down');
      return [];
    }
    return state.listed;
  }

  private async get(url: string): Promise<Uint8Array> {
    return readBody(await this.request(url, {}, false), this.o.maxBytes, url);
  }

  /** GET with a timeout and retries (http-get.ts); retries are logged, quietly while a source is known down. */
  private request(url: string, headers: Record<string, string>, quiet: boolean): Promise<Response> {
    return getWithRetries(url, {
      ...this.o,
      headers,
      signal: this.abort.signal,
      onRetry: (attempt, err, delayMs) =>
        this.log[quiet ? 'debug' : 'warn'](
          { url, attempt, err: err.message, delayMs },
          'live: request failed; retrying',
        ),
    });
  }
}
