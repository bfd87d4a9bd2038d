// Alert cursors across replicas, and alerts subscriptions on a WORKERS=2 server, against real server processes: two
// replicas built alike (one store copied), each watching its own folder, fed the same NEMWEB files. A is one process,
// B a supervisor with two workers. Both number every event alike; a subscriber that leaves A and resubscribes to B
// with `since` gets exactly the events it missed, none again, even when the two stored them in different orders or A
// was ahead of B (B then skips, as they come, the events A already sent); and B's subscribers, spread over both
// workers, get each event exactly once.
import { get } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchIs } from '../../bench/nemweb/files.ts';
import { openStore, readWatermark } from '../../server/store/db.ts';
import type { AlertEvent, AlertsAnswer } from '../../shared/kinds/alerts.ts';
import { REGIONS } from '../../shared/nem.ts';
import { encode } from '../../shared/protocol.ts';
import { copyDirs } from '../production/child.ts';
import { TestClient, type Frame } from '../server/harness.ts';
import { until } from '../util/wait.ts';
import { spawnLiveServer, storeDir, type ChildServer, type StoreDir } from './harness.ts';

const RULES = ['NEM:price.above:300', 'NEM:notice.any'];
const NOTICE = join(import.meta.dirname, '../fixtures/aemo-notices/NEMITWEB1_MKTNOTICE_20260501.R130101');
/** Sockets on B: spread over its two workers by the kernel (all on one: 2^-15). */
const ON_B = 16;

interface Replica {
  store: StoreDir;
  inbox: string;
  server?: ChildServer;
}
let a: Replica;
let b: Replica;
let w0: number;

/** An interval's DISPATCHIS file (every region's price `base` + its index), dropped in the replicas' folders. */
function drop(to: Replica[], ts: number, base: number): void {
  const f = dispatchIs(ts, base);
  for (const r of to) writeFileSync(join(r.inbox, f.name), f.bytes);
}

/** The fixture notice with another id and creation time (epoch s), dropped in the replicas' folders. */
function dropNotice(to: Replica[], id: number, created: number): void {
  const nem = new Date((created + 10 * 3600) * 1000).toISOString();
  const [y, m, d] = nem.slice(0, 10).split('-');
  const text = readFileSync(NOTICE, 'latin1')
    .replace(/Creation Date :\s+\S+\s+\S+/, `Creation Date :     ${d}/${m}/${y}     ${nem.slice(11, 19)}`)
    .replace(/Notice ID(\s+):(\s+)\d+/, `Notice ID$1:$2${id}`);
  for (const r of to) writeFileSync(join(r.inbox, `NEMITWEB1_MKTNOTICE_${y}${m}${d}.R${id}`), text);
}

/** A replica's `alerts` answer: every event it holds (the newest 50, more than this test makes) and its cursor. */
async function held(r: Replica): Promise<AlertsAnswer> {
  const c = await TestClient.open(r.server!.wsUrl);
  try {
    const f = await c.query('alerts', { rules: RULES });
    expect(f.t).toBe('result');
    return f.data as AlertsAnswer;
  } finally {
    await c.close();
  }
}

/** Waits until both replicas hold `n` events; returns A's answer, after checking B's is the same, byte for byte. */
async function bothHold(n: number): Promise<AlertsAnswer> {
  let got: AlertsAnswer | undefined;
  await until(
    async () => (got = await held(a)).events.length === n && (await held(b)).events.length === n,
    `${n} events`,
    30_000,
  );
  expect(Buffer.from(encode(await held(b)))).toEqual(Buffer.from(encode(got)));
  return got!;
}

const keys = (es: AlertEvent[]) => es.map((e) => e.key);
const isPush = (id: string) => (f: Frame) => f.t === 'push' && f.id === id;

