// Alert events on a real store: the derivation's hysteresis and records against a walk over the same prices written
// here in TypeScript, each event stored once (unique keys, a reopened log as after a restart), nothing for data older
// than the watermark at boot; notices parsed from the hand-made fixtures; the market.status kind against the raw CSV.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { levelBand, NEGATIVE_REARM, PRICE_LEVELS, type AlertEvent } from '../../shared/kinds/alerts.ts';
import { openTestStore, type TestStore } from '../../test/util/synthetic-data.ts';
import { ask } from '../../test/util/catalogue.ts';
import { ingestFiles } from '../store/ingest.ts';
import { readWatermark } from '../store/db.ts';
import { REGIONS } from '../../shared/nem.ts';
import { AlertLog } from './alert-log.ts';
import { derive, deriveIntervalEvents, seedCarried } from './derive.ts';
import { storeEvents, type Candidate } from './event-store.ts';
import { isNoticeName, parseNotice } from './notices.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const NOTICES = join(FIXTURES, 'aemo-notices');
const T0 = 1_790_000_100 - (1_790_000_100 % 300);

let store: TestStore;
beforeEach(async () => {
  store = await openTestStore();
});
afterEach(() => store.close());

/** Stores SA1 prices (demand 1,000 + i) from T0 + 300 on, one per interval; returns the last interval's end. */
async function prices(rrps: number[], from = T0, demand = (i: number) => 1000 + i): Promise<number> {
  const values = rrps.map((p, i) => `(${from + 300 * (i + 1)}, 'SA1', ${p}, ${demand(i)})`);
  await store.conn.run(`INSERT INTO price VALUES ${values.join(', ')}`);
  return from + 300 * rrps.length;
}

/** The crossings a price walk fires, by the rule in words: fire on reaching, re-arm only once clearly back. */
function walk(rrps: number[]): { i: number; level: number | null }[] {
  const out: { i: number; level: number | null }[] = [];
  const conditions = [
    ...PRICE_LEVELS.map((l) => ({
      level: l as number | null,
      on: (p: number) => p >= l,
      off: (p: number) => p < l - levelBand(l),
    })),
    { level: null, on: (p: number) => p < 0, off: (p: number) => p >= NEGATIVE_REARM },
  ];
  for (const c of conditions) {
    let armed = true;
    rrps.forEach((p, i) => {
      if (c.on(p)) {
        if (armed) out.push({ i, level: c.level });
        armed = false;
      } else if (c.off(p)) armed = true;
    });
  }
  return out;
}

