// One polite GET for NEMWEB: a timeout per try, retries with exponential backoff and jitter on 5xx, 429, timeouts and
// network errors; a 4xx fails at once. Used by the live poller (nemweb-http.ts) and the history backfill.
import { backoffDelay } from '../../shared/backoff.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

const USER_AGENT = 'nem-live (self-hosted NEM dashboard; polls politely)';

export interface GetOptions {
  timeoutMs: number;
  /** Extra tries after a failed one. */
  retries: number;
  /** First retry delay, ms, doubling. */
  retryBaseMs: number;
  fetch: typeof fetch;
  /** Aborts the request and any wait between tries. */
  signal: AbortSignal;
  headers?: Record<string, string>;
  /** The timeout bounds only the wait for the response's headers: the caller bounds reading the body. */
  headersTimeoutOnly?: boolean;
  /** Told of each failed try that will be retried. */
  onRetry?: (attempt: number, err: Error, delayMs: number) => void;
}

/** The response (ok or 304), or the last try's error in plain words. */
export async function getWithRetries(url: string, o: GetOptions): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    try {
      const timeout = o.headersTimeoutOnly ? new AbortController() : undefined;
      const timer = timeout && setTimeout(() => timeout.abort(timedOut()), o.timeoutMs);
      const signal = AbortSignal.any([o.signal, timeout?.signal ?? AbortSignal.timeout(o.timeoutMs)]);
      const res = await o
        .fetch(url, { headers: { 'user-agent': USER_AGENT, ...o.headers }, signal })
        .finally(() => clearTimeout(timer));
      if (res.ok || res.status === 304) return res;
      await res.body?.cancel();
      throw new HttpError(res.status, url);
    } catch (err) {
      const retriable = !(err instanceof HttpError) || err.status >= 500 || err.status === 429;
      if (!retriable || attempt >= o.retries || o.signal.aborted) throw describe(err as Error, o.timeoutMs);
      const delayMs = backoffDelay(attempt, { initialMs: o.retryBaseMs, maxMs: 30_000, factor: 2, jitter: 0.5 });
      o.onRetry?.(attempt + 1, describe(err as Error, o.timeoutMs), delayMs);
      await sleep(delayMs, o.signal);
    }
  }
}

const timedOut = () => new DOMException('The operation timed out', 'TimeoutError');

function describe(err: Error, timeoutMs: number): Error {
  if (err.name === 'TimeoutError') return new Error(`timed out after ${timeoutMs} ms`);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  if (err.message === 'fetch failed' && cause) return new Error(`fetch failed: ${cause.code ?? cause.message}`);
  return err;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Listings are small (NEMWEB's biggest, a Current folder of ~3,000 files, is under 1 MB): bound what one may take. */
export const MAX_LISTING_BYTES = 32 * 1024 * 1024;

/**
 * A response's body, read chunk by chunk: one without a length (or longer than it says) fails once past `maxBytes`,
 * instead of being buffered until the timeout. Leaving the loop cancels the body (the connection is dropped).
 */
export async function readBody(res: Response, maxBytes: number, url: string): Promise<Uint8Array> {
  const length = Number(res.headers.get('content-length') ?? 0);
  if (length > maxBytes) {
    await res.body?.cancel();
    throw new Error(`${url} is ${length} bytes, over the ${maxBytes} limit`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      size += chunk.length;
      if (size > maxBytes) throw new Error(`${url} is over the ${maxBytes} byte limit`);
      chunks.push(chunk);
    }
  }
  return Buffer.concat(chunks, size);
}
