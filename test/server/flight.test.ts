// Single flight and connection lanes on a real DuckDB instance: identical questions run once; when the session
// leading a shared query closes mid-query (interrupting it), the followers still get the answer. The fair gate:
// owners take turns, joiners are served at their own turn, app work waits behind interactive work but is never
// starved, and what an owner leaves behind is dropped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SessionClosedError } from '../../server/errors.ts';
import { Flight } from '../../server/flight.ts';
import { ConnLane } from '../../server/lane.ts';
import { BACKGROUND_EVERY, type GateOwner } from '../../server/fair-gate.ts';
import { newBucket, takeToken } from '../../server/limiter.ts';
import { Gate } from '../../server/fair-gate.ts';

let instance: DuckDBInstance;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
});
afterAll(() => instance?.closeSync());

/** Long enough to close a lane while it runs (seconds), and interruptible. */
const SLOW = 'SELECT sum(a * 2)::DOUBLE AS s FROM range(2000000000) t(a)';
const quick = async (conn: DuckDBConnection) =>
  Number((await conn.runAndReadAll('SELECT 41 + 1 AS x')).getRowObjectsJS()[0].x);

function lane(counts = { open: 0 }) {
  return new ConnLane(instance, { opened: () => counts.open++, released: () => counts.open-- });
}

describe('ConnLane', () => {
  it('runs work in order, interrupts it on close, refuses work after, and releases the connection', async () => {
    const counts = { open: 0 };
    const l = lane(counts);
    expect(await l.withConn(quick)).toBe(42);
    expect(counts.open).toBe(1);
    const running = l.withConn((c) => c.run(SLOW));
    const queued = l.withConn(quick);
    await new Promise((r) => setTimeout(r, 100));
    const closing = l.close();
    expect(l.closed).toBe(true);
    await expect(running).rejects.toThrow(/interrupt/i);
    await expect(queued).rejects.toBeInstanceOf(SessionClosedError);
    await closing;
    expect(counts.open).toBe(0);
    await expect(l.withConn(quick)).rejects.toBeInstanceOf(SessionClosedError);
    await l.close(); // twice is harmless
  });
});

