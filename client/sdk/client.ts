// The NEM Live client: one socket, typed queries and subscriptions, automatic reconnect that resubscribes.
// Runs in the browser (native WebSocket) and in Node (pass `WebSocket` from the `ws` package): it never imports
// `ws` itself, so bundles for the browser stay dependency-free.
import { decode, encode, PROTOCOL_VERSION, WS_PATH } from '../../shared/protocol.ts';
import type { ErrorCode, HelloFrame, QueryFrame, RequestId, ServerFrame, SubFrame } from '../../shared/protocol.ts';
import type { Kind, ResultOf } from '../../shared/kinds.ts';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from '../../shared/backoff.ts';
import { Subscription, type SubscriptionHandlers } from './subscription.ts';
import {
  NemError,
  type Answer,
  type ClientOptions,
  type ConnectionState,
  type Params,
  type SocketConstructor,
  type SocketLike,
  type StateChange,
} from './types.ts';

export { Subscription, type Update, type SubscriptionHandlers } from './subscription.ts';
export * from './types.ts';

/** Server errors worth retrying later rather than giving up on a subscription. */
const TRANSIENT: ReadonlySet<string> = new Set(['overloaded', 'rate_limited', 'internal']);
const OPEN = 1;

interface PendingQuery {
  frame: QueryFrame;
  resolve: (a: Answer<Kind>) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}
type Listener = (change: StateChange) => void;

export class NemClient {
  state: ConnectionState = 'idle';
  /** The latest hello from the server (session id, watermark, kinds). */
  hello: HelloFrame | undefined;
  /** The newest data watermark seen in any frame (ISO, NEM time). */
  watermark: string | undefined;

  private readonly url: () => string;
  private readonly Socket: SocketConstructor;
  private readonly backoff: BackoffOptions;
  private readonly random: () => number;
  private socket: SocketLike | undefined;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private nextId = 1;
  private readonly queries = new Map<RequestId, PendingQuery>();
  private readonly subs = new Map<RequestId, Subscription<Kind>>();
  private readonly listeners = new Set<Listener>();
  private helloWaiters: { resolve: (h: HelloFrame) => void; reject: (e: Error) => void }[] = [];

