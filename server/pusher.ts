// Subscriptions and pushes. Subscribers of one question (kind + canonical params) form a group; each group is
// recomputed once per new watermark and, as soon as its answer is ready and differs from the last one sent, one frame
// per client id is written into each of its sockets (server/fanout.ts: one buffer per frame, one send per socket). A
// socket that has fallen behind is skipped (counted) and gets the latest state when it drains. Pushes may run ahead of
// the market: the live pipeline starts pushing a new interval first, and advances what requests see within a budget
// whether or not the push run has finished (server/live/pipeline.ts).
// A run's work is bounded: PUSH_SLOTS groups at a time (so requests queue behind a few push queries, not thousands),
// the most watched first, a group is skipped when its turn comes and nobody live watches it any more, and a run for
// newer marks supersedes the one still running (its remaining groups get the newer answer instead).
// Subscriptions that apply deltas get `{base, delta}` instead of the data when the answer last written to their
// socket is the group's previous one (a tab's push shrinks from ~29 KB to ~1.5 KB); anything else gets it in full.
import { diff, type Delta } from '../shared/delta.ts';
import type { Kind, ParamsOf } from '../shared/kinds.ts';
import { INTERVAL_S } from '../shared/nem.ts';
import { once } from '../shared/once.ts';
import { decode, encode, type RequestId } from '../shared/protocol.ts';
import { answerFrame, answerMeta, sentNowFrame, type Answer, type Answerer, type Marks } from './answer.ts';
import { logFailure } from './errors.ts';
import { Fanout, type Plan } from './fanout.ts';
import type { ConnHolder } from './conn-holder.ts';
import type { Logger } from './log.ts';
import { wireWatermark, type Market } from './market.ts';
import { metrics } from './metrics.ts';
import type { Session } from './session.ts';

/** What a push run did, per group pushed, in ms from the run's start (benchmarks print it), and what it left out. */
export interface CycleReport {
  /** The watermark the run computed at. */
  watermark: number;
  /** Groups it took up: captured at its start. */
  planned: number;
  /**
   * Answers it computed or looked up; not listed in `groups` when unchanged, when their subscribers left meanwhile, or
   * when a newer run superseded this one meanwhile.
   */
  computed: number;
  /** Groups passed over when their turn came: no live subscriber left. */
  dropped: number;
  /**
   * Groups not taken because a run for newer marks superseded this one (computed + dropped + failed + this = planned,
   * once the ones it was computing when superseded have finished).
   */
  superseded: number;
  /** Groups whose answer failed (their subscribers keep the last state). */
  failed: number;
  /**
   * readyMs: answer ready; sentMs: its last socket written (both from the cycle's start); sendMs: time spent writing;
   * bytes: the answer's data; deltaBytes: its delta's (0: none made); written: frame bytes written into all sockets;
   * deltas: sockets that got the delta.
   */
  groups: {
    kind: Kind;
    readyMs: number;
    sentMs: number;
    sendMs: number;
    bytes: number;
    deltaBytes: number;
    written: number;
    sockets: number;
    deltas: number;
  }[];
  totalMs: number;
}

export interface Subscription {
  id: RequestId;
  /** The id as a map key: 1 and "1" are different ids. */
  idKey: string;
  kind: Kind;
  params: ParamsOf<Kind>;
  /** The question without the watermark (kind + canonical params): subscribers of one query share a group. */
  query: string;
  /** Push group key: one per (query, client id), so one push buffer serves every socket that used the same id. */
  topic: string;
  /** Subscribed to its topic (false until the first result is sent, and while the socket is behind). */
  live: boolean;
  /** The client applies push deltas (it sent `delta: true`). */
  delta: boolean;
  /**
   * For a delta subscription: the answer last written to this socket for it (first result, push or catch-up), so a
   * delta goes only where its base is known to be held; undefined until one was written.
   */
  held: Answer | undefined;
}

