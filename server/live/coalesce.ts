// Batches that arrive one after another (a backfill through the admin ingest: a file every few seconds, each under the
// watermark, so each a revision that retires every cached answer) are told to the pipeline as one: once they stop
// coming (quietMs after the last, with no file being ingested: a month's SCADA takes longer than quietMs) or maxMs
// after the first, whichever is sooner. Meanwhile the cache goes on serving the answers it has; their rows are stored
// already, and answers catch up at the advance.
import { widen } from '../store/window.ts';
import type { Batch } from './intake.ts';

export class Coalescer {
  private pending: Batch | undefined;
  private firstAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /** Ingests under way (begin() without its end yet). */
  private active = 0;

  constructor(
    private readonly tell: (batch: Batch) => Promise<void>,
    private readonly quietMs = 5000,
    private readonly maxMs = 60_000,
  ) {}

  add(batch: Batch): void {
    const p = this.pending;
    if (!p) this.firstAt = performance.now();
    this.pending = p
      ? {
          ...batch,
          files: [...p.files, ...batch.files],
          rows: sumRows(p.rows, batch.rows),
          window: p.window && batch.window ? widen(p.window, batch.window) : (p.window ?? batch.window),
        }
      : batch;
    this.schedule();
  }

  /** An ingest starts whose batch may follow: no quiet period ends before the returned function is called. */
  begin(): () => void {
    this.active++;
    this.schedule();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.active--;
      this.schedule();
    };
  }

  private schedule(): void {
    clearTimeout(this.timer);
    if (!this.pending) return;
    const left = this.firstAt + this.maxMs - performance.now();
    const wait = this.active > 0 ? left : Math.min(this.quietMs, left);
    this.timer = setTimeout(() => void this.flush(), Math.max(0, wait));
  }

  /** Drops what is pending (shutdown: the next start reads the store's marks anyway); resolves once a telling ends. */
  cancel(): Promise<void> {
    clearTimeout(this.timer);
    this.pending = undefined;
    return this.flushing;
  }

  private flush(): Promise<void> {
    clearTimeout(this.timer);
    const batch = this.pending;
    this.pending = undefined;
    if (batch) this.flushing = this.flushing.then(() => this.tell(batch));
    return this.flushing;
  }
}

function sumRows(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [t, n] of Object.entries(b)) out[t] = (out[t] ?? 0) + n;
  return out;
}