describe('deriving events', () => {
  it('fires a level once while the price hovers at it, again only after falling clear; negatives likewise', async () => {
    const rrps = [100, 310, 290, 305, 299, 240, 320, 1200, 950, 1010, 880, 1005, 60, -5, 5, -3, 15, -1, 20300, 40];
    const hi = await prices(rrps);
    const got = await deriveIntervalEvents(store.conn, T0, hi);
    const expected = walk(rrps);
    const fired = got.filter((e) => e.type === 'price.above' || e.type === 'price.negative');
    expect(fired.map((e) => [(e.time - T0) / 300 - 1, e.level]).sort()).toEqual(
      expected.map((x) => [x.i, x.level]).sort(),
    );
    // Spelled out, so the rule is visible: $300 fires at 310, not again at 305 (never below $250), again at 320.
    const at300 = fired.filter((e) => e.level === 300).map((e) => e.value);
    expect(at300).toEqual([310, 320, 20300]);
    expect(fired.filter((e) => e.level === 1000).map((e) => e.value)).toEqual([1200, 1005, 20300]);
    expect(fired.filter((e) => e.type === 'price.negative').map((e) => e.value)).toEqual([-5, -1]);
  });

  it('derives only the intervals asked for, looking back for the hysteresis', async () => {
    const hi = await prices([310, 290, 305, 240, 320]);
    const late = await deriveIntervalEvents(store.conn, T0 + 900, hi); // the 240 and the 320
    expect(late.filter((e) => e.level === 300).map((e) => e.value)).toEqual([320]);
  });

  it('calls a run of rising records one event, the first', async () => {
    // A day of history, then demand rising past its maximum for three intervals, falling, and beating it again.
    const base = Array.from({ length: 288 }, () => 50);
    const h0 = await prices(base, T0, (i) => 1000 + (i % 50));
    const d = [900, 1100, 1200, 1300, 1000, 1301];
    const hi = await prices([60, 70, 80, 90, 40, 95], h0, (i) => d[i]);
    const got = await deriveIntervalEvents(store.conn, h0, hi);
    const demand = got.filter((e) => e.type === 'demand.record');
    expect(demand.map((e) => [e.value, e.level])).toEqual([
      [1100, 1049],
      [1301, 1300],
    ]);
    const price = got.filter((e) => e.type === 'price.record');
    expect(price.map((e) => e.value)).toEqual([60, 95]);
  });
  it('carries hysteresis and maxima between commits: interval by interval fires what one pass over them fires', async () => {
    const rrps = [100, 310, 290, 305, 240, 1200, 950, 1010, 880, 60, -5, 5, -3, 15, 20300, 40, 320, 5100, 100, 10500];
    const hi = await prices(rrps, T0, (i) => 1000 + ((i * 7) % 23) * 10);
    // From the third interval: two before it, so there is a maximum to beat (none: no record fires).
    const once = await deriveIntervalEvents(store.conn, T0 + 600, hi);
    let carried = await seedCarried(store.conn, T0 + 600);
    const stepwise = [];
    for (let t = T0 + 900; t <= hi; t += 300) {
      const r = await derive(store.conn, t - 300, t, carried);
      stepwise.push(...r.events);
      carried = r.after;
    }
    expect(stepwise).toEqual(once);
    expect(new Set(once.map((e) => e.type))).toEqual(
      new Set(['price.above', 'price.negative', 'price.record', 'demand.record']),
    );
  });

  it('on random walks in every region, commits of random sizes fire what one pass fires, and the walk its crossings', async () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const n = 80;
    // Prices that visit every band: negative, near $300, spikes to $1,000–$17,000, and calm; demand sometimes blank.
    const walks = REGIONS.map(() =>
      Array.from({ length: n }, () => {
        const x = rnd();
        return x < 0.1 ? -40 + rnd() * 55 : x < 0.3 ? 240 + rnd() * 120 : x < 0.4 ? 900 + rnd() * 16000 : rnd() * 300;
      }),
    );
    const values = walks.flatMap((w, r) =>
      w.map((p, i) => `(${T0 + 300 * (i + 1)}, '${REGIONS[r]}', ${p}, ${rnd() < 0.1 ? 'NULL' : 1000 + rnd() * 900})`),
    );
    await store.conn.run(`INSERT INTO price VALUES ${values.join(', ')}`);
    const hi = T0 + 300 * n;
    // From the third interval: two before it, so there is a maximum to beat (none: no record fires).
    const once = await deriveIntervalEvents(store.conn, T0 + 600, hi);
    let carried = await seedCarried(store.conn, T0 + 600);
    const stepwise = [];
    for (let lo = T0 + 600; lo < hi;) {
      const next = Math.min(hi, lo + 300 * Math.ceil(rnd() * 5));
      const r = await derive(store.conn, lo, next, carried);
      stepwise.push(...r.events);
      carried = r.after;
      lo = next;
    }
    expect(stepwise).toEqual(once);
    REGIONS.forEach((region, r) => {
      // The crossings of the third interval on, with the hysteresis of the two before (the walk's from the first).
      const crossed = once.filter(
        (e) => e.region === region && (e.type === 'price.above' || e.type === 'price.negative'),
      );
      const expected = walk(walks[r])
        .filter((x) => x.i >= 2)
        .map((x) => [T0 + 300 * (x.i + 1), x.level]);
      expect(crossed.map((e) => [e.time, e.level])).toEqual(expect.arrayContaining(expected));
      expect(crossed).toHaveLength(expected.length);
    });
  });

  it("fires administered pricing and suspension when AEMO's flag turns on, not while it stays on", async () => {
    const hi = await prices([50, 50, 50, 50]);
    const flags = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ];
    const rows = flags.map(([apc, sus], i) => `(${T0 + 300 * (i + 1)}, 'SA1', ${apc}, ${sus}, 1, NULL)`);
    await store.conn.run(`INSERT INTO market_status VALUES ${rows.join(', ')}`);
    const got = await deriveIntervalEvents(store.conn, T0, hi);
    expect(got.map((e) => [e.type, e.time])).toEqual([
      ['market.administered', T0 + 600],
      ['market.suspended', T0 + 900],
    ]);
  });
});

