// Session lanes keep their DuckDB connection for the next session instead of closing it (DuckDB's connect and
// disconnect run on the event loop): on a real in-memory instance, what is kept, what is closed, and that a
// connection whose lane was interrupted mid-query answers the next lane's.
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeIdleConnections, ConnLane, IDLE_MAX } from './lane.ts';

let instance: DuckDBInstance;
beforeEach(async () => {
  instance = await DuckDBInstance.create(':memory:');
});
afterEach(() => {
  closeIdleConnections(instance);
  instance.closeSync();
});

const connOf = (lane: ConnLane) => lane.withConn(async (conn) => conn);
const answers = async (conn: DuckDBConnection) =>
  (await conn.runAndReadAll('select 41 + 1 as x')).getRowObjects()[0].x === 42;
const closed = async (conn: DuckDBConnection) =>
  answers(conn).then(
    () => false,
    () => true,
  );

describe('recycled session connections', () => {
  it('a closed recycling lane leaves its connection to the next one; other lanes neither take nor leave one', async () => {
    const first = new ConnLane(instance, { recycle: true });
    const conn = await connOf(first);
    await first.close();
    expect(await closed(conn)).toBe(false);
    const plain = new ConnLane(instance);
    const own = await connOf(plain);
    expect(own).not.toBe(conn);
    await plain.close();
    expect(await closed(own)).toBe(true);
    const next = new ConnLane(instance, { recycle: true });
    expect(await connOf(next)).toBe(conn);
    await next.close();
  });

  it('a connection whose lane closed during a long query answers the next lane', async () => {
    const lane = new ConnLane(instance, { recycle: true });
    const conn = await connOf(lane);
    const long = lane.withConn((c) => c.run('select count(*) from range(10000000000) a'));
    await new Promise((r) => setTimeout(r, 50));
    await lane.close();
    await expect(long).rejects.toThrow();
    const next = new ConnLane(instance, { recycle: true });
    expect(await connOf(next)).toBe(conn);
    expect(await next.withConn(answers)).toBe(true);
    await next.close();
  });

  it(`keeps at most ${IDLE_MAX}, and none once the instance is closing`, async () => {
    const lanes = Array.from({ length: IDLE_MAX + 1 }, () => new ConnLane(instance, { recycle: true }));
    const conns = await Promise.all(lanes.map(connOf));
    for (const lane of lanes) await lane.close();
    expect(await closed(conns[IDLE_MAX])).toBe(true);
    expect(await closed(conns[0])).toBe(false);
    const late = new ConnLane(instance, { recycle: true });
    const taken = await connOf(late);
    closeIdleConnections(instance);
    expect((await Promise.all(conns.filter((c) => c !== taken).map(closed))).every(Boolean)).toBe(true);
    await late.close();
    expect(await closed(taken)).toBe(true);
  });
});