/** The sockets that subscribed to one question under one client id: they all get the same frame. */
interface Topic {
  id: RequestId;
  idKey: string;
  /** Subscriptions using it, live or not yet. */
  subs: number;
  /** Sessions whose subscription has had its first result (pushes go to these), with that subscription. */
  live: Map<Session, Subscription>;
  /** How many of the live ones apply deltas. */
  deltas: number;
}

interface Group {
  kind: Kind;
  params: ParamsOf<Kind>;
  topics: Map<string, Topic>;
  /** The answer last sent to the group: a recomputed one that equals it is not pushed, an older one is dropped. */
  last: Answer | undefined;
  /**
   * The newest answer a push run fanned out: every socket live when that run started gets it, so a catch-up computed
   * before it (older) must not follow it.
   */
  pushed?: Answer;
}

export interface PusherOptions {
  market: Market;
  answerer: Answerer;
  /** Connections for recomputing groups (no session asked for a push). */
  pool: ConnHolder;
  /** Bytes buffered for a socket beyond which it is skipped for pushes; it resumes below half of it. */
  behindBytes: number;
  log: Logger;
}

const NONE: ReadonlyMap<string, Subscription> = new Map();

/** Groups computed and pushed at once by a run: a few, so requests at the gate wait behind a few push queries. */
export const PUSH_SLOTS = 4;
/** Longest stretch a run works without letting the event loop turn (cached answers resolve without one). */
const YIELD_EVERY_MS = 1;

/** One pass over the groups at one set of marks. */
interface Run {
  at: Marks;
  report: CycleReport;
  t0: number;
  /** Groups taken so far. */
  next: number;
  /** A run for newer marks has started: this one takes no more groups and pushes nothing more. */
  superseded: boolean;
  /** Resolves `done` (once). */
  finish: () => void;
  done: Promise<CycleReport>;
}

/**
 * The one owner of subscriptions: the router asks it to add and remove them, a socket's eviction drops them all, and
 * every push is fanned out from here (refresh → pushTopic → server/fanout.ts). Keeping a session's subscriptions and
 * the groups they belong to in one object means they cannot disagree.
 */
export class Pusher {
  private readonly groups = new Map<string, Group>();
  /** Each session's subscriptions by id key. */
  private readonly bySession = new Map<Session, Map<string, Subscription>>();
  private readonly fanout: Fanout;
  /** The run in progress. */
  private run: Run | undefined;
  /** The last run that went through every group: a push at the same marks has nothing left to do. */
  private completed: Run | undefined;
  /** The next interval's marks while pushes run ahead of the market (see pushAhead). */
  private ahead: Marks | undefined;
  /** What the last finished run did. */
  lastCycle: CycleReport | undefined;

  constructor(private readonly o: PusherOptions) {
    this.fanout = new Fanout(o.behindBytes);
  }

  /** Subscriptions across sessions. */
  get count(): number {
    let n = 0;
    for (const g of this.groups.values()) for (const t of g.topics.values()) n += t.subs;
    return n;
  }
  get groupCount(): number {
    return this.groups.size;
  }
  /** What the run in progress has done so far (undefined when none is running). */
  get running(): CycleReport | undefined {
    return this.run?.report;
  }

  /** A session's subscriptions by id key (read-only: add, remove and dropSession change them). */
  subscriptionsOf(session: Session): ReadonlyMap<string, Subscription> {
    return this.bySession.get(session) ?? NONE;
  }

  /** The session's subscription under a client id key, if any. */
  subscription(session: Session, idKey: string): Subscription | undefined {
    return this.bySession.get(session)?.get(idKey);
  }