describe('the alert log', () => {
  it('stores each event once, and a restarted log fires nothing for data older than its boot watermark', async () => {
    const w1 = await prices([100, 400, 100]);
    const log = await AlertLog.open(store.conn, T0, false);
    const heard: AlertEvent[] = [];
    log.onEvents((e) => heard.push(...e));
    const first = await log.commit(store.conn, w1);
    expect(first.map((e) => [e.type, e.level, e.time])).toEqual([['price.above', 300, T0 + 600]]);
    expect(await log.commit(store.conn, w1)).toEqual([]); // committed again: nothing new
    // The same candidates stored again (a second process, a retried batch): the unique key keeps them out.
    expect(await storeEvents(store.conn, await deriveIntervalEvents(store.conn, T0, w1))).toEqual([]);

    // A restart: the log reopens at the store's watermark; older intervals fire nothing even if never derived.
    const w2 = await prices([500, 100, 600], w1);
    const reopened = await AlertLog.open(store.conn, w2, false);
    expect(reopened.cursor).toBe(first[0].seq);
    expect(reopened.since(0).events.map((e) => e.seq)).toEqual([first[0].seq]);
    const w3 = await prices([100, 700], w2);
    const after = await reopened.commit(store.conn, w3);
    // The 700 reaches $300 (re-armed by the 100s) and beats the stored maximum, the never-derived 600.
    expect(after.map((e) => [e.type, e.level, e.time])).toEqual([
      ['price.above', 300, w3],
      ['price.record', 600, w3],
    ]);
    expect(after[0].seq).toBeGreaterThan(first[0].seq);
    expect(heard).toEqual(first); // the first log heard only its own
    const n = (await store.conn.runAndReadAll('SELECT count(*)::INTEGER FROM alert_event')).getRows()[0][0];
    expect(n).toBe(3);
  });

  it('stores a catch-up of hundreds of events once each, fires a key given twice once, and stores none of a failed batch', async () => {
    const cand = (i: number, text: string | null = `event ${i}`): Candidate => ({
      key: `price.above:SA1:300:${T0 + 300 * i}`,
      type: 'price.above',
      region: 'SA1',
      time: T0 + 300 * i,
      value: 400,
      level: 300,
      text: text as string,
      notice: null,
    });
    const count = async () =>
      (await store.conn.runAndReadAll('SELECT count(*)::INTEGER FROM alert_event')).getRows()[0][0];
    // 300 events, the store refuses the 200th (text is NOT NULL): the transaction stores none of them.
    const many = Array.from({ length: 300 }, (_, i) => cand(i + 1));
    await expect(
      storeEvents(
        store.conn,
        many.map((c, i) => (i === 199 ? cand(200, null) : c)),
      ),
    ).rejects.toThrow();
    expect(await count()).toBe(0);
    // Retried: all stored, in order; the same key twice in a batch (in one INSERT, and 16 rows apart) fires once.
    const stored = await storeEvents(store.conn, [...many.slice(0, 3), many[1], ...many.slice(3), many[20]]);
    expect(stored.map((e) => e.key)).toEqual(many.map((c) => c.key));
    expect(await count()).toBe(300);
    expect(await storeEvents(store.conn, [cand(301), cand(301)])).toHaveLength(1);
    expect(await storeEvents(store.conn, many)).toEqual([]);
  });

  it('judges records against rows written late for intervals it derived already (a backfill while it runs)', async () => {
    const w1 = await prices([100, 120, 110]);
    const log = await AlertLog.open(store.conn, w1, false);
    // A backfill stores an older day whose price and demand beat everything since: the stored maxima are now these.
    await store.conn.run(`INSERT INTO price VALUES (${T0 - 86400}, 'SA1', 15000, 5000)`);
    const w2 = await prices([130, 50], w1, () => 1500);
    await log.commit(store.conn, w2, T0 - 86400);
    const w3 = await prices([140], w2, () => 1600);
    // 130 and 140 beat nothing stored before them (15,000 was), nor 1,500 and 1,600 MW the 5,000: no record.
    const fired = await log.commit(store.conn, w3);
    expect(fired.filter((e) => e.type.endsWith('.record'))).toEqual([]);
    // What a log opened on this store fires for the same intervals (one pass over what is stored).
    expect((await deriveIntervalEvents(store.conn, w2, w3)).filter((e) => e.type.endsWith('.record'))).toEqual([]);
  });

  it('fires no demand record before any demand is stored to beat (prices stored without demand)', async () => {
    const h = await prices([50, 60, 55], T0, () => null as unknown as number);
    const w = await prices([40, 45], h, (i) => 1000 - i);
    const log = await AlertLog.open(store.conn, h, false);
    expect((await log.commit(store.conn, w)).map((e) => [e.type, e.time])).toEqual([]);
    // Interval by interval, from before the first demand: the same.
    let carried = await seedCarried(store.conn, h);
    for (let t = h + 300; t <= w; t += 300) {
      const r = await derive(store.conn, t - 300, t, carried);
      expect(r.events).toEqual([]);
      carried = r.after;
    }
  });

  it('replays from a cursor and says when the cursor is older than what it holds', async () => {
    const w = await prices([400, 100, 400, 100, 400]);
    const log = await AlertLog.open(store.conn, T0, false);
    const events = await log.commit(store.conn, w);
    expect(events).toHaveLength(3);
    expect(log.since(events[0].seq).events).toEqual(events.slice(1));
    expect(log.since(events[0].seq).complete).toBe(true);
    expect(log.since(log.cursor).events).toEqual([]);
  });

  it('makes a demo notice for a demo price of $5,000 or more, and only in a demo store', async () => {
    const w = await prices([100, 6000]);
    const log = await AlertLog.open(store.conn, T0, true);
    const events = await log.commit(store.conn, w);
    const notice = events.find((e) => e.type === 'notice')!;
    expect(notice.notice).toMatchObject({ category: 'lor', lor: 1, forecast: false });
    expect(notice.notice!.id).toBeLessThan(0);
    expect(notice.text).toMatch(/^\[Demo\] Actual Lack Of Reserve Level 1 \(LOR1\) in the SA Region/);
    expect(notice.region).toBe('SA1');
    // The same price in a store of AEMO's data: no notice is made up.
    const plain = await AlertLog.open(store.conn, w, false);
    const later = await plain.commit(store.conn, await prices([100, 7000], w));
    expect(later.map((e) => e.type)).not.toContain('notice');
    expect(later.filter((e) => e.type === 'price.above').map((e) => e.level)).toEqual([300, 1000, 5000]);
  });
});

