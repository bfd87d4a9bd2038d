// Single flight and connection lanes on a real DuckDB instance: identical questions run once; when the session
// leading a shared query closes mid-query (interrupting it), the followers still get the answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { SessionClosedError } from '../../server/errors.ts';
import { Flight } from '../../server/flight.ts';
import { ConnLane } from '../../server/lane.ts';
import { Gate, newBucket, takeToken } from '../../server/limiter.ts';

let instance: DuckDBInstance;
beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:', { threads: '1' });
});
afterAll(() => instance?.closeSync());

/** Long enough to close a lane while it runs (seconds), and interruptible. */
const SLOW = 'SELECT sum(a * 2)::DOUBLE AS s FROM range(2000000000) t(a)';
const quick = async (conn: DuckDBConnection) => Number((await conn.runAndReadAll('SELECT 41 + 1 AS x')).getRowObjectsJS()[0].x);

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
    expect([takeToken(b, limit, 0), takeToken(b, limit, 0), takeToken(b, limit, 0), takeToken(b, limit, 0)]).toEqual([true, true, true, false]);
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
