// Fanout's own rules, on plain recipients (the real sockets are covered end to end by test/live/fanout.test.ts and
// test/server/backpressure.test.ts): every frame reaches every recipient in hand-in order, sockets behind are
// skipped and marked, closed ones are passed over, and a long fan-out lets the event loop turn.
import { describe, expect, it } from 'vitest';
import { Fanout, type Recipient } from './fanout.ts';

class Sink implements Recipient {
  closed = false;
  stale = false;
  buffered = 0;
  /** What sendUncorked says (false: uWS dropped the frame). */
  accepts = true;
  got: Uint8Array[] = [];
  notes: string[] = [];
  readonly log = { info: (_: object, msg: string) => void this.notes.push(msg) };
  bufferedAmount(): number {
    return this.buffered;
  }
  sendUncorked(bytes: Uint8Array): boolean {
    if (!this.accepts) return false;
    this.got.push(bytes);
    return true;
  }
}

const frame = (n: number) => new Uint8Array([n]);

describe('Fanout', () => {
  it('sends each frame to every recipient, frames in the order they were handed in', async () => {
    const f = new Fanout(1000);
    const sinks = Array.from({ length: 300 }, () => new Sink());
    const [a, b] = await Promise.all([f.send(frame(1), sinks), f.send(frame(2), sinks.slice(0, 10))]);
    expect(a).toMatchObject({ sent: 300, skipped: 0 });
    expect(b).toMatchObject({ sent: 10, skipped: 0 });
    expect(sinks[0].got.map((x) => x[0])).toEqual([1, 2]);
    expect(sinks[299].got.map((x) => x[0])).toEqual([1]);
  });

  it('runs a turn after the jobs handed in before it are written and before the ones after it', async () => {
    const f = new Fanout(1000);
    const sinks = Array.from({ length: 500 }, () => new Sink());
    const seen: number[] = [];
    const first = f.send(frame(1), sinks);
    const turn = f.atTurn(() => {
      seen.push(sinks[499].got.length);
      sinks[0].sendUncorked(frame(9)); // a frame of its own, between the two
    });
    const failing = f.atTurn(() => {
      throw new Error('bad turn');
    });
    const last = f.send(frame(2), sinks);
    await expect(failing).rejects.toThrow('bad turn');
    await Promise.all([first, turn, last]);
    expect(seen).toEqual([1]);
    expect(sinks[0].got.map((x) => x[0])).toEqual([1, 9, 2]);
    expect(sinks[499].got.map((x) => x[0])).toEqual([1, 2]);
  });

  it('skips a recipient that is behind (marking it stale once) or closed', async () => {
    const f = new Fanout(1000);
    const [ok, behind, stale, closed] = [new Sink(), new Sink(), new Sink(), new Sink()];
    behind.buffered = 1001;
    stale.stale = true;
    closed.closed = true;
    expect(await f.send(frame(1), [ok, behind, stale, closed])).toMatchObject({ sent: 1, skipped: 2 });
    expect(behind.stale).toBe(true);
    expect(behind.notes).toEqual(['socket is behind: pushes paused until it drains']);
    expect([behind, stale, closed].every((s) => s.got.length === 0)).toBe(true);
    expect(await f.send(frame(2), [behind])).toMatchObject({ sent: 0, skipped: 1 });
    expect(behind.notes.length).toBe(1);
  });

  it('with a plan, writes each recipient the frame it picks and reports only the sends that succeeded', async () => {
    const f = new Fanout(1000);
    const sinks = Array.from({ length: 6 }, () => new Sink());
    sinks[1].accepts = false;
    sinks[2].buffered = 2000;
    const [full, delta] = [new Uint8Array(10), new Uint8Array(2)];
    const picks = new Map(sinks.map((s, i) => [s, i % 2 === 0 ? delta : full]));
    const sent: [number, Uint8Array][] = [];
    const d = await f.send(
      { frameFor: (s: Sink) => picks.get(s)!, sent: (s: Sink, frame) => sent.push([sinks.indexOf(s), frame]) },
      sinks,
    );
    expect(d).toMatchObject({ sent: 4, skipped: 1, bytes: 2 + 10 + 2 + 10 });
    expect(sent).toEqual([
      [0, delta],
      [3, full],
      [4, delta],
      [5, full],
    ]);
    expect(sinks.map((s) => s.got.map((x) => x.length))).toEqual([[2], [], [], [10], [2], [10]]);
  });

  it('visits a set as it is when its turn comes: members that left meanwhile get nothing', async () => {
    const f = new Fanout(1000, 0); // yields after every CHECK_EVERY sockets: the first frame is still going out below
    const members = new Set(Array.from({ length: 5 }, () => new Sink()));
    const gone = [...members][4];
    const first = f.send(
      frame(1),
      Array.from({ length: 500 }, () => new Sink()),
    );
    const second = f.send(frame(2), members);
    members.delete(gone);
    await Promise.all([first, second]);
    expect(gone.got).toEqual([]);
    expect([...members].every((s) => s.got.length === 1)).toBe(true);
  });

  it('lets the event loop turn during a long fan-out', async () => {
    const f = new Fanout(1000, 0);
    const slow = Array.from({ length: 2000 }, () => {
      const s = new Sink();
      s.sendUncorked = (bytes) => {
        const until = performance.now() + 0.01;
        while (performance.now() < until);
        s.got.push(bytes);
        return true;
      };
      return s;
    });
    let sentWhenLoopTurned = -1;
    setImmediate(() => (sentWhenLoopTurned = slow.filter((s) => s.got.length > 0).length));
    await f.send(frame(1), slow);
    expect(sentWhenLoopTurned).toBeGreaterThan(0);
    expect(sentWhenLoopTurned).toBeLessThan(slow.length);
  });

  it("makes a job's frame when its turn comes, once, and lets the loop turn between many such jobs", async () => {
    const f = new Fanout(1000, 0);
    const sinks = Array.from({ length: 3 }, () => new Sink());
    const made: number[] = [];
    const first = f.send(frame(1), sinks);
    const jobs = Array.from({ length: 50 }, (_, i) =>
      f.send(() => {
        made.push(sinks[0].got.length); // what the first recipient had when this frame was made
        const until = performance.now() + 0.05; // encoding a frame takes time
        while (performance.now() < until);
        return frame(10 + i);
      }, sinks),
    );
    let madeWhenLoopTurned = -1;
    setImmediate(() => (madeWhenLoopTurned = made.length));
    await Promise.all([first, ...jobs]);
    expect(made).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(sinks[2].got.map((x) => x[0])).toEqual([1, ...Array.from({ length: 50 }, (_, i) => 10 + i)]);
    expect(madeWhenLoopTurned).toBeGreaterThanOrEqual(0);
    expect(madeWhenLoopTurned).toBeLessThan(50);
  });

  it('fails only the push whose frame could not be made; the ones behind it still go out', async () => {
    const f = new Fanout(1000);
    const sink = new Sink();
    const bad = f.send(() => {
      throw new Error('no frame');
    }, [sink]);
    const good = f.send(frame(7), [sink]);
    await expect(bad).rejects.toThrow('no frame');
    await expect(good).resolves.toMatchObject({ sent: 1 });
    expect(sink.got.map((x) => x[0])).toEqual([7]);
  });

  it("fails only the push whose frame for a recipient could not be made (a plan's frame made lazily); the rest go out", async () => {
    const f = new Fanout(1000);
    const sinks = [new Sink(), new Sink()];
    let calls = 0;
    const plan = {
      frameFor: () => {
        if (++calls === 2) throw new Error('no frame');
        return frame(5);
      },
      sent: () => undefined,
    };
    const bad = f.send(plan, sinks);
    const good = f.send(frame(7), sinks);
    await expect(bad).rejects.toThrow('no frame');
    await expect(good).resolves.toMatchObject({ sent: 2 });
    expect(sinks.map((s) => s.got.map((x) => x[0]))).toEqual([[5, 7], [7]]);
  });

  it('lets the loop turn between jobs whose sockets all closed meanwhile (their frames are still made)', async () => {
    const f = new Fanout(1000, 0);
    const gone = Object.assign(new Sink(), { closed: true });
    let made = 0;
    const jobs = Array.from({ length: 50 }, (_, i) =>
      f.send(() => {
        made++;
        const until = performance.now() + 0.05; // encoding a frame takes time
        while (performance.now() < until);
        return frame(i);
      }, [gone]),
    );
    let madeWhenLoopTurned = -1;
    setImmediate(() => (madeWhenLoopTurned = made));
    await Promise.all(jobs);
    expect(made).toBe(50);
    expect(madeWhenLoopTurned).toBeGreaterThanOrEqual(0);
    expect(madeWhenLoopTurned).toBeLessThan(50);
  });
});
