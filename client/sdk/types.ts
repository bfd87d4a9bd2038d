// The SDK's public types: the socket it needs, connection states, options and its error class.
import type { ErrorCode, Meta } from '../../shared/protocol.ts';
import type { Kind, ParamsOf, ResultOf } from '../../shared/kinds.ts';
import type { BackoffOptions } from '../../shared/backoff.ts';

/** The slice of the WebSocket API used here; the browser's WebSocket and `ws`'s both fit. */
export interface SocketLike {
  binaryType: string;
  readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  /* eslint-disable @typescript-eslint/no-explicit-any -- the two implementations type their events differently */
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: any) => void) | null;
  onclose: ((ev: any) => void) | null;
  onerror: ((ev: any) => void) | null;
}
export type SocketConstructor = new (url: string) => SocketLike;

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';
export interface StateChange {
  state: ConnectionState;
  /** Failed attempts since the last successful hello. */
  attempt: number;
  /** When reconnecting: how long until the next attempt, ms. */
  delayMs?: number;
  /** Why the socket closed, when it did (close code and reason). */
  reason?: string;
}

export interface ClientOptions {
  /**
   * e.g. ws://127.0.0.1:5006/ws; in a browser, defaults to this page's host. A function is asked again before
   * every (re)connect: to move to another server, or to put a fresh token in the query string.
   */
  url?: string | (() => string);
  /** Required in Node 20: `import WebSocket from 'ws'`. Defaults to globalThis.WebSocket. */
  WebSocket?: SocketConstructor;
  backoff?: Partial<BackoffOptions>;
  /** A socket that has not opened by then is abandoned and retried, ms (default 10 s). */
  connectTimeoutMs?: number;
  /** A query without an answer by then fails with code "timeout", ms (default 30 s). */
  queryTimeoutMs?: number;
  random?: () => number;
}

export type Params<K extends Kind> = Partial<ParamsOf<K>>;
export interface Answer<K extends Kind> {
  data: ResultOf[K];
  meta: Meta;
}

/** A failed request: the server's error code, or `closed` / `timeout` from the client side. */
export class NemError extends Error {
  constructor(
    readonly code: ErrorCode | 'closed' | 'timeout',
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
