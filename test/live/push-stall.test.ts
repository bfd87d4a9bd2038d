// Distinct subscriptions must not stall the live feed (issue 12): hundreds of sockets' private station.output
// questions, on the real server with LIVE=demo and no cache (so every push is a DuckDB query, counted by
// nemlive_query_duration_seconds). Groups whose subscribers left are not computed; the market advances without
// waiting for the push run, which goes on after it and is superseded by a newer interval (subscribers get the
// newest answer); the logged and measured latency runs from the commit to the last socket written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNemIso } from '../../shared/nem.ts';
import { Pipeline, type Advanced } from '../../server/live/pipeline.ts';
import { captureLog } from '../util/capture-log.ts';
import { PUSH_SLOTS } from '../../server/pusher.ts';
import { appendDemo } from '../../server/store/demo.ts';
import { metric, TestClient } from '../server/harness.ts';
import { startLiveServer, storeDir, type LiveServer, type StoreDir } from './harness.ts';
import { until } from '../util/wait.ts';

const SOCKETS = 4;
const PER_SOCKET = 64;

let store: StoreDir;
let server: LiveServer;
let duids: string[];
beforeAll(async () => {
  store = await storeDir(1);
  server = await startLiveServer(store, { LIVE: 'demo', REPLAY_SECONDS: '3600' }, { cache: false });
  const conn = await server.instance.connect();
  try {
    const rows = (
      await conn.runAndReadAll(`SELECT DISTINCT duid FROM scada ORDER BY duid LIMIT ${SOCKETS * PER_SOCKET}`)
    ).getRowObjectsJS();
    duids = rows.map((r) => String(r.duid));
  } finally {
    conn.closeSync();
  }
  expect(duids).toHaveLength(SOCKETS * PER_SOCKET);
});
afterAll(async () => {
  await server?.close();
  store?.remove();
});

/** SOCKETS sockets, each subscribed (with deltas) to PER_SOCKET station.output questions no other socket asks. */
async function privateSubscribers(): Promise<TestClient[]> {
  return Promise.all(
    Array.from({ length: SOCKETS }, async (_, s) => {
      const c = await TestClient.open(server.wsUrl);
      const ids = duids.slice(s * PER_SOCKET, (s + 1) * PER_SOCKET);
      // A few at a time: a socket's queued cold questions are capped (MAX_SESSION_QUEUE).
      for (let from = 0; from < ids.length; from += 16) {
        const chunk = ids.slice(from, from + 16);
        for (const [j, duid] of chunk.entries())
          c.send({ t: 'sub', id: from + j, kind: 'station.output', params: { duid }, delta: true });
        const answers = await Promise.all(
          chunk.map((_, j) => c.next((f) => f.id === from + j && (f.t === 'result' || f.t === 'error'), 60_000)),
        );
        for (const a of answers) expect(a, JSON.stringify(a)).toMatchObject({ t: 'result' });
      }
      return c;
    }),
  );
}

const stationQueries = async () =>
  metric(
    await (await fetch(`${server.url}/metrics`)).text(),
    'nemlive_query_duration_seconds_count',
    'kind="station.output"',
  );
/** Subscriptions the server has written interval `ts` into (it tracks what every delta subscription holds). */
const held = (ts: number) =>
  [...server.sessions.values()].reduce(
    (n, s) => n + [...server.pusher.subscriptionsOf(s).values()].filter((sub) => sub.held?.watermark === ts).length,
    0,
  );
/** A stored batch holding interval `ts`, as a feed hands it to the pipeline. */
const batch = (ts: number) => ({
  source: 'test',
  files: [],
  rows: {},
  window: { minTs: ts, maxTs: ts },
  ingestedAt: performance.now(),
});
const pushes = (cs: TestClient[], ts: number) =>
  cs.reduce((n, c) => n + c.frames.filter((f) => f.t === 'push' && f.meta.watermark === toNemIso(ts)).length, 0);

/**
 * Private subscribers, a new interval stored, and a pipeline with the default stage budget: `body` advances it;
 * `heldAtAdvance()` is how many subscriptions held the interval when the market showed it.
 */
async function staged(body: (p: Pipeline, ts: number, heldAtAdvance: () => number) => Promise<void>): Promise<void> {
  const clients = await privateSubscribers();
  const conn = await server.instance.connect();
  const pipeline = new Pipeline(conn, { market: server.market, pusher: server.pusher, log: captureLog().log });
  let atAdvance = -1;
  const stop = server.market.onAdvance((e) => (atAdvance = held(e.watermark)));
  try {
    await body(pipeline, await appendDemo(conn), () => atAdvance);
  } finally {
    stop();
    for (const c of clients) c.ws.terminate();
    await server.pusher.idle();
    conn.closeSync();
  }
}

