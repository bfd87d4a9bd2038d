// What the supervisor and its worker processes say to each other over the IPC channel (advanced serialisation,
// so answer bytes travel as binary). One union per direction; `t` names the message.
import type { Kind, ParamsOf } from '../../shared/kinds.ts';
import type { AlertEvent } from '../../shared/kinds/alerts.ts';
import type { RingState } from '../alerts/event-ring.ts';
import { ERROR_CODES, type CacheTier, type ErrorCode, type FeedInfo } from '../../shared/protocol.ts';
import type { Marks } from '../answer.ts';
import { WireError } from '../errors.ts';
import type { StoreState } from '../store-health.ts';
import type { SourceMarks } from '../live/sources.ts';

/** The data state a worker keys its cache by; the supervisor's market is the source of truth. */
export type { Marks };

export interface WorkerInit {
  t: 'init';
  seat: number;
  /** The port to listen on (the first worker's actual port when PORT=0). */
  port: number;
  /** This worker's share of MAX_SESSIONS and LRU_MB. */
  maxSessions: number;
  lruMb: number;
  workers: number;
  marks: Marks;
  feed: FeedInfo;
  /** The supervisor's alert events held for replay; later ones follow as `alerts` messages. */
  alerts: RingState;
}

export type AnswerReply =
  | { t: 'answer'; id: number; ok: true; bytes: Uint8Array; tier: CacheTier; watermark: number; generation: string }
  | { t: 'answer'; id: number; ok: false; code: ErrorCode; message: string };

export type ToWorker =
  | WorkerInit
  | ({ t: 'advance'; seq: number } & Marks)
  /** Push every subscribed question at these (the next interval's) marks before the advance that follows. */
  | ({ t: 'ahead'; seq: number } & Marks)
  | AnswerReply
  /** Send your metrics as JSON (for the combined /metrics). */
  | { t: 'collect'; id: number }
  /** The combined /metrics text this worker asked for. */
  | { t: 'metrics'; id: number; text: string }
  /** Sessions across all workers, for /healthz. */
  | { t: 'totals'; sessions: number; workers: number }
  /** The store's health (the supervisor owns it), for /healthz: sent when it changes and to each worker once ready. */
  | { t: 'store'; state: StoreState }
  /**
   * With AEMO data live: each source's newest interval, for /healthz (the supervisor's feed owns them; the worker
   * measures the lags on its own clock, so a stalled source turns late without a message). Sent when they change.
   */
  | { t: 'sources'; marks: SourceMarks }
  /** Alert events just stored (the supervisor derives them): pushed to this worker's `alerts` subscribers. */
  | { t: 'alerts'; events: AlertEvent[] }
  /** Heartbeat: answer `pong` at once (workers.ts kills a worker that stays silent). */
  | { t: 'ping' }
  /** Stop accepting, close sockets with 1001, exit 0. */
  | { t: 'drain' };

export type FromWorker =
  | { t: 'ready'; port: number }
  /** Could not start (e.g. the port is taken); the supervisor gives up instead of retrying at once. */
  | { t: 'failed'; message: string }
  /**
   * A cache miss; `at`: answer at these marks (a push ahead of the market), not the supervisor's current ones;
   * `owner`: the asking socket's session id (absent for the worker's own pushes), its turn at the supervisor's gate.
   */
  | { t: 'ask'; id: number; kind: Kind; params: ParamsOf<Kind>; at?: Marks; owner?: string }
  /** The socket `owner` (a session id) is gone: its questions still waiting at the supervisor are dropped. */
  | { t: 'gone'; owner: string }
  /** The push cycle for advance (or ahead) `seq` has been written to the sockets. */
  | { t: 'pushed'; seq: number; groups: number }
  | { t: 'collected'; id: number; json: unknown[] }
  | { t: 'metrics?'; id: number }
  /** The answer to `ping`: this worker's event loop runs. */
  | { t: 'pong' }
  | { t: 'load'; sessions: number };

/** The error a failed answer carries back to the worker, mapped by the router as if thrown locally. */
export function errorFromReply(r: { code: string; message: string }): Error {
  if (r.code !== 'internal' && (ERROR_CODES as readonly string[]).includes(r.code))
    return new WireError(r.code as ErrorCode, r.message);
  return new Error(`supervisor: ${r.message}`);
}
