// The answer path, one function: (kind, canonical params) at the current watermark → the msgpack bytes of the
// `data` payload, from the cache (LRU → LMDB) or computed once (admitted per asker → single flight → fair, bounded
// gate → catalogue → encode) and stored. Bytes, not objects, cross it: what is cached is what is sent. A tab is
// composed from its panels' answers (each through this same path, so panels shared by several tabs are computed once)
// by splicing their bytes into the tab's map.
import { UNCACHED, type Kind, type ParamsOf } from '../shared/kinds.ts';
import { encode, encodeFrameWithData, type CacheTier, type RequestId } from '../shared/protocol.ts';
import type { AnswerPath, Marks } from './answer-path.ts';
import { makeKey, type CacheKey } from './cache/key.ts';
import type { TieredCache } from './cache/tiered.ts';
import { accumulate, accumulates, advanceable, advanceAnswer, MAX_BACK, States } from './advance.ts';
import { runQuery } from './catalogue/index.ts';
import type { QueryContext } from './catalogue/handler.ts';
import { tabPanels, type Panel } from './catalogue/tabs.ts';
import { overloaded, SessionClosedError } from './errors.ts';
import { Flight } from './flight.ts';
import type { ConnHolder } from './conn-holder.ts';
import type { Gate } from './fair-gate.ts';
import { wireWatermark, type Market } from './market.ts';
import { INTERVAL_S } from '../shared/nem.ts';
import { metrics } from './metrics.ts';

export type { Marks } from './answer-path.ts';

export interface Answer {
  dataBytes: Uint8Array;
  tier: CacheTier;
  /** Server time spent on this answer. */
  ms: number;
  /** The watermark the answer was computed at. */
  watermark: number;
  /** Market.version it was computed at: older than the market's means newer data has arrived since. */
  version: number;
}

/** The market as one answer sees it: read once, so every panel of a tab comes from the same data. */
interface State {
  watermark: number;
  firstTs: number;
  version: number;
  generation: string;
}

export class Answerer {
  private readonly flight: Flight<Uint8Array>;
  /**
   * The two refusals, made once: a flood is refused thousands of times a second, and a new Error each time (its
   * stack captured) was ~7% of the event loop under the cache-busting attack (bench/attack.ts, measured --cpu-prof).
   */
  private readonly socketFull: Error;
  protected readonly queueFull = overloaded('too many queries are waiting; try again shortly');
  /** Tabs being composed (no connection of their own: their panels borrow one each). */
  private readonly composing = new Map<string, Promise<{ bytes: Uint8Array; tier: CacheTier }>>();
  /** The states accumulating kinds' answers are made from (server/advance.ts accumulate). */
  private readonly states = new States();

  constructor(
    private readonly market: Market,
    readonly cache: TieredCache | undefined,
    private readonly gate: Gate,
    /** `advance: false` recomputes every answer in full (ADVANCE=0, the baseline): see server/advance.ts. */
    private readonly opts: { advance?: boolean } = {},
  ) {
    this.flight = new Flight(gate);
    this.socketFull = overloaded(
      `this socket already has ${gate.perOwner} uncached questions in progress; try again once some are answered`,
    );
  }

  /** This answerer as warmup and hot refresh use it, computing misses on `pool`; undefined without a cache. */
  path(pool: ConnHolder): AnswerPath | undefined {
    const cache = this.cache;
    if (!cache) return undefined;
    return {
      cache,
      keyFor: (kind, params, at) => this.keyFor(kind, params, at),
      answer: async (kind, params, at) => {
        const a = await this.answer(kind, params, pool, at);
        return { dataBytes: a.dataBytes, tier: a.tier, ms: a.ms };
      },
    };
  }

  /** The cache a kind's answers go through: none for a kind never cached (its contract says why). */
  protected cacheFor(kind: Kind): TieredCache | undefined {
    return UNCACHED.has(kind) ? undefined : this.cache;
  }

  /** The cache key `answer` uses right now (or at `at`). */
  keyFor<K extends Kind>(kind: K, params: ParamsOf<K>, at?: Marks): CacheKey<K> {
    return keyAt(kind, params, at ?? this.market);
  }

  /**
   * `helpers` lend a connection when the answer has to be computed (the asking session first). `at` answers at
   * other marks than the market's (the answer's version is then the market's current one, which only pushes read).
   */
  answer<K extends Kind>(
    kind: K,
    params: ParamsOf<K>,
    helpers: ConnHolder | readonly ConnHolder[],
    at?: Marks,
  ): Promise<Answer> {
    const { watermark, firstTs, generation } = at ?? this.market;
    return this.answerAt({ watermark, firstTs, version: this.market.version, generation }, kind, params, helpers);
  }