describe('distinct subscriptions and the live feed', () => {
  it('does not compute the groups of subscribers who left while the push run was going', async () => {
    const clients = await privateSubscribers();
    const groups = server.pusher.groupCount;
    expect(groups).toBe(SOCKETS * PER_SOCKET);
    const step = server.demo().step();
    // The run has begun (one group pushed); every subscriber leaves.
    await until(() => clients.some((c) => c.frames.some((f) => f.t === 'push')), 'the first push');
    for (const c of clients) c.ws.terminate();
    await until(() => server.pusher.groupCount === 0, 'the server to drop every subscription');
    const atDrop = await stationQueries();
    await step;
    await server.pusher.idle();
    const after = await stationQueries();
    // Only the groups already being computed when their subscribers left (at most one per slot) were finished.
    expect(after - atDrop).toBeLessThanOrEqual(PUSH_SLOTS);
    const run = server.pusher.lastCycle!;
    expect(run.planned).toBe(groups);
    expect(run.dropped).toBeGreaterThan(0);
    expect(run.computed + run.dropped + run.failed + run.superseded).toBe(run.planned);
  });

  it('advances the market without waiting for pushes; a newer interval supersedes the run; latency is commit to last write', async () => {
    const clients = await privateSubscribers();
    const groups = SOCKETS * PER_SOCKET;
    const conn = await server.instance.connect();
    // The same pipeline the feed runs, with no time for pushes before the advance.
    const { log, lines } = captureLog();
    const pipeline = new Pipeline(conn, { market: server.market, pusher: server.pusher, log, budgetMs: 0 });
    // At each advance, how many subscriptions the server had written the new interval into.
    const heldAtAdvance: number[] = [];
    const stop = server.market.onAdvance((e) => heldAtAdvance.push(held(e.watermark)));
    try {
      const ts1 = await appendDemo(conn);
      const first = (await pipeline.advance(batch(ts1)))!;
      expect(server.market.watermark).toBe(ts1);
      // The next interval arrives while the first one's run is still going.
      expect(server.pusher.running?.watermark).toBe(ts1);
      const ts2 = await appendDemo(conn);
      const second: Advanced = (await pipeline.advance(batch(ts2)))!;
      expect(server.market.watermark).toBe(ts2);
      const [o1, o2] = await Promise.all([first.pushed, second.pushed]);

      // Both advances came before their intervals were pushed to every subscription.
      expect(heldAtAdvance).toHaveLength(2);
      for (const n of heldAtAdvance) expect(n).toBeLessThan(groups);
      // The first run stopped for the second; every subscriber got the second interval, most never the first.
      expect(o1.cycle?.superseded).toBeGreaterThan(0);
      expect(o2.cycle).toMatchObject({ planned: groups, superseded: 0, dropped: 0, failed: 0 });
      await until(
        () => pushes(clients, ts2) === groups,
        `${groups} pushes of the second interval (have ${pushes(clients, ts2)})`,
        60_000,
      );
      expect(pushes(clients, ts1)).toBeLessThan(groups);
      // Runs take turns: the second served first the groups the first had not reached (its first push to each
      // socket is for a question that socket did not get the first interval for).
      for (const c of clients) {
        const gotFirst = new Set(
          c.frames.filter((f) => f.t === 'push' && f.meta.watermark === toNemIso(ts1)).map((f) => f.id),
        );
        const firstOfSecond = c.frames.find((f) => f.t === 'push' && f.meta.watermark === toNemIso(ts2))!;
        expect(gotFirst.has(firstOfSecond.id), `socket ${clients.indexOf(c)}: ${[...gotFirst].join(',')}`).toBe(false);
      }
      expect(held(ts2)).toBe(groups);
      // Latency runs to the last socket written: at least the slowest group's, counted from its run's start.
      for (const o of [o1, o2]) {
        const slowest = Math.max(0, ...o.cycle!.groups.map((g) => g.sentMs));
        expect(o.latencyMs).toBeGreaterThanOrEqual(slowest);
      }
      expect(o2.cycle!.groups).toHaveLength(groups);
      expect(o2.latencyMs).toBeGreaterThanOrEqual(o2.cycle!.totalMs);
      const logged = lines.filter((l) => l.msg === 'live: new data pushed' && l.watermark === toNemIso(ts2));
      expect(logged).toMatchObject([{ groups, pushed: groups, latencyMs: Math.round(o2.latencyMs * 10) / 10 }]);
    } finally {
      stop();
      for (const c of clients) c.ws.terminate();
      await server.pusher.idle();
      conn.closeSync();
    }
  });

  it('waits for the push run before the advance, within the stage budget (STAGE_BUDGET_MS)', () =>
    staged(async (pipeline, ts, heldAtAdvance) => {
      const advanced = (await pipeline.advance(batch(ts)))!;
      const runMs = (await advanced.pushed).cycle!.totalMs;
      // Every subscription had the interval when the market showed it (unless the run outlasted the budget).
      if (runMs < 25_000) expect(heldAtAdvance()).toBe(SOCKETS * PER_SOCKET);
      expect(server.market.watermark).toBe(ts);
    }));

  it('stops waiting for the push run when halted (shutdown): the market advances at once', () =>
    staged(async (pipeline, ts, heldAtAdvance) => {
      const advancing = pipeline.advance(batch(ts));
      await until(() => held(ts) > 0, 'the first push of the run');
      pipeline.halt();
      const advanced = (await advancing)!;
      expect(server.market.watermark).toBe(ts);
      expect(heldAtAdvance()).toBeLessThan(SOCKETS * PER_SOCKET);
      await advanced.pushed; // the run itself goes on to the end
      expect(held(ts)).toBe(SOCKETS * PER_SOCKET);
    }));
});