  /** Registers a subscription; it starts receiving pushes later (goLive), after its first result is sent. */
  add(session: Session, sub: Subscription): void {
    let subs = this.bySession.get(session);
    if (!subs) this.bySession.set(session, (subs = new Map()));
    subs.set(sub.idKey, sub);
    let group = this.groups.get(sub.query);
    if (!group) {
      group = { kind: sub.kind, params: sub.params, topics: new Map(), last: undefined };
      this.groups.set(sub.query, group);
    }
    const t = group.topics.get(sub.topic);
    if (t) t.subs++;
    else group.topics.set(sub.topic, { id: sub.id, idKey: sub.idKey, subs: 1, live: new Map(), deltas: 0 });
  }

  remove(session: Session, sub: Subscription): void {
    const subs = this.bySession.get(session);
    if (subs?.get(sub.idKey) === sub) subs.delete(sub.idKey);
    const group = this.groups.get(sub.query);
    const t = group?.topics.get(sub.topic);
    if (t && sub.live && t.live.delete(session) && sub.delta) t.deltas--;
    sub.live = false;
    if (!group || !t) return;
    if (--t.subs === 0) group.topics.delete(sub.topic);
    if (group.topics.size === 0) this.groups.delete(sub.query);
  }

  /** A closing session leaves every group (its socket's way out: evict in server/socket-server.ts). */
  dropSession(session: Session): void {
    const subs = this.bySession.get(session);
    if (!subs) return;
    for (const sub of [...subs.values()]) this.remove(session, sub);
    this.bySession.delete(session);
  }

  /** After a subscription's first result went out: pushes reach it from now on; catch up if data arrived meanwhile. */
  goLive(session: Session, sub: Subscription, first: Answer): void {
    if (session.closed || this.subscription(session, sub.idKey) !== sub) return;
    // Only a new group takes its first answer as the last one sent: in a group that has one, a newer first answer
    // (computed after the market moved, before the push cycle's) must not make the cycle skip the older subscribers.
    if (!this.groups.get(sub.query)?.last) this.remember(sub.query, first);
    const t = this.groups.get(sub.query)?.topics.get(sub.topic);
    if (!t) return;
    sub.live = true;
    t.live.set(session, sub);
    if (sub.delta) t.deltas++;
    const at = this.marks();
    if (first.version !== this.o.market.version || (at && first.watermark < at.watermark))
      void this.sendLatest(session, sub);
  }

  /** A socket that was behind has drained: pushes resume, starting with the current state of each subscription. */
  drained(session: Session): void {
    if (!session.stale || session.closed || session.bufferedAmount() > this.o.behindBytes / 2) return;
    session.stale = false;
    for (const sub of this.subscriptionsOf(session).values()) if (sub.live) void this.sendLatest(session, sub);
  }

  /**
   * Recomputes every group at the current marks (the ones pushed ahead, else the market's) and pushes what changed;
   * resolves once the run's last socket is written (lastCycle says what it did), or once a newer run superseded it. A
   * run at the same marks already under way is joined; one that already went through every group is not repeated
   * after an advance to the marks it was pushed ahead at.
   */
  async pushUpdate(): Promise<void> {
    const at = this.marks() ?? this.marketMarks();
    await this.start(at, sameMarks(this.completed?.at, at));
  }

  /**
   * Pushes every group at `at` (the next interval's marks) before the market advances to them: subscribers wait
   * only for their own questions, not for the hot ones computed before requests move on. Until the market reaches
   * `at`, new subscribers are answered at the market and caught up to `at` at once. The run goes on after the
   * advance if it has not finished (the marks are the market's then); it resolves as pushUpdate does.
   */
  async pushAhead(at: Marks): Promise<void> {
    this.ahead = at;
    await this.start(at, false);
  }

  /** The marks pushes are computed at: the ones pushed ahead until the market reaches them, else the market's. */
  private marks(): Marks | undefined {
    const m = this.o.market;
    if (this.ahead && (this.ahead.watermark <= m.watermark || this.ahead.generation !== m.generation))
      this.ahead = undefined;
    return this.ahead;
  }

  private marketMarks(): Marks {
    const { watermark, firstTs, generation } = this.o.market;
    return { watermark, firstTs, generation };
  }