describe('Flight', () => {
  it('computes identical in-flight questions once', async () => {
    const f = new Flight<number>();
    const a = lane();
    const b = lane();
    let runs = 0;
    const compute = async (conn: DuckDBConnection) => {
      runs++;
      return quick(conn);
    };
    const answers = await Promise.all([f.run('k', a, compute), f.run('k', b, compute), f.run('k', a, compute)]);
    expect(answers).toEqual([42, 42, 42]);
    expect(runs).toBe(1);
    expect(f.size).toBe(0);
    expect(await f.run('k', b, compute)).toBe(42); // settled questions run again
    expect(runs).toBe(2);
    await Promise.all([a.close(), b.close()]);
  });

  it('when the leader closes mid-query, retries on a follower, which gets the answer', async () => {
    const f = new Flight<string>();
    const leader = lane();
    const follower = lane();
    const used: string[] = [];
    // Real lanes, recording which one lends its connection.
    const tracked = (l: ConnLane, name: string) => ({
      get closed() {
        return l.closed;
      },
      withConn<T>(fn: (conn: DuckDBConnection) => Promise<T>) {
        used.push(name);
        return l.withConn(fn);
      },
    });
    let attempt = 0;
    const compute = async (conn: DuckDBConnection) => {
      // The first attempt is slow (and gets interrupted); the retry is quick.
      if (attempt++ === 0) await conn.run(SLOW);
      return `answer ${await quick(conn)}`;
    };
    const ledBy = f.run('q', tracked(leader, 'leader'), compute);
    const followed = f.run('q', tracked(follower, 'follower'), compute);
    await new Promise((r) => setTimeout(r, 100));
    await leader.close();
    expect(await followed).toBe('answer 42');
    expect(await ledBy).toBe('answer 42'); // the same promise: nobody reads it once its session is gone
    expect(attempt).toBe(2);
    expect(used).toEqual(['leader', 'follower']);
    await follower.close();
  });

  it('gives up with SessionClosedError when every asker has closed', async () => {
    const f = new Flight<number>();
    const only = lane();
    const p = f.run('z', only, async (conn) => {
      await conn.run(SLOW);
      return 1;
    });
    await new Promise((r) => setTimeout(r, 50));
    await only.close();
    await expect(p).rejects.toBeInstanceOf(SessionClosedError);
  });

  it('passes on a real failure without retrying', async () => {
    const f = new Flight<number>();
    const a = lane();
    const b = lane();
    let runs = 0;
    const bad = async (conn: DuckDBConnection) => {
      runs++;
      await conn.run('SELECT * FROM no_such_table');
      return 0;
    };
    const results = await Promise.allSettled([f.run('e', a, bad), f.run('e', b, bad)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(runs).toBe(1);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('limits', () => {
  it('token bucket: a burst, then the refill rate', () => {
    const limit = { perSecond: 10, burst: 3 };
    const b = newBucket(limit, 0);
    expect([takeToken(b, limit, 0), takeToken(b, limit, 0), takeToken(b, limit, 0), takeToken(b, limit, 0)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(takeToken(b, limit, 50)).toBe(false); // half a token
    expect(takeToken(b, limit, 100)).toBe(true);
    expect(takeToken(b, limit, 100_000)).toBe(true);
    expect(b.tokens).toBe(2); // never more than the burst
  });

  it('gate: at most max at once, a bounded queue in order, refusal beyond', async () => {
    const g = new Gate(2, 1);
    const order: number[] = [];
    let release!: () => void;
    const hold = new Promise<void>((r) => (release = r));
    const task = (n: number) => async () => {
      order.push(n);
      await hold;
      return n;
    };
    const p1 = g.run(task(1))!;
    const p2 = g.run(task(2))!;
    const p3 = g.run(task(3))!;
    expect(g.run(task(4))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 0));
    expect([g.running, g.queued, order]).toEqual([2, 1, [1, 2]]);
    release();
    expect(await Promise.all([p1, p2, p3])).toEqual([1, 2, 3]);
    expect([g.running, g.queued]).toEqual([0, 0]);
  });
});

/** Tasks that finish when told to, recording the order they started in. */
function held() {
  const started: string[] = [];
  const releases: (() => void)[] = [];
  const task = (name: string) => () =>
    new Promise<string>((resolve) => {
      started.push(name);
      releases.push(() => resolve(name));
    });
  /** Finishes the oldest running task and lets the gate start the next. */
  const finishOne = async () => {
    await new Promise((r) => setTimeout(r, 0)); // tasks start a microtask after the gate lets them
    releases.shift()?.();
    await new Promise((r) => setTimeout(r, 0));
  };
  return { started, task, finishOne };
}

describe('fair gate', () => {
  it('takes turns: one owner with many waiting delays another by one task, not its whole queue', async () => {
    const g = new Gate(1, 1000);
    const [attacker, victim] = [{}, {}];
    const h = held();
    const all = Array.from({ length: 10 }, (_, i) => g.enter([attacker], h.task(`a${i}`)).promise);
    all.push(g.enter([victim], h.task('v')).promise);
    expect([g.running, g.queued]).toEqual([1, 10]);
    while (h.started.length < 11) await h.finishOne();
    expect(h.started.slice(0, 3)).toEqual(['a0', 'v', 'a1']);
    await h.finishOne();
    await Promise.all(all);
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
  });

  it("finishes a started question (a tab's panels) before the next owner's, so a tab waits one round, not one per panel", async () => {
    const g = new Gate(1, 1000);
    const [a, b, c] = [{}, {}, {}];
    const h = held();
    const tab = {};
    const all = ['p0', 'p1', 'p2'].map((n) => g.enter([a], h.task(`a.${n}`), tab).promise);
    all.push(g.enter([b], h.task('b')).promise, g.enter([c], h.task('c')).promise);
    while (h.started.length < 5) await h.finishOne();
    expect(h.started).toEqual(['a.p0', 'a.p1', 'a.p2', 'b', 'c']); // was a.p0, b, c, a.p1, a.p2
    await h.finishOne();
    await Promise.all(all);
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
  });

  it("a question joined by another owner runs at the joiner's turn, on the joiner's connection", async () => {
    const g = new Gate(1, 1000);
    const [attacker, victim] = [
      { name: 'attacker', closed: false },
      { name: 'victim', closed: false },
    ];
    const ran: string[] = [];
    const h = held();
    const tickets = Array.from({ length: 6 }, (_, i) =>
      g.enter([attacker], (o) => (ran.push(`a${i}@${o.name}`), h.task(`a${i}`)())),
    );
    tickets[5].join([victim]); // the victim asks the attacker's last question
    expect(g.queued).toBe(5); // still one query waiting, not two
    while (h.started.length < 6) await h.finishOne();
    expect(ran.slice(0, 2)).toEqual(['a0@attacker', 'a5@victim']);
    await h.finishOne();
    await Promise.all(tickets.map((t) => t.promise));
  });

  it('runs no more of an owner at once than its width, so a busy owner cannot hold a second slot idle', async () => {
    const g = new Gate(2, 1000);
    const [one, pool] = [{}, { width: 2, background: true }];
    const h = held();
    const a = [g.enter([one], h.task('one0')).promise, g.enter([one], h.task('one1')).promise];
    await new Promise((r) => setTimeout(r, 0));
    expect([g.running, g.queued]).toEqual([1, 1]); // the second slot waits for another owner
    const b = [g.enter([pool], h.task('pool0')).promise, g.enter([pool], h.task('pool1')).promise];
    await new Promise((r) => setTimeout(r, 0));
    expect(h.started).toEqual(['one0', 'pool0']);
    while (h.started.length < 4) await h.finishOne();
    await h.finishOne();
    await h.finishOne();
    await Promise.all([...a, ...b]);
  });

  it('background work waits behind interactive work, is served at least every few turns, and is never refused', async () => {
    const g = new Gate(1, 0);
    const [session, pool] = [{}, { background: true }];
    const h = held();
    const first = g.enter([session], h.task('s0')).promise;
    expect(g.full).toBe(true); // a new interactive question would be refused now
    const bg = Array.from({ length: 3 }, (_, i) => g.enter([pool], h.task(`b${i}`)).promise);
    const fg = Array.from({ length: 12 }, (_, i) => g.enter([session], h.task(`s${i + 1}`)).promise);
    while (h.started.length < 16) await h.finishOne();
    await h.finishOne();
    await Promise.all([first, ...bg, ...fg]);
    const at = (name: string) => h.started.indexOf(name);
    // Interactive first, but the pool gets a turn every BACKGROUND_EVERY + 1.
    expect(at('b0')).toBe(1 + BACKGROUND_EVERY);
    expect(at('b1') - at('b0')).toBe(BACKGROUND_EVERY + 1);
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
  });

  it('idle work (warmup, hot refresh) runs only when no interactive or background work can start', async () => {
    const g = new Gate(1, 0);
    const [session, pool, refresh] = [{}, { background: true }, { background: true, idle: true }];
    const h = held();
    const first = g.enter([refresh], h.task('r0')).promise; // the gate is free: idle work starts at once
    const idle = Array.from({ length: 2 }, (_, i) => g.enter([refresh], h.task(`r${i + 1}`)).promise);
    const bg = Array.from({ length: 2 }, (_, i) => g.enter([pool], h.task(`b${i}`)).promise);
    const fg = Array.from({ length: 6 }, (_, i) => g.enter([session], h.task(`s${i}`)).promise);
    while (h.started.length < 11) await h.finishOne();
    await h.finishOne();
    await Promise.all([first, ...idle, ...bg, ...fg]);
    // Never refused, never ahead of a question or a push: the refresh's waiting work goes last.
    expect(h.started.slice(-2)).toEqual(['r1', 'r2']);
    expect(h.started.indexOf('b0')).toBe(1 + BACKGROUND_EVERY);
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
  });

  it('app work fills the extra slots (appMax) only while no interactive work runs or waits', async () => {
    const g = new Gate(1, 1000, Number.POSITIVE_INFINITY, 2);
    const [session, pool, refresh] = [{}, { background: true, width: 2 }, { background: true, idle: true, width: 2 }];
    const h = held();
    const pushes = Array.from({ length: 4 }, (_, i) => g.enter([pool], h.task(`b${i}`)).promise);
    await new Promise((r) => setTimeout(r, 0));
    expect(g.running).toBe(2); // nobody else asks: a push run takes both slots
    const asked = g.enter([session], h.task('s0')).promise;
    await h.finishOne(); // b0 done: its slot is the only one the interactive question may take (max 1)
    expect(h.started).toEqual(['b0', 'b1', 's0']);
    expect(g.running).toBe(2); // b1 and s0: no app work starts beside a running interactive question
    await h.finishOne(); // b1
    expect(g.running).toBe(1);
    await h.finishOne(); // s0: back to two app slots
    expect(g.running).toBe(2);
    const warm = g.enter([refresh], h.task('r0')).promise;
    while (h.started.length < 6) await h.finishOne();
    await h.finishOne();
    await h.finishOne();
    await Promise.all([...pushes, asked, warm]);
    expect(h.started).toEqual(['b0', 'b1', 's0', 'b2', 'b3', 'r0']);
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
    expect(() => new Gate(2, 10, 5, 1)).toThrow(RangeError);
  });

  it('never runs more than appMax, nor app work beside an interactive question, whatever the mix (seeded)', async () => {
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const g = new Gate(1, 1000, Number.POSITIVE_INFINITY, 2);
    const pool = { background: true, width: 2 };
    const refresh = { background: true, idle: true, width: 2 };
    const sessions = [{}, {}, {}];
    const owners: GateOwner[] = [pool, refresh, ...sessions];
    const running = new Map<number, { app: boolean; done: () => void }>();
    const violations: string[] = [];
    let n = 0;
    const task = (i: number) => (owner: GateOwner) =>
      new Promise<void>((resolve) => {
        const app = owner.background === true;
        running.set(i, { app, done: resolve });
        const apps = [...running.values()].filter((r) => r.app).length;
        const asked = running.size - apps;
        if (running.size > g.appMax) violations.push(`${running.size} running`);
        if (asked > g.max) violations.push(`${asked} interactive running`);
        if (app && running.size > g.max && asked > 0) violations.push('app work beside an interactive question');
      });
    const all: Promise<void>[] = [];
    const tickets: { join(o: GateOwner[]): void }[] = [];
    for (let step = 0; step < 400; step++) {
      const r = rand(10);
      if (r < 5) {
        const t = g.enter([owners[rand(owners.length)]], task(n++), rand(3) === 0 ? sessions[0] : undefined);
        tickets.push(t);
        all.push(t.promise);
      } else if (r < 6 && tickets.length > 0) tickets[rand(tickets.length)].join([owners[rand(owners.length)]]);
      else if (running.size > 0) {
        const ids = [...running.keys()];
        const id = ids[rand(ids.length)];
        running.get(id)!.done();
        running.delete(id);
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    while (running.size > 0 || g.queued > 0) {
      for (const [id, t] of running) {
        t.done();
        running.delete(id);
      }
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await Promise.all(all);
    expect(violations).toEqual([]);
    expect(n).toBeGreaterThan(150);
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
  });

  it('caps the questions one owner has open and forgets owners once they have none', () => {
    const g = new Gate(1, 1000, 2);
    const owner = {};
    const r1 = g.open(owner);
    const r2 = g.open(owner);
    expect(r1 && r2).toBeTruthy();
    expect(g.open(owner)).toBeUndefined();
    expect(g.open({})).toBeTruthy(); // another owner is not affected
    r1!();
    r1!(); // twice is harmless
    const r3 = g.open(owner);
    expect(r3).toBeTruthy();
    expect(g.open({ background: true })).toBeTruthy();
    r2!();
    r3!();
    expect(g.ownerCount).toBe(1); // the other owner's question is still open
  });

  it('drops what a closed owner left waiting; a question another owner joined still runs', async () => {
    const g = new Gate(1, 1000);
    const gone: GateOwner & { closed: boolean } = { closed: false };
    const other = { closed: false };
    const h = held();
    const running = g.enter([other], h.task('o0')).promise;
    const alone = expect(g.enter([gone], h.task('g1')).promise).rejects.toBeInstanceOf(SessionClosedError);
    const shared = g.enter([gone], h.task('g2'));
    shared.join([other]);
    gone.closed = true;
    await h.finishOne();
    await alone;
    expect(h.started).toEqual(['o0', 'g2']);
    await h.finishOne();
    expect(await running).toBe('o0');
    expect(await shared.promise).toBe('g2');
    expect([g.running, g.queued, g.ownerCount]).toEqual([0, 0, 0]);
  });
});