describe('market notices', () => {
  const files = readdirSync(NOTICES).filter(isNoticeName).sort();

  it('reads every fixture: id, creation time, type, title, region, category, LOR level, forecast, cancelled', () => {
    expect(files).toHaveLength(6);
    const n = Object.fromEntries(files.map((f) => [f.split('.R')[1], parseNotice(f, readFileSync(join(NOTICES, f)))]));
    const at = (d: string) => Date.parse(`${d}+10:00`) / 1000;
    expect(n['130101']).toMatchObject({
      id: 130101,
      created: at('2026-05-01T00:12:31'),
      typeId: 'RESERVE NOTICE',
      typeDescription: 'LRC/LOR1/LOR2/LOR3',
      reference: 'Actual Lack Of Reserve Level 2 (LOR2) in the SA region - 01/05/2026',
      region: 'SA1',
      category: 'lor',
      lor: 2,
      forecast: false,
      cancelled: false,
    });
    expect(n['130101'].reason).toMatch(/^AEMO ELECTRICITY MARKET NOTICE[\s\S]*Manager NEM Real Time Operations$/);
    expect(n['130102']).toMatchObject({ region: 'QLD1', category: 'lor', lor: 1, forecast: true, cancelled: false });
    expect(n['130103']).toMatchObject({ region: 'NSW1', category: 'lor', lor: 3, forecast: true, cancelled: true });
    expect(n['130104']).toMatchObject({ region: 'SA1', category: 'administered', lor: null });
    expect(n['130105']).toMatchObject({ region: null, category: 'suspension', typeId: 'MARKET SYSTEMS' });
    expect(n['130090']).toMatchObject({ region: 'NSW1', category: 'other', created: at('2026-04-30T16:42:58') });
  });

  it('refuses what is not a notice, naming the file', () => {
    const bad = (text: string) => () => parseNotice('NEMITWEB1_MKTNOTICE_20260501.R1', Buffer.from(text));
    expect(bad('hello')).toThrow(/no "Reason :" line/);
    expect(bad('Notice ID : 12\nReason :\nx')).toThrow(/no "creation date" field/);
    expect(bad('Creation Date : 99/99/2026 00:00:00\nNotice ID : 1\nReason :\n')).toThrow(/Creation Date/);
    expect(bad('Creation Date : 01/05/2026 00:00:00\nNotice ID : x1\nReason :\n')).toThrow(/Notice ID "x1"/);
    expect(() => parseNotice('N', new Uint8Array(300 * 1024))).toThrow(/a notice is a few KB/);
  });

  it('are ingested once each, and fire an event only when created after the watermark at boot', async () => {
    await prices([50]); // watermark T0 + 300, long before the notices
    const boot = Date.parse('2026-05-01T00:00:00+10:00') / 1000;
    const log = await AlertLog.open(store.conn, boot, false);
    const r = await ingestFiles(store.conn, [NOTICES]);
    expect(r.rejected).toBe(0);
    expect(r.rows).toEqual({ market_notice: 6 });
    expect((await ingestFiles(store.conn, [NOTICES])).rows).toEqual({ market_notice: 0 });
    const events = await log.commit(store.conn, (await readWatermark(store.conn))!.watermark);
    // 130090 was created on 30 April, before the boot watermark: stored, no event.
    expect(events.map((e) => e.notice!.id).sort()).toEqual([130101, 130102, 130103, 130104, 130105]);
    expect(events.every((e) => e.type === 'notice' && e.key === `notice:${e.notice!.id}`)).toBe(true);
    expect(await log.commit(store.conn, T0 + 300)).toEqual([]);
  });
});