  /** Resolves when the push run in progress now (if any) has written its frames or been superseded. */
  async idle(): Promise<void> {
    await this.run?.done;
  }

  /** The run in progress now, resolving as idle() does; undefined when none is running. */
  inProgress(): Promise<CycleReport> | undefined {
    return this.run?.done;
  }

  private start(at: Marks, alreadyDone: boolean): Promise<CycleReport> {
    const running = this.run;
    if (running && sameMarks(running.at, at)) return running.done;
    if (alreadyDone && this.completed) return this.completed.done;
    if (running) {
      // Over now: what it wrote is all this interval gets. Answers still being computed for it are discarded.
      running.superseded = true;
      this.close(running);
    }
    const report: CycleReport = {
      watermark: at.watermark,
      planned: 0,
      computed: 0,
      dropped: 0,
      superseded: 0,
      failed: 0,
      groups: [],
      totalMs: 0,
    };
    const run: Run = {
      at,
      report,
      t0: performance.now(),
      next: 0,
      superseded: false,
      finish: () => undefined,
      done: undefined!,
    };
    run.done = new Promise<CycleReport>((resolve) => (run.finish = () => resolve(report)));
    this.run = run;
    void this.execute(run)
      .catch((err: unknown) => this.o.log.error({ err }, 'push: a run failed; the next interval pushes again'))
      .finally(() => {
        if (!run.superseded) this.close(run);
        if (this.run === run) this.run = undefined;
      });
    return run.done;
  }

  /** Ends a run's account: finished, or superseded (the groups it had not taken are counted as such). */
  private close(run: Run): void {
    const { report } = run;
    report.superseded = report.planned - run.next;
    report.totalMs = performance.now() - run.t0;
    // A run with failed groups is not the last word at its marks: a push at them (the advance's) tries again.
    if (!run.superseded && report.failed === 0) this.completed = run;
    this.lastCycle = report;
    if (report.planned > 0) metrics.pushCycle.observe(report.totalMs / 1000);
    run.finish();
  }

