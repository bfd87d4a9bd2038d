// A live feed brings new intervals into the store; the pipeline turns each batch into pushes. One feed runs per
// deployment (with WORKERS > 1, only the elected process starts it), so feeds start and stop on their own.
// The drivers: demo.ts, watch.ts, nemweb-http.ts; feed.ts picks one from LIVE.
import type { Batch } from './intake.ts';

export interface Feed {
  /** For logs and metrics: demo, watch:/path, or the URLs polled. */
  readonly name: string;
  /** Begins feeding; calling it twice is harmless. */
  start(): void;
  /** Stops feeding and waits for a step in progress to finish. Safe to call twice. */
  stop(): Promise<void>;
}

export type OnBatch = (batch: Batch) => void | Promise<void>;