  /**
   * `question`: this is a panel of a question already admitted (a tab), so it is not counted again against its
   * asker's cap (a tab is one question, whatever its panels), and the gate finishes a started tab first.
   */
  private async answerAt<K extends Kind>(
    s: State,
    kind: K,
    params: ParamsOf<K>,
    helpers: ConnHolder | readonly ConnHolder[],
    question?: object,
  ): Promise<Answer> {
    const t0 = performance.now();
    const key = keyAt(kind, params, s);
    const done = (dataBytes: Uint8Array, tier: CacheTier): Answer => ({
      dataBytes,
      tier,
      ms: performance.now() - t0,
      watermark: s.watermark,
      version: s.version,
    });
    const cache = this.cacheFor(kind);
    // A client's own question makes it hot; a tab's panels and the app's work (pushes, warmup, refresh) do not.
    const hit = cache?.get(key, !question && !isBackground(helpers));
    if (hit) return done(hit.bytes, hit.tier);
    const release = question ? undefined : this.admit(helpers);
    try {
      const panels = tabPanels(kind, params);
      if (panels) {
        const c = await this.compose(s, key, panels, helpers);
        return done(c.bytes, c.tier);
      }
      const dataBytes = await this.flight.run(
        key.text,
        helpers,
        async (conn) => {
          const q0 = performance.now();
          const ctx = { conn, watermark: s.watermark, firstTs: s.firstTs };
          const data = (await this.advanced(ctx, s, kind, params)) ?? (await runQuery(ctx, kind, params));
          metrics.queryDuration.observe({ kind }, (performance.now() - q0) / 1000);
          // A copy: msgpackr's result is a view into its shared, reused buffer.
          const bytes = new Uint8Array(encode(data));
          void cache?.set(key, bytes);
          return bytes;
        },
        question,
      );
      return done(dataBytes, 'db');
    } finally {
      release?.();
    }
  }

  /**
   * The answer advanced from one cached at an earlier watermark of the same key generation (server/advance.ts), or
   * undefined: not an advanceable question, nothing cached within MAX_BACK intervals, or the answers do not line up.
   */
  private async advanced<K extends Kind>(ctx: QueryContext, s: State, kind: K, params: ParamsOf<K>): Promise<unknown> {
    const cache = this.cache;
    if (!cache || this.opts.advance === false) return undefined;
    if (accumulates(kind)) {
      const keyOf = (watermark: number) => keyAt(kind, params, { ...s, watermark }).text;
      const got = await accumulate(ctx, kind, params, this.states, keyOf);
      if (got?.advanced) cache.stats.advanced++;
      return got?.data;
    }
    if (!advanceable(kind, params)) return undefined;
    for (let back = 1; back <= MAX_BACK; back++) {
      const watermark = s.watermark - back * INTERVAL_S;
      if (watermark < s.firstTs) return undefined;
      const prior = cache.peek(keyAt(kind, params, { ...s, watermark }));
      if (!prior) continue;
      // Whatever goes wrong splicing (an entry of another shape), the full computation still answers.
      const data = await advanceAnswer(ctx, kind, params, { watermark, bytes: prior.bytes }).catch(() => undefined);
      if (data !== undefined) cache.stats.advanced++;
      return data;
    }
    return undefined;
  }

  /**
   * Admits an uncached question, or refuses it (`overloaded`) when its asker (the first helper) has too many in
   * progress or too many queries wait server-wide. App work (a background helper) is never refused. Protected so a
   * cluster worker's answerer (server/cluster/remote-answerer.ts, which asks the supervisor) can admit the same way.
   */
  protected admit(helpers: ConnHolder | readonly ConnHolder[]): () => void {
    const all = Array.isArray(helpers) ? helpers : [helpers as ConnHolder];
    if (all.length === 0 || all.some((h) => h.background)) return () => {};
    const release = this.gate.open(all[0]);
    if (!release) throw this.socketFull;
    if (!this.gate.full) return release;
    release();
    throw this.queueFull;
  }

