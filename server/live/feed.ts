// A live feed brings new intervals into the store; the pipeline turns each batch into pushes. One feed runs per
// deployment (with WORKERS > 1, only the elected process starts it), so feeds start and stop on their own.
import type { Logger } from 'pino';
import type { Batch } from './intake.ts';

export interface Feed {
  /** For logs and metrics: demo, watch:/path, or the URLs polled. */
  readonly name: string;
  /** Begins feeding; calling it twice is harmless. */
  start(): void;
  /** Stops feeding and waits for a step in progress to finish. Safe to call twice. */
  stop(): Promise<void>;
}

export type { Batch } from './intake.ts';
export type OnBatch = (batch: Batch) => void | Promise<void>;

export interface FeedOptions {
  /** `demo`, `off`, `watch:/path`, or comma-separated http(s) URLs (server/config.ts has checked it). */
  live: string;
  replaySeconds: number;
  log: Logger;
}

export type FeedKind = 'off' | 'demo' | 'watch' | 'http';

/** Which driver a LIVE value selects, with its argument. */
export function parseLive(live: string): { kind: FeedKind; dir?: string; urls?: string[] } {
  if (live === 'off') return { kind: 'off' };
  if (live === 'demo') return { kind: 'demo' };
  if (live.startsWith('watch:')) return { kind: 'watch', dir: live.slice('watch:'.length) };
  const urls = live.split(',').map((s) => s.trim()).filter(Boolean);
  if (urls.length > 0 && urls.every((u) => /^https?:\/\//.test(u))) return { kind: 'http', urls };
  throw new Error(`LIVE=${JSON.stringify(live)} must be demo, off, watch:/path or http(s) URLs`);
}
