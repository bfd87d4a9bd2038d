// The alerts hub against hostile timing, on a real event ring and plain sockets (the real server is covered end to
// end by test/live/alerts.test.ts): a socket caught up while a fan-out is under way (it drained, or subscribed
// again) is not sent the same events twice, and a slow reader's catch-up is bounded like a replay and stops while
// the socket is behind again; a replay's scan is charged against the socket's rate limit.
import { describe, expect, it } from 'vitest';
import { eventCursor, MAX_RULES, parseRules, type AlertEvent, type AlertsAnswer } from '../../shared/kinds/alerts.ts';
import { decode } from '../../shared/protocol.ts';
import { WireError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { newBucket, type RateLimit } from '../limiter.ts';
import { Market } from '../market.ts';
import type { Session } from '../session.ts';
import { EventRing, RING_SIZE } from './event-ring.ts';
import { AlertHub } from './hub.ts';

const T0 = 1_780_000_200;
/** A $300 event in SA1 for the interval `i` intervals after T0 (each its own cursor). */
function event(i: number): AlertEvent {
  const e = { type: 'price.above', region: 'SA1', time: T0 + i * 300, level: 300, notice: null } as const;
  return { ...e, seq: eventCursor(e), key: `price.above|SA1|300|${e.time}`, value: 400, text: 'SA1 above $300' };
}

interface Got {
  t: string;
  id: string;
  data: AlertsAnswer;
}

/** A socket that takes every frame into its buffer; `onSend` runs inside a send (a fan-out's turn). */
class Sink {
  closed = false;
  bucket = newBucket({ perSecond: 1, burst: 1 });
  stale = false;
  buffered = 0;
  got: Got[] = [];
  onSend?: () => void;
  readonly log = { info: () => {} };
  bufferedAmount(): number {
    return this.buffered;
  }
  sendUncorked(bytes: Uint8Array): boolean {
    this.got.push(decode(bytes) as Got);
    this.buffered += bytes.length;
    const hook = this.onSend;
    this.onSend = undefined;
    hook?.();
    return true;
  }
  send(bytes: Uint8Array): boolean {
    return this.sendUncorked(bytes);
  }
  get session(): Session {
    return this as unknown as Session;
  }
  /** Every event pushed to it (not the first result), by cursor. */
  pushed(): number[] {
    return this.got.filter((f) => f.t === 'push').flatMap((f) => f.data.events.map((e) => e.seq));
  }
}

const setup = (behindBytes = 1 << 20) => {
  const ring = new EventRing([event(0)], 0);
  const hub = new AlertHub(ring, new Market(T0 + 2000 * 300, T0), behindBytes);
  return { ring, hub };
};

describe('alerts hub', () => {
  it("writes the other subscriptions and settles when one topic's fan-out throws, logging it", async () => {
    const ring = new EventRing([event(0)], 0);
    const errors: string[] = [];
    const log = { error: (_: object, msg: string) => void errors.push(msg) } as unknown as Logger;
    const hub = new AlertHub(ring, new Market(T0 + 2000 * 300, T0), 1 << 20, undefined, log);
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 2, 'n2', [], undefined);
    a.onSend = () => {
      throw new Error('no memory for this frame');
    };
    ring.add([event(1)]);
    expect(await hub.idle()).toMatchObject({ sent: 1, skipped: 0 });
    expect(b.pushed()).toEqual([event(1).seq]);
    expect(errors).toEqual(['alerts: a publish could not be written to some subscriptions']);
    ring.add([event(2)]); // the next publish still reaches the socket whose write threw
    await hub.idle();
    expect(a.pushed().at(-1)).toBe(event(2).seq);
    expect(b.pushed()).toEqual([event(1).seq, event(2).seq]);
  });

  it('does not send a socket that drains while a fan-out is under way the events of its catch-up again', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], undefined);
    b.stale = true;
    // b drains while a is being written this push (the fan-out lets the event loop turn between sockets).
    a.onSend = () => {
      b.stale = false;
      hub.drained(b.session);
    };
    ring.add([event(1)]);
    await hub.idle();
    expect(a.pushed()).toEqual([event(1).seq]);
    expect(b.pushed()).toEqual([event(1).seq]);
  });

  it('still sends a socket that drains while a fan-out is under way the late notice its catch-up left out', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    ring.add([event(5)]);
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], undefined);
    b.stale = true;
    ring.add([event(6)]); // b is skipped
    // Then an event behind the newest (a late notice), and b drains while a is being written it.
    a.onSend = () => {
      b.stale = false;
      hub.drained(b.session);
    };
    ring.add([event(3)]);
    await hub.idle();
    expect(b.pushed()).toEqual([event(6).seq, event(3).seq]);
    expect(a.pushed()).toEqual([event(6).seq, event(3).seq]);
  });

  it('sends a socket that subscribed again, then drained between two fan-outs, the late notice of the second', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], undefined);
    ring.add([event(5)]); // publish 1, to be written
    hub.subscribe(b.session, 1, 'n1', [], String(event(0).seq)); // its replay holds event 5
    ring.add([event(7), event(3)]); // publish 2: a new event and a late notice, queued behind publish 1
    // Writing publish 1 takes its slice, so the loop turns before publish 2 is written: b drains then.
    a.onSend = () => {
      const until = performance.now() + 3;
      while (performance.now() < until);
      setImmediate(() => hub.drained(b.session));
    };
    await hub.idle();
    expect(a.pushed()).toEqual([event(5).seq, event(7).seq, event(3).seq]);
    expect(b.pushed()).toEqual([event(7).seq, event(3).seq]); // its catch-up, then the late notice
  });

  it('sends a socket that subscribed again and drained while a fan-out is under way the late notice of the next', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], undefined);
    a.onSend = () => {
      hub.subscribe(b.session, 1, 'n1', [], String(event(0).seq)); // its replay holds event 5
      ring.add([event(7), event(3)]); // publish 2, queued behind the one being written
      hub.drained(b.session); // its catch-up: event 7
    };
    ring.add([event(5)]);
    await hub.idle();
    expect(a.pushed()).toEqual([event(5).seq, event(7).seq, event(3).seq]);
    expect(b.pushed()).toEqual([event(7).seq, event(3).seq]); // its catch-up, then the late notice
  });

  it('sends a subscription from a replica ahead the events of two publishes in order, each once', async () => {
    const { ring, hub } = setup();
    const b = new Sink();
    // The replica it came from sent it events up to event 10; this one has event 0 only so far.
    hub.subscribe(b.session, 1, 'n1', [], String(event(10).seq));
    // Two publishes before the first is written (two batches handed over at once, or a fan-out still under way):
    // event 11 is new to it; event 12 too, with a late notice the other replica sent it.
    ring.add([event(11)]);
    ring.add([event(12), event(9)]);
    await hub.idle();
    expect(b.pushed()).toEqual([event(11).seq, event(12).seq]);
    const cursors = b.got.filter((f) => f.t === 'push').map((f) => f.data.cursor);
    expect(cursors).toEqual([...cursors].sort((x, y) => x - y)); // the last cursor it holds is the newest
  });

  it('does not send a subscription from a replica ahead again what its catch-up sent before its turn came', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], String(event(10).seq)); // from a replica that sent it up to event 10
    // b drains while a is being written the first of two publishes: its catch-up holds events 11 and 12.
    a.onSend = () => hub.drained(b.session);
    ring.add([event(11)]);
    ring.add([event(12), event(9)]);
    await hub.idle();
    expect(a.pushed()).toEqual([event(11).seq, event(12).seq, event(9).seq]);
    expect(b.pushed()).toEqual([event(11).seq, event(12).seq]);
  });

  it('does not send a socket that subscribes again while a fan-out is under way what its replay held', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], undefined);
    const since = String(event(0).seq);
    a.onSend = () => hub.subscribe(b.session, 1, 'n1', [], since);
    ring.add([event(1)]);
    await hub.idle();
    const replay = b.got.filter((f) => f.t === 'result').at(-1)!;
    expect(replay.data.events.map((e) => e.seq)).toEqual([event(1).seq]);
    expect(b.pushed()).toEqual([]);
  });

  it('sends nothing more for a subscription ended while a fan-out is under way', async () => {
    const { ring, hub } = setup();
    const [a, b] = [new Sink(), new Sink()];
    hub.subscribe(a.session, 1, 'n1', [], undefined);
    hub.subscribe(b.session, 1, 'n1', [], undefined);
    a.onSend = () => hub.remove(b.session, 'n1');
    ring.add([event(1)]);
    await hub.idle();
    expect(b.pushed()).toEqual([]);
  });

  it("bounds a slow reader's catch-up as a replay is, and stops while the socket is behind again", async () => {
    const { ring, hub } = setup(10_000);
    const slow = new Sink();
    hub.subscribe(slow.session, 1, 'n1', [], undefined);
    hub.subscribe(slow.session, 2, 'n2', [], undefined);
    slow.stale = true;
    for (let i = 1; i <= 1200; i += 100) ring.add(Array.from({ length: 100 }, (_, j) => event(i + j)));
    expect((await hub.idle()).skipped).toBe(2);
    expect(slow.pushed()).toEqual([]);
    slow.stale = false;
    slow.buffered = 0;
    hub.drained(slow.session);
    const pushes = slow.got.filter((f) => f.t === 'push');
    expect(pushes.length).toBe(1); // one catch-up put it past the limit: the other waits for the next drain
    expect(slow.stale).toBe(true);
    expect(pushes[0].data.events.length).toBe(1000);
    expect(pushes[0].data.events[0].seq).toBe(event(201).seq); // the newest 1,000 of the 1,200 it missed
    expect(pushes[0].data).toMatchObject({ cursor: event(1200).seq, complete: false });
    slow.stale = false;
    slow.buffered = 0;
    hub.drained(slow.session);
    expect(slow.got.filter((f) => f.t === 'push').map((f) => f.id)).toEqual([1, 2]);
    slow.buffered = 0;
    hub.drained(slow.session); // caught up: nothing more
    expect(slow.got.filter((f) => f.t === 'push').length).toBe(2);
  });

  it('charges a replay against the rate limit by the rule checks it makes, keeping the subscription it would replace', () => {
    const rate: RateLimit = { perSecond: 0.001, burst: 40 };
    const ring = new EventRing(
      Array.from({ length: RING_SIZE }, (_, i) => event(i)),
      0,
    );
    const hub = new AlertHub(ring, new Market(T0 + RING_SIZE * 300, T0), 1 << 20, rate);
    const s = new Sink();
    s.bucket = newBucket(rate);
    // Sixteen rules no event matches: every one is checked against each of the 10,000 events held.
    const conditions = ['price.negative', 'price.record', 'demand.record', 'market.suspended'];
    const texts = ['NSW1', 'QLD1', 'VIC1', 'TAS1'].flatMap((r) => conditions.map((c) => `${r}:${c}`));
    const rules = parseRules(texts);
    if (!rules.ok) throw new Error(rules.message);
    expect(rules.value.length).toBe(MAX_RULES);
    hub.subscribe(s.session, 1, 'n1', [], undefined); // the newest of no rules: 2,000 checks, free
    const replay = () => hub.subscribe(s.session, 1, 'n1', rules.value, '0');
    replay(); // 160,000 checks: 16 of the 40 tokens
    replay();
    expect(s.bucket.tokens).toBeLessThan(16);
    let refused: unknown;
    try {
      replay();
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(WireError);
    expect(refused).toMatchObject({ code: 'rate_limited' });
    expect(hub.has(s.session, 'n1')).toBe(true);
    expect(s.got.filter((f) => f.t === 'result').length).toBe(3);
    expect(s.got.at(-1)!.data).toMatchObject({ events: [], complete: true });
  });
});