  /**
   * A tab from its panels' answers, asked all at once (the gate bounds how many compute together), at the same
   * market state. It takes no gate slot itself, so it can never wait on its own panels. Single flight by key: a
   * joiner whose leader's session closed mid-way (its panel queries interrupted) composes again with its own
   * connection, as Flight hands a query on; otherwise the joiner's request would go unanswered. A joiner also lends
   * its connection to the panels still waiting, so they run at its turn too (fair-gate.ts): a tab queued deep in one
   * socket's backlog is not a long wait for another socket asking the same tab.
   */
  private compose(
    s: State,
    key: CacheKey,
    panels: Panel[],
    helpers: ConnHolder | readonly ConnHolder[],
  ): Promise<{ bytes: Uint8Array; tier: CacheTier }> {
    const running = this.composing.get(key.text);
    if (running) {
      metrics.coalesced.inc();
      // Lend this socket's connection to the panels still in flight (the leader started them all at once); the tab's
      // own answer comes from `running`.
      const own = Array.isArray(helpers) ? helpers : [helpers as ConnHolder];
      for (const p of panels) this.flight.join(keyAt(p.kind, p.params, s).text, own);
      return running.catch((err: unknown) => {
        if (err instanceof SessionClosedError && own.some((h) => !h.closed))
          return this.compose(s, key, panels, helpers);
        throw err;
      });
    }
    const work = (async () => {
      const q0 = performance.now();
      const tab = {};
      const answers = await Promise.all(panels.map((p) => this.answerAt(s, p.kind, p.params, helpers, tab)));
      const bytes = panelsBytes(
        panels.map((p) => p.name),
        answers.map((a) => a.dataBytes),
      );
      metrics.queryDuration.observe({ kind: key.kind }, (performance.now() - q0) / 1000);
      void this.cache?.set(key, bytes);
      const tier: CacheTier = answers.some((a) => a.tier === 'db')
        ? 'db'
        : answers.some((a) => a.tier === 'lmdb')
          ? 'lmdb'
          : 'lru';
      return { bytes, tier };
    })();
    this.composing.set(key.text, work);
    const release = () => {
      if (this.composing.get(key.text) === work) this.composing.delete(key.text);
    };
    work.then(release, release);
    return work;
  }
}

/** The key of a question answered at marks `m`. */
function keyAt<K extends Kind>(
  kind: K,
  params: ParamsOf<K>,
  m: { watermark: number; firstTs: number; generation: string },
): CacheKey<K> {
  return makeKey(kind, params, m.watermark, { generation: m.generation, firstTs: m.firstTs });
}

function isBackground(helpers: ConnHolder | readonly ConnHolder[]): boolean {
  return Array.isArray(helpers)
    ? helpers.length === 0 || helpers.every((h) => h.background)
    : (helpers as ConnHolder).background === true;
}

const PANELS_KEY = new Uint8Array(encode('panels'));

/**
 * `{panels: {name: data, ...}}` from each panel's encoded data, byte for byte what `encode` gives for the decoded
 * object (msgpackr writes every map with a map16 header), so a composed tab and a computed one are the same bytes.
 */
export function panelsBytes(names: readonly string[], data: readonly Uint8Array[]): Uint8Array {
  const keys = names.map((n) => new Uint8Array(encode(n)));
  let size = 3 + PANELS_KEY.length + 3;
  for (let i = 0; i < names.length; i++) size += keys[i].length + data[i].length;
  const out = new Uint8Array(size);
  out.set([0xde, 0, 1], 0);
  out.set(PANELS_KEY, 3);
  let at = 3 + PANELS_KEY.length;
  out.set([0xde, names.length >> 8, names.length & 0xff], at);
  at += 3;
  for (let i = 0; i < names.length; i++) {
    out.set(keys[i], at);
    at += keys[i].length;
    out.set(data[i], at);
    at += data[i].length;
  }
  return out;
}

/** A result or push frame: the small fields encoded here, the cached data bytes appended as they are. */
export function answerFrame(
  t: 'result' | 'push',
  id: RequestId,
  kind: Kind,
  answer: Answer,
  into?: Uint8Array,
): Uint8Array {
  return encodeFrameWithData({ t, id, kind, meta: answerMeta(answer) }, answer.dataBytes, into);
}

/** A frame's `meta` for an answer. */
export function answerMeta(answer: Answer): { cache: CacheTier; ms: number; watermark: string } {
  return { cache: answer.tier, ms: Math.round(answer.ms * 1000) / 1000, watermark: wireWatermark(answer.watermark) };
}

/** Answers larger than this get a buffer of their own rather than growing the scratch one. */
const SCRATCH_MAX = 4 << 20;
let scratch = new Uint8Array(64 << 10);

/**
 * A frame for one send that happens before anything else runs: a view into one reusable buffer, valid until the next
 * call (uWS copies whatever the socket cannot take at once). A new buffer per answer, at hundreds of 50 KB answers a
 * second, made V8 run a full collection for the external memory about once a second (3–8 ms pauses, most of the
 * cached round trip's p99; measured with --trace-gc).
 */
export function sentNowFrame(t: 'result' | 'push', id: RequestId, kind: Kind, answer: Answer): Uint8Array {
  const need = answer.dataBytes.length + 512; // the head is a few dozen bytes; a longer one just allocates
  if (need > scratch.length && need <= SCRATCH_MAX)
    scratch = new Uint8Array(Math.min(SCRATCH_MAX, 2 ** Math.ceil(Math.log2(need))));
  return answerFrame(t, id, kind, answer, scratch);
}