describe('market.status', () => {
  const PRICE = 'PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip';

  it("reports AEMO's flags and cumulative price at the last interval, as the file has them", async () => {
    await ingestFiles(store.conn, [join(FIXTURES, 'aemo', PRICE)]);
    const wm = (await readWatermark(store.conn))!;
    const ctx = { conn: store.conn, watermark: wm.watermark, firstTs: wm.firstTs };
    const status = await ask(ctx, 'market.status', {});
    // The raw file, read independently: the last D row of each region with INTERVENTION 0.
    const csv = Buffer.from(Object.values(unzipSync(readFileSync(join(FIXTURES, 'aemo', PRICE))))[0]).toString(
      'latin1',
    );
    const lines = csv.split(/\r?\n/).map((l) => l.split(','));
    const cols = lines.find((l) => l[0] === 'I')!.slice(4);
    const last = new Map<string, Record<string, string>>();
    for (const l of lines)
      if (l[0] === 'D') {
        const row = Object.fromEntries(cols.map((c, i) => [c, l[i + 4]]));
        if (row.INTERVENTION === '0') last.set(row.REGIONID, row);
      }
    expect(status.rows.map((r) => r.region)).toEqual(['NSW1', 'SA1']);
    for (const r of status.rows) {
      const raw = last.get(r.region)!;
      expect(r.time).toBe(wm.watermark);
      expect(r.rrp).toBeCloseTo(Number(raw.RRP), 2);
      expect(r.priceStatus).toBe(raw.PRICE_STATUS === 'FIRM' ? 'firm' : 'not firm');
      expect(r.administered).toBe(raw.APCFLAG === '1');
      expect(r.suspended).toBe(raw.MARKETSUSPENDEDFLAG === '1');
      expect(r.cumulativeSource).toBe('aemo');
      expect(r.cumulativePrice).toBeCloseTo(Number(raw.CUMUL_PRE_AP_ENERGY_PRICE), 2);
      expect(r.cumulativeShare).toBeCloseTo(Number(raw.CUMUL_PRE_AP_ENERGY_PRICE) / status.threshold, 4);
    }
    const sa = await ask(ctx, 'market.status', { region: 'SA1' });
    expect(sa.rows.map((r) => r.region)).toEqual(['SA1']);
  });

  it('adds up the last 2,016 stored prices where the store has no flags (the demo)', async () => {
    const rrps = Array.from({ length: 2100 }, (_, i) => ((i * 37) % 500) - 50);
    const hi = await prices(rrps);
    const status = await ask({ conn: store.conn, watermark: hi, firstTs: T0 + 300 }, 'market.status', {});
    const [sa] = status.rows;
    expect(sa).toMatchObject({ region: 'SA1', priceStatus: null, administered: null, suspended: null });
    expect(sa.cumulativeSource).toBe('computed');
    expect(sa.cumulativeIntervals).toBe(2016);
    expect(sa.cumulativePrice).toBeCloseTo(
      rrps.slice(-2016).reduce((s, x) => s + x, 0),
      2,
    );
  });
});