  private async execute(run: Run): Promise<void> {
    const { report, t0 } = run;
    // Captured now, in the order they are served; whether each is still wanted is checked when its turn comes.
    const order = servingOrder(this.groups, run.at);
    report.planned = order.length;
    let slice = performance.now();
    const slot = async () => {
      while (run.next < order.length && !run.superseded) {
        const [query, g] = order[run.next++];
        if (this.groups.get(query) !== g || !watched(g)) {
          report.dropped++;
          continue;
        }
        await this.refresh(query, g, run, t0);
        if (performance.now() - slice > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PUSH_SLOTS, order.length) }, slot));
  }

  private async refresh(query: string, g: Group, run: Run, t0: number): Promise<void> {
    const { report } = run;
    let answer: Answer;
    try {
      answer = await this.o.answerer.answer(g.kind, g.params, this.o.pool, run.at);
    } catch (err) {
      report.failed++;
      logFailure(this.o.log, err, 'push: recomputing a subscription failed; subscribers keep the last state', {
        kind: g.kind,
        params: g.params,
      });
      return;
    }
    report.computed++;
    // Superseded meanwhile: the newer run pushes its newer answer; this one would only be overtaken.
    if (run.superseded) return;
    const readyMs = performance.now() - t0;
    const prev = g.last;
    const pushedBefore = g.pushed;
    if (this.groups.get(query) !== g || !this.remember(query, answer)) return;
    g.pushed = answer;
    const topics = [...g.topics.values()];
    const delta = prev && topics.some((t) => t.deltas > 0) ? this.deltaOf(g, prev, answer) : undefined;
    const r = {
      kind: g.kind,
      readyMs,
      sentMs: 0,
      sendMs: 0,
      bytes: answer.dataBytes.length,
      deltaBytes: 0,
      written: 0,
      sockets: 0,
      deltas: 0,
    };
    try {
      await Promise.all(topics.map((t) => this.pushTopic(g, t, prev, answer, delta, r)));
    } catch (err) {
      // A frame that could not be made (memory): the group forgets this answer, so the next push (the advance's
      // retry, or the next interval) sends it again rather than finding it unchanged; sockets that had it get it twice.
      if (g.last === answer) [g.last, g.pushed] = [prev, pushedBefore];
      report.computed--;
      report.failed++;
      logFailure(this.o.log, err, 'push: writing a subscription failed; its subscribers keep the last state', {
        kind: g.kind,
        params: g.params,
      });
    }
    r.sentMs = performance.now() - t0;
    report.groups.push(r);
  }

  /**
   * One frame per topic (plus one delta frame where some of its sockets take deltas), into each of its sockets. The
   * frames are made when the topic's turn in the fan-out comes, and the full one only if a socket takes it: with
   * deltas, a thousand one-socket topics would otherwise encode a thousand full answers at once (65 MB, in one task).
   */
  private async pushTopic(
    g: Group,
    t: Topic,
    prev: Answer | undefined,
    answer: Answer,
    delta: Delta | undefined,
    r: CycleReport['groups'][number],
  ): Promise<void> {
    let plan: ReturnType<typeof deltaPlan> | undefined;
    const frames = () => {
      const full = once(() => answerFrame('push', t.id, g.kind, answer));
      if (t.deltas === 0) return full();
      let frame = prev && delta && deltaFrame(t.id, g.kind, prev, answer, delta);
      r.deltaBytes = frame?.length ?? 0;
      // A delta that saves little is not worth a second frame (nor the client's work).
      if (frame && frame.length > answer.dataBytes.length / 2) frame = undefined;
      return (plan = deltaPlan(t, prev, answer, full, frame));
    };
    const d = await this.fanout.send(frames, t.live.keys());
    r.sockets += d.sent;
    r.deltas += plan?.deltas ?? 0;
    metrics.pushWrites.inc({ form: 'full' }, d.sent - (plan?.deltas ?? 0));
    if (plan?.deltas) metrics.pushWrites.inc({ form: 'delta' }, plan.deltas);
    metrics.pushBytes.inc(d.bytes);
    r.written += d.bytes;
    r.sendMs += d.ms;
    metrics.pushes.inc();
  }

  /** The change from `prev` to `next` (undefined when there is none to send, or it cannot be worked out). */
  private deltaOf(g: Group, prev: Answer, next: Answer): Delta | undefined {
    try {
      return diff(decode(prev.dataBytes), decode(next.dataBytes));
    } catch (err) {
      this.o.log.error({ err, kind: g.kind }, 'push: working out a delta failed; sending the full answer');
      return undefined;
    }
  }

  /** Records the group's latest answer; false when it is older than what the group has, or unchanged. */
  private remember(query: string, answer: Answer): boolean {
    const g = this.groups.get(query);
    if (!g) return false;
    const last = g.last;
    if (last && olderThan(answer, last)) return false;
    const changed =
      !last || (last.dataBytes !== answer.dataBytes && Buffer.compare(last.dataBytes, answer.dataBytes) !== 0);
    // Unchanged: keep the bytes subscribers were sent, so `holds` still recognises them as the delta base.
    g.last = changed || answer.watermark !== last.watermark ? answer : { ...answer, dataBytes: last.dataBytes };
    return changed;
  }

  private async sendLatest(session: Session, sub: Subscription): Promise<void> {
    try {
      const answer = await this.o.answerer.answer(sub.kind, sub.params, [session, this.o.pool], this.marks());
      if (session.closed || this.subscription(session, sub.idKey) !== sub || session.stale) return;
      // A push run that started after this catch-up (its answer is newer) sends this live socket its own: an older
      // answer after it would take the client back.
      const pushed = this.groups.get(sub.query)?.pushed;
      if (pushed && olderThan(answer, pushed)) return;
      if (session.send(sentNowFrame('push', sub.id, sub.kind, answer)) && sub.delta) sub.held = answer;
    } catch (err) {
      if (!session.closed) session.log.warn({ err, kind: sub.kind }, 'push: catching a socket up failed');
    }
  }
}

