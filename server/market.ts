// The state of the data the server answers from: the watermark (latest interval end in the store) and the first
// interval. Cache keys and relative ranges follow it. The live feed calls advance() after each stored batch;
// listeners (pushes, hot refresh) run then. A store with no prices yet has no watermark (0): never the wall clock,
// which older data arriving later could not move back.
import { toNemIso } from '../shared/nem.ts';
import { type RevisedSpan, revisionId, withRevision } from './cache/generation.ts';

export interface AdvanceEvent {
  watermark: number;
  /** 0 when the store held no data before. */
  previous: number;
  /**
   * Past intervals changed without the watermark moving (late or revised data): answers at this watermark are stale.
   */
  revised: boolean;
}
export type AdvanceListener = (event: AdvanceEvent) => void;

/** ISO NEM time as the wire carries a watermark, or '' before the store holds any data: never 1970. */
export const wireWatermark = (ts: number): string => (ts > 0 ? toNemIso(ts) : '');

export class Market {
  private wm: number;
  private first: number;
  /**
   * The store's generation (server/store/version.ts) or one a supervisor announced, with the revisions seen in this
   * process since (cache/generation.ts: each names the intervals it rewrote, so a key elsewhere keeps its answers).
   */
  private gen: string;
  private changes = 0;
  /** The last revision id reserveRevision handed out: no revision named after it takes it (or one below). */
  private reserved = 0;
  private readonly listeners = new Set<AdvanceListener>();

  /** `watermark` 0 (the default): the store holds no prices yet, and the first advance sets both marks. */
  constructor(watermark = 0, firstTs = 0, generation = '') {
    this.wm = watermark;
    this.first = firstTs;
    this.gen = generation;
  }

  get watermark(): number {
    return this.wm;
  }
  get firstTs(): number {
    return this.first;
  }
  get hasData(): boolean {
    return this.wm > 0;
  }
  /** ISO-8601 NEM time of the watermark, as the wire carries it; '' while there is no data. */
  get iso(): string {
    return wireWatermark(this.wm);
  }
  /** Counts every change (new watermark or revision): an answer computed at an older version may be stale. */
  get version(): number {
    return this.changes;
  }
  /**
   * Names the store's contents beyond the watermark; changes when past data is revised (a cache-key part, which
   * cache/generation.ts narrows to the revisions a key's window meets). It starts from the store's own
   * `store_id.data_version`, so keys differ across rebuilt stores and offline revisions.
   */
  get generation(): string {
    return this.gen;
  }

  /**
   * Records newly stored data. Returns whether anything changed: a watermark that does not move forward is ignored
   * unless `revised` says older intervals were rewritten; `span` the intervals the revision rewrote (absent: it may
   * have changed any answer, as a new emission factor does).
   */
  advance(
    watermark: number,
    opts: { firstTs?: number; revised?: boolean; span?: RevisedSpan; generation?: string } = {},
  ): boolean {
    if (!Number.isInteger(watermark)) throw new TypeError(`watermark must be whole epoch seconds, got ${watermark}`);
    const moved = watermark > this.wm;
    // A generation given from outside (a cluster worker following its supervisor) replaces ours: a revision.
    const regenerated = opts.generation !== undefined && opts.generation !== this.generation;
    const revised = opts.revised === true || regenerated;
    if (!moved && !revised) return false;
    const previous = this.wm;
    if (moved) this.wm = watermark;
    if (regenerated) this.gen = opts.generation!;
    else if (revised) this.gen = withRevision(this.gen, opts.span, this.reserved);
    this.changes++;
    if (moved && previous <= 0) this.first = opts.firstTs ?? watermark;
    else if (opts.firstTs !== undefined && opts.firstTs < this.first) this.first = opts.firstTs;
    const event: AdvanceEvent = { watermark: this.wm, previous, revised };
    for (const fn of [...this.listeners]) fn(event);
    return true;
  }

  /**
   * The generation a revision of `span` is to be named, for answers computed at it before it is (the pipeline's
   * stage), passed to advance() as `generation` if the market is still at this one then. Its id is taken: a key part
   * is only the id of the latest revision a key meets, so another revision named meanwhile with the same id would
   * serve the staged answers, computed without its rows, as its own.
   */
  reserveRevision(span?: RevisedSpan): string {
    const next = withRevision(this.gen, span, this.reserved);
    this.reserved = revisionId(next);
    return next;
  }

  /** Returns the function that removes the listener. */
  onAdvance(fn: AdvanceListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}