function healthOf(base: string): Promise<{ worker: { id: number; sessions: number } }> {
  return new Promise((resolve, reject) => {
    get(`${base}/healthz`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve(JSON.parse(body) as { worker: { id: number; sessions: number } }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  const storeA = await storeDir(2);
  a = { store: storeA, inbox: join(storeA.dir, 'inbox') };
  const storeB = copyDirs(storeA, 'nemlive-live-');
  b = { store: storeB, inbox: join(storeB.dir, 'inbox') };
  for (const r of [a, b]) mkdirSync(r.inbox);
  const { instance } = await openStore({ dataDir: a.store.dataDir, threads: 1 });
  const conn = await instance.connect();
  w0 = (await readWatermark(conn))!.watermark;
  conn.closeSync();
  instance.closeSync();
  [a.server, b.server] = await Promise.all([
    spawnLiveServer(a.store, { LIVE: `watch:${a.inbox}` }),
    spawnLiveServer(b.store, { LIVE: `watch:${b.inbox}`, WORKERS: '2' }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([a?.server?.stop(), b?.server?.stop()]);
  a?.store.remove();
  b?.store.remove();
});

describe('alert cursors across replicas', () => {
  it('number events alike on both, and a subscriber moving from A to B with since gets exactly what it missed', async () => {
    // B's subscribers, over both workers: each must hear every event below exactly once.
    const onB = await Promise.all(Array.from({ length: ON_B }, () => TestClient.open(b.server!.wsUrl)));
    const heard = (c: TestClient) => c.frames.filter(isPush('b')).flatMap((f) => f.data.events as AlertEvent[]);
    try {
      for (const c of onB)
        expect((await c.request('sub', 'alerts', { rules: RULES }, 'b')).data).toEqual({
          events: [],
          cursor: 0,
          complete: true,
        });
      const workers = new Map<number, number>();
      for (let i = 0; i < 200 && workers.size < 2; i++) {
        const h = await healthOf(b.server!.base);
        workers.set(h.worker.id, h.worker.sessions);
      }
      expect([...workers.values()].every((n) => n > 0)).toBe(true); // both workers hold some

      const s = await TestClient.open(a.server!.wsUrl);
      expect((await s.request('sub', 'alerts', { rules: RULES }, 's')).data.cursor).toBe(0);
      // $100 (re-arming), then $400..404: five events, numbered alike on both.
      drop([a, b], w0 + 300, 100);
      drop([a, b], w0 + 600, 400);
      const p1 = await s.next(isPush('s'));
      const first = await bothHold(5);
      expect(p1.data.events).toEqual(first.events);
      expect(first.events.map((e) => [e.region, e.value, e.time])).toEqual(
        REGIONS.map((r, i) => [r, 400 + i, w0 + 600]),
      );
      // The cursor: the newest event stored, matched by these rules or not (a price record may follow).
      const cursor1 = p1.data.cursor as number;
      expect(cursor1).toBe(first.cursor);
      await s.close();

      // While it is away: a notice, a hovering price (nothing), and $500..504 after re-arming. The notice reaches B
      // only after the prices (stored in another order there: the cursors must not care).
      dropNotice([a], 990101, w0 + 700);
      await until(async () => (await held(a)).events.length === 6, 'the notice on A');
      drop([a, b], w0 + 900, 410);
      drop([a, b], w0 + 1200, 100);
      drop([a, b], w0 + 1500, 500);
      await until(async () => (await held(b)).events.length === 10, 'the $500s on B');
      dropNotice([b], 990101, w0 + 700);
      const all = await bothHold(11);
      const missed = all.events.filter((e) => e.seq > cursor1);
      expect(missed.map((e) => [e.type, e.time])).toEqual([
        ['notice', w0 + 700],
        ...REGIONS.map(() => ['price.above', w0 + 1500]),
      ]);

      // To B, with A's cursor: exactly the six it missed.
      const s2 = await TestClient.open(b.server!.wsUrl);
      s2.send({ t: 'sub', id: 's', kind: 'alerts', params: { rules: RULES }, since: String(cursor1) });
      const replay = await s2.next((f) => f.id === 's');
      expect(replay.data).toEqual({ events: missed, cursor: all.cursor, complete: true });

      // A goes ahead of B: $100 then $600..604 reach A only. A subscriber on A hears them, then moves to B.
      const t = await TestClient.open(a.server!.wsUrl);
      t.send({ t: 'sub', id: 't', kind: 'alerts', params: { rules: RULES }, since: String(all.cursor) });
      expect((await t.next((f) => f.id === 't')).data.events).toEqual([]);
      drop([a], w0 + 1800, 100);
      drop([a], w0 + 2100, 600);
      const ahead = await t.next(isPush('t'));
      expect(keys(ahead.data.events as AlertEvent[])).toHaveLength(5);
      await t.close();
      const t2 = await TestClient.open(b.server!.wsUrl);
      t2.send({ t: 'sub', id: 't', kind: 'alerts', params: { rules: RULES }, since: String(ahead.data.cursor) });
      // B has nothing after it yet, and keeps the cursor it was given.
      expect((await t2.next((f) => f.id === 't')).data).toEqual({
        events: [],
        cursor: ahead.data.cursor,
        complete: true,
      });
      // B catches up: s2 hears the five, t2 nothing (A sent them); then $700..704 on both: each hears those once.
      drop([b], w0 + 1800, 100);
      drop([b], w0 + 2100, 600);
      const caught = await s2.next(isPush('s'));
      expect(caught.data.events).toEqual(ahead.data.events);
      drop([a, b], w0 + 2400, 100);
      drop([a, b], w0 + 2700, 700);
      const last = await bothHold(21);
      const p700 = last.events.slice(-5);
      expect(p700.map((e) => e.value)).toEqual(REGIONS.map((_, i) => 700 + i));
      const next = await t2.next(isPush('t'));
      expect(next.data.events).toEqual(p700);
      expect((await s2.next(isPush('s'))).data.events).toEqual(p700);
      expect(t2.frames.filter((f) => f.id === 't')).toEqual([]); // nothing else, in particular not the $600s again
      await Promise.all([s2.close(), t2.close()]);

      // Every subscriber on B, whichever worker holds it, heard each of B's 21 events once.
      await until(() => onB.every((c) => heard(c).length >= 21), "B's subscribers to hear 21 events", 30_000);
      for (const c of onB) expect(keys(heard(c).sort((x, y) => x.seq - y.seq))).toEqual(keys(last.events));
    } finally {
      await Promise.all(onB.map((c) => c.close()));
    }
  }, 180_000);
});