  constructor(private readonly opts: ClientOptions = {}) {
    const Socket = opts.WebSocket ?? (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
    if (!Socket) throw new Error('no WebSocket here: pass { WebSocket } (in Node: import WebSocket from "ws")');
    this.Socket = Socket;
    const url = opts.url ?? defaultUrl();
    this.url = typeof url === 'function' ? url : () => url;
    this.backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
    this.random = opts.random ?? Math.random;
  }

  /** Opens the socket (once) and resolves with the server's hello; keeps retrying until `close()`. */
  connect(): Promise<HelloFrame> {
    if (this.state === 'closed') return Promise.reject(new NemError('closed', 'client is closed'));
    if (this.state === 'open' && this.hello) return Promise.resolve(this.hello);
    const waiting = new Promise<HelloFrame>((resolve, reject) => this.helloWaiters.push({ resolve, reject }));
    if (this.state === 'idle') this.open();
    return waiting;
  }

  /** One answer. Sent now if connected, otherwise as soon as the socket (re)opens. */
  query<K extends Kind>(kind: K, params: Params<K> = {}, opts: { timeoutMs?: number } = {}): Promise<Answer<K>> {
    if (this.state === 'closed') return Promise.reject(new NemError('closed', 'client is closed'));
    const frame: QueryFrame = { t: 'query', id: this.nextId++, kind, params: params as Record<string, unknown> };
    return new Promise<Answer<K>>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.opts.queryTimeoutMs ?? 30_000;
      const timer = setTimeout(() => {
        this.queries.delete(frame.id);
        reject(new NemError('timeout', `${kind} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.queries.set(frame.id, { frame, resolve: resolve as (a: Answer<Kind>) => void, reject, timer });
      this.ensureOpen();
      this.send(frame);
    });
  }

  /**
   * The current answer now, then a push whenever new data changes it. Iterate it with `for await`, or pass
   * `onUpdate`. Survives reconnects: the client re-sends the subscription with `since` = its last watermark.
   */
  sub<K extends Kind>(kind: K, params: Params<K> = {}, handlers: SubscriptionHandlers<K> = {}): Subscription<K> {
    if (this.state === 'closed') throw new NemError('closed', 'client is closed');
    const sub = new Subscription<K>(this.nextId++, kind, params, handlers, (s) => this.unsub(s));
    this.subs.set(sub.id, sub as unknown as Subscription<Kind>);
    this.ensureOpen();
    this.send(sub.frame());
    return sub;
  }

  /** Stops a subscription; its iterator finishes. Safe to call twice. */
  unsub(sub: Subscription<Kind> | Subscription<any>): void {
    if (!this.subs.delete(sub.id)) return;
    sub.finish();
    this.send({ t: 'unsub', id: sub.id });
  }

  /** Connection state changes: connecting, open, reconnecting (with the delay), closed. Returns an unsubscribe. */
  onState(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Closes for good: pending queries fail with `closed`, subscriptions finish. */
  close(): void {
    if (this.state === 'closed') return;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    this.setState({ state: 'closed', attempt: this.attempt });
    if (socket) {
      detach(socket);
      socket.close(1000, 'client closed');
    }
    const closed = new NemError('closed', 'client closed');
    for (const q of this.queries.values()) {
      clearTimeout(q.timer);
      q.reject(closed);
    }
    this.queries.clear();
    for (const sub of this.subs.values()) sub.finish();
    this.subs.clear();
    for (const w of this.helloWaiters.splice(0)) w.reject(closed);
  }

  private ensureOpen(): void {
    if (this.state === 'idle') this.open();
  }

  private open(): void {
    clearTimeout(this.timer);
    this.setState({ state: 'connecting', attempt: this.attempt });
    let socket: SocketLike;
    let url = '';
    try {
      url = this.url();
      socket = new this.Socket(url);
    } catch (err) {
      return this.retry(`cannot open ${url || 'the url'}: ${(err as Error).message}`);
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    const connectTimer = setTimeout(() => socket.close(), this.opts.connectTimeoutMs ?? 10_000);
    socket.onopen = () => {
      clearTimeout(connectTimer);
      // Everything outstanding goes again: queries are reads, and a re-sent sub answers with the current state.
      for (const q of this.queries.values()) this.send(q.frame);
      for (const sub of this.subs.values()) this.send(sub.frame(true));
    };
    socket.onmessage = (ev: { data: unknown }) => this.receive(ev.data);
    socket.onerror = () => {}; // the close event that follows carries the reason
    socket.onclose = (ev: { code?: number; reason?: string }) => {
      clearTimeout(connectTimer);
      if (this.socket !== socket) return;
      this.socket = undefined;
      detach(socket);
      this.retry(`closed ${ev.code ?? ''}${ev.reason ? ` ${ev.reason}` : ''}`.trim());
    };
  }

  private retry(reason: string): void {
    if (this.state === 'closed') return;
    const delayMs = backoffDelay(this.attempt, this.backoff, this.random);
    this.attempt++;
    this.setState({ state: 'reconnecting', attempt: this.attempt, delayMs, reason });
    this.timer = setTimeout(() => this.open(), delayMs);
  }

  private receive(raw: unknown): void {
    let frame: ServerFrame;
    try {
      const bytes =
        raw instanceof ArrayBuffer
          ? new Uint8Array(raw)
          : ArrayBuffer.isView(raw)
            ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
            : undefined;
      if (!bytes) throw new Error('text frame');
      frame = decode(bytes) as ServerFrame;
    } catch {
      return; // not a frame of this protocol; nothing to answer it with
    }
    if ('meta' in frame && frame.meta?.watermark) this.noteWatermark(frame.meta.watermark);
    switch (frame.t) {
      case 'hello':
        return this.onHello(frame);
      case 'result': {
        const q = this.queries.get(frame.id);
        if (q) {
          this.queries.delete(frame.id);
          clearTimeout(q.timer);
          return q.resolve({ data: frame.data as ResultOf[Kind], meta: frame.meta });
        }
        return this.subs
          .get(frame.id)
          ?.deliver({ kind: 'result', data: frame.data as ResultOf[Kind], meta: frame.meta });
      }
      case 'push': {
        const sub = this.subs.get(frame.id);
        if (!sub) return;
        if (!('delta' in frame))
          return sub.deliver({ kind: 'push', data: frame.data as ResultOf[Kind], meta: frame.meta });
        // A delta against data this subscription does not hold (or a bad one): ask for the whole answer, once.
        if (!sub.deliverDelta(frame.base, frame.delta, frame.meta) && !sub.resyncing) this.send(sub.frame(true));
        return;
      }
      case 'error':
        return this.onError(frame.id, frame.code, frame.message);
    }
  }

  private onHello(hello: HelloFrame): void {
    if (hello.v !== PROTOCOL_VERSION) {
      this.close();
      return;
    }
    this.hello = hello;
    this.noteWatermark(hello.watermark);
    this.attempt = 0;
    this.setState({ state: 'open', attempt: 0 });
    for (const w of this.helloWaiters.splice(0)) w.resolve(hello);
  }

  private onError(id: RequestId | undefined, code: ErrorCode, message: string): void {
    if (id === undefined) return;
    const q = this.queries.get(id);
    if (q) {
      this.queries.delete(id);
      clearTimeout(q.timer);
      return q.reject(new NemError(code, message));
    }
    const sub = this.subs.get(id);
    if (!sub) return;
    if (TRANSIENT.has(code)) {
      // The server is busy, not saying no: ask again later (the subscription stays registered).
      const delayMs = backoffDelay(sub.retries++, this.backoff, this.random);
      setTimeout(() => this.subs.get(id) === sub && this.send(sub.frame(true)), delayMs);
      return;
    }
    this.subs.delete(id);
    sub.fail(new NemError(code, message));
  }

  private noteWatermark(wm: string): void {
    // ISO strings with the same +10:00 offset sort as time does.
    if (!this.watermark || wm > this.watermark) this.watermark = wm;
  }

  private send(frame: QueryFrame | SubFrame | { t: 'unsub'; id: RequestId }): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== OPEN) return; // sent on open instead
    socket.send(encode(frame));
  }

  private setState(change: StateChange): void {
    this.state = change.state;
    for (const l of this.listeners) l(change);
  }
}

function detach(socket: SocketLike): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => {};
}

function defaultUrl(): string {
  const loc = (globalThis as { location?: { protocol: string; host: string } }).location;
  if (!loc) throw new Error('no url given: pass { url: "ws://host:port/ws" }');
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${WS_PATH}`;
}
