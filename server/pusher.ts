// Subscriptions and pushes. Subscribers of one question (kind + canonical params) form a group; each group is
// recomputed once per new watermark and, when its data changed, published once per uWS topic (one topic per
// question × client id, so one buffer serves every socket that used that id). A socket that has fallen behind is
// taken off its topics (skipped, counted) and gets the latest state when it drains.
import type { Kind, ParamsOf } from '../shared/kinds.ts';
import type { RequestId } from '../shared/protocol.ts';
import { answerFrame, type Answer, type Answerer } from './answer.ts';
import type { ConnHolder } from './lane.ts';
import type { Logger } from './log.ts';
import type { Market } from './market.ts';
import { metrics } from './metrics.ts';
import type { Session, Subscription } from './session.ts';

interface Group {
  kind: Kind;
  params: ParamsOf<Kind>;
  /** Client ids in use for this question, each with how many sockets use it. */
  topics: Map<string, { id: RequestId; count: number }>;
  /** The data last sent to the group, and when: a recomputed answer that equals it is not pushed. */
  lastData: Uint8Array | undefined;
  lastVersion: number;
}

export interface PusherOptions {
  market: Market;
  answerer: Answerer;
  /** Connections for recomputing groups (no session asked for a push). */
  pool: ConnHolder;
  publish(topic: string, bytes: Uint8Array): void;
  subscribersOf(topic: string): number;
  /** Bytes buffered for a socket beyond which it is skipped for pushes; it resumes below half of it. */
  behindBytes: number;
  log: Logger;
}

export class Pusher {
  private readonly groups = new Map<string, Group>();
  private readonly subscribers = new Set<Session>();
  private cycle: Promise<void> | undefined;
  private again = false;

  constructor(private readonly o: PusherOptions) {}

  /** Subscriptions across sessions. */
  get count(): number {
    let n = 0;
    for (const s of this.subscribers) n += s.subs.size;
    return n;
  }
  get groupCount(): number {
    return this.groups.size;
  }

  /** Registers a subscription; it joins its topic later (goLive), after its first result is sent. */
  add(session: Session, sub: Subscription): void {
    session.subs.set(sub.idKey, sub);
    this.subscribers.add(session);
    let group = this.groups.get(sub.query);
    if (!group) {
      group = { kind: sub.kind, params: sub.params, topics: new Map(), lastData: undefined, lastVersion: -1 };
      this.groups.set(sub.query, group);
    }
    const t = group.topics.get(sub.topic);
    if (t) t.count++;
    else group.topics.set(sub.topic, { id: sub.id, count: 1 });
  }

  remove(session: Session, sub: Subscription): void {
    if (session.subs.get(sub.idKey) === sub) session.subs.delete(sub.idKey);
    if (sub.live) session.unsubscribe(sub.topic);
    sub.live = false;
    if (session.subs.size === 0) this.subscribers.delete(session);
    const group = this.groups.get(sub.query);
    const t = group?.topics.get(sub.topic);
    if (!group || !t) return;
    if (--t.count === 0) group.topics.delete(sub.topic);
    if (group.topics.size === 0) this.groups.delete(sub.query);
  }

  /** A closing session leaves every group (uWS drops its topics itself). */
  dropSession(session: Session): void {
    for (const sub of [...session.subs.values()]) {
      sub.live = false;
      this.remove(session, sub);
    }
    this.subscribers.delete(session);
  }

  /** After a subscription's first result went out: join the topic, and catch up if data arrived meanwhile. */
  goLive(session: Session, sub: Subscription, first: Answer): void {
    if (session.closed || session.subs.get(sub.idKey) !== sub) return;
    this.remember(sub.query, first);
    sub.live = true;
    if (!session.stale) session.subscribe(sub.topic);
    if (first.version !== this.o.market.version) void this.sendLatest(session, sub);
  }

  /** A socket that was behind has drained: back on its topics, with the current state of each subscription. */
  drained(session: Session): void {
    if (!session.stale || session.closed || session.bufferedAmount() > this.o.behindBytes / 2) return;
    session.stale = false;
    for (const sub of session.subs.values()) if (sub.live) session.subscribe(sub.topic);
    for (const sub of session.subs.values()) if (sub.live) void this.sendLatest(session, sub);
  }

  /** Recomputes every group once and publishes what changed. Calls during a cycle queue one more cycle. */
  pushUpdate(): Promise<void> {
    if (this.cycle) {
      this.again = true;
      return this.cycle;
    }
    this.cycle = (async () => {
      do {
        this.again = false;
        await this.runCycle();
      } while (this.again);
    })().finally(() => {
      this.cycle = undefined;
    });
    return this.cycle;
  }

  /** Resolves when no push cycle is running. */
  async idle(): Promise<void> {
    while (this.cycle) await this.cycle.catch(() => undefined);
  }

  private async runCycle(): Promise<void> {
    const t0 = performance.now();
    const behind = this.markBehind();
    const groups = [...this.groups.entries()];
    await Promise.all(groups.map(([query, g]) => this.refresh(query, g, behind)));
    if (groups.length > 0) metrics.pushCycle.observe((performance.now() - t0) / 1000);
  }

  private async refresh(query: string, g: Group, behind: Session[]): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.o.answerer.answer(g.kind, g.params, this.o.pool);
    } catch (err) {
      this.o.log.error({ err, kind: g.kind, params: g.params }, 'push: recomputing a subscription failed; subscribers keep the last state');
      return;
    }
    if (this.groups.get(query) !== g || !this.remember(query, answer)) return;
    for (const [topic, t] of g.topics) {
      this.o.publish(topic, answerFrame('push', t.id, g.kind, answer));
      metrics.pushes.inc();
      metrics.wsMessages.inc({ direction: 'out' }, this.o.subscribersOf(topic));
    }
    let skipped = 0;
    for (const s of behind) for (const sub of s.subs.values()) if (sub.query === query) skipped++;
    if (skipped) metrics.pushSkipped.inc(skipped);
  }

  /** Records the group's latest data; false when it is older than what the group has, or unchanged. */
  private remember(query: string, answer: Answer): boolean {
    const g = this.groups.get(query);
    if (!g || answer.version < g.lastVersion) return false;
    const same = g.lastData !== undefined && Buffer.compare(g.lastData, answer.dataBytes) === 0;
    g.lastVersion = answer.version;
    g.lastData = answer.dataBytes;
    return !same;
  }

  /** Takes sockets over the threshold off their topics before a publish; returns every socket now behind. */
  private markBehind(): Session[] {
    const behind: Session[] = [];
    for (const s of this.subscribers) {
      if (!s.stale && s.bufferedAmount() > this.o.behindBytes) {
        s.stale = true;
        for (const sub of s.subs.values()) if (sub.live) s.unsubscribe(sub.topic);
        s.log.info({ buffered: s.bufferedAmount() }, 'socket is behind: pushes paused until it drains');
      }
      if (s.stale) behind.push(s);
    }
    return behind;
  }

  private async sendLatest(session: Session, sub: Subscription): Promise<void> {
    try {
      const answer = await this.o.answerer.answer(sub.kind, sub.params, [session, this.o.pool]);
      if (session.closed || session.subs.get(sub.idKey) !== sub || session.stale) return;
      session.send(answerFrame('push', sub.id, sub.kind, answer));
    } catch (err) {
      if (!session.closed) session.log.warn({ err, kind: sub.kind }, 'push: catching a socket up failed');
    }
  }
}