/** Whether `a` is older than `b`: an answer pushed ahead carries the market's version with a later watermark. */
function olderThan(a: Answer, b: Answer): boolean {
  return a.version < b.version || (a.version === b.version && a.watermark < b.watermark);
}

/** Whether two sets of marks name the same answers (the same cache keys, the same windows). */
function sameMarks(a: Marks | undefined, b: Marks): boolean {
  return a !== undefined && a.watermark === b.watermark && a.generation === b.generation && a.firstTs === b.firstTs;
}

/** Whether any socket gets this group's pushes (a subscription waiting for its first result is caught up by goLive). */
function watched(g: Group): boolean {
  for (const t of g.topics.values()) if (t.live.size > 0) return true;
  return false;
}

/**
 * The groups in the order a run serves them: by sockets × intervals their last answer is behind (one answer reaches
 * the most sockets; a group an overtaken run did not reach goes before those it did, so under load runs take turns
 * rather than starving the same tail), and among equals, round robin over the socket that watches each (its first
 * live one), so one socket's 64 private questions take turns with everyone else's instead of going first.
 */
function servingOrder(groups: Map<string, Group>, at: Marks): [string, Group][] {
  const turns = new Map<Session, number>();
  const rows = [...groups].map(([query, g]) => {
    let sockets = 0;
    let owner: Session | undefined;
    for (const t of g.topics.values()) {
      sockets += t.live.size;
      if (!owner)
        for (const s of t.live.keys()) {
          owner = s;
          break;
        }
    }
    const turn = owner ? (turns.get(owner) ?? 0) : 0;
    if (owner) turns.set(owner, turn + 1);
    const behind = g.last ? Math.max(1, Math.ceil((at.watermark - g.last.watermark) / INTERVAL_S)) : 1;
    return { entry: [query, g] as [string, Group], weight: sockets * behind, turn };
  });
  rows.sort((a, b) => b.weight - a.weight || a.turn - b.turn);
  return rows.map((r) => r.entry);
}

/** Whether the socket holds `answer`: the same object, or the same bytes at the same watermark (one cached buffer). */
function holds(sub: Subscription, answer: Answer): boolean {
  const h = sub.held;
  return h === answer || (h !== undefined && h.dataBytes === answer.dataBytes && h.watermark === answer.watermark);
}

/**
 * Per socket: the delta where the subscription applies deltas and holds `prev`, else the full frame; what was
 * written becomes what the subscription holds.
 */
function deltaPlan(
  t: Topic,
  prev: Answer | undefined,
  next: Answer,
  full: () => Uint8Array,
  delta: Uint8Array | undefined,
): Plan<Session> & { deltas: number } {
  // The subscription looked up in frameFor, for sent (the fan-out calls them back to back for one socket).
  let sub: Subscription | undefined;
  return {
    deltas: 0,
    frameFor(s) {
      sub = t.live.get(s);
      return delta && prev && sub?.delta && sub.live && holds(sub, prev) ? delta : full();
    },
    sent(_s, frame) {
      if (!sub?.delta) return;
      sub.held = next;
      if (frame === delta) this.deltas++;
    },
  };
}

/**
 * `{t:'push', id, kind, meta, base, delta}`: meta as answerFrame writes it, base the watermark of the answer it applies
 * to.
 */
function deltaFrame(id: RequestId, kind: Kind, prev: Answer, next: Answer, delta: Delta): Uint8Array {
  // A copy: encode returns a view into msgpackr's reused buffer, and fan-out writes this frame later.
  return new Uint8Array(
    encode({ t: 'push', id, kind, meta: answerMeta(next), base: wireWatermark(prev.watermark), delta }),
  );
}
