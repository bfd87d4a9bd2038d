// ensureStore: the first start builds the demo into an empty DATA_DIR, later starts reuse it, a build that was
// interrupted (meta demo_status = 'building') is redone, and a store a real feed is to fill gets the registry only,
// also when it already holds AEMO data imported without one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from './db.ts';
import { DEMO_WATERMARK } from './demo.ts';
import { CATCH_UP_DAYS, ensureStore } from './ensure-store.ts';
import { lastWholeInterval } from '../../shared/nem.ts';
import { ingestFiles } from './ingest.ts';

const dir = mkdtempSync(join(tmpdir(), 'nem-ensure-'));
const config = { dataDir: dir, demoDays: 1, threads: 2, memoryLimit: '1GB' };

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function start(): Promise<{ built: boolean; watermark: number | null; lines: string[]; scada: number }> {
  const lines: string[] = [];
  const s = await ensureStore(config, { info: (m) => lines.push(m) });
  const conn = await s.instance.connect();
  const scada = Number((await conn.runAndReadAll('SELECT count(*) FROM scada')).getRows()[0][0]);
  conn.closeSync();
  s.instance.closeSync();
  return { built: s.built, watermark: s.watermark, lines, scada };
}

describe('ensureStore', () => {
  it('builds the demo from the shipped registry into an empty DATA_DIR, logging each stage', async () => {
    const s = await start();
    expect(s).toMatchObject({ built: true, watermark: DEMO_WATERMARK });
    expect(s.scada).toBe(561 * 288);
    expect(s.lines[0]).toMatch(/^registry: 561 units from 573 rows/);
    expect(s.lines.some((l) => /^demo: unit SCADA rows \d+\.\d s$/.test(l))).toBe(true);
    expect(s.lines.some((l) => /^demo: rollups \d+\.\d s$/.test(l))).toBe(true);
  });

  it('reuses the store on the next start', async () => {
    const s = await start();
    expect(s).toMatchObject({ built: false, watermark: DEMO_WATERMARK, scada: 561 * 288, lines: [] });
  });

  it('rebuilds when a previous build was interrupted', async () => {
    const first = await ensureStore(config, { info: () => {} });
    const conn = await first.instance.connect();
    await conn.run(`UPDATE meta SET value = 'building' WHERE key = 'demo_status'`);
    await conn.run(`DELETE FROM scada WHERE ts > ${DEMO_WATERMARK - 3600}`); // as if the process died mid-insert
    conn.closeSync();
    first.instance.closeSync();
    const s = await start();
    expect(s).toMatchObject({ built: true, scada: 561 * 288 });
    expect(s.lines.some((l) => l.startsWith('registry:'))).toBe(false); // units were already there
  });

  it('leaves an empty store empty, with the shipped registry, when no demo is wanted', async () => {
    const own = mkdtempSync(join(tmpdir(), 'nem-ensure-'));
    try {
      const lines: string[] = [];
      const s = await ensureStore({ ...config, dataDir: own }, { info: (m) => lines.push(m) }, { demo: false });
      const conn = await s.instance.connect();
      const count = async (table: string) =>
        Number((await conn.runAndReadAll(`SELECT count(*) FROM ${table}`)).getRows()[0][0]);
      expect({
        built: s.built,
        watermark: s.watermark,
        price: await count('price'),
        units: await count('units'),
      }).toEqual({ built: false, watermark: null, price: 0, units: 561 });
      expect(lines.some((l) => /no data yet: the live feed fills it/.test(l))).toBe(true);
      conn.closeSync();
      s.instance.closeSync();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
  it('gives the shipped registry to a store holding AEMO data but no units, and rolls that data up', async () => {
    const own = mkdtempSync(join(tmpdir(), 'nem-ensure-'));
    try {
      const fx = join(import.meta.dirname, '../../test/fixtures/aemo');
      const before = await openStore({ dataDir: own, threads: 2 });
      const c0 = await before.instance.connect();
      const archives = ['DISPATCH_UNIT_SCADA', 'DISPATCHPRICE'].map((t) =>
        join(fx, `PUBLIC_ARCHIVE%23${t}%23FILE01%23202604010000.zip`),
      );
      expect((await ingestFiles(c0, archives)).rejected).toBe(0); // as an ingest without a registry left it
      c0.closeSync();
      before.instance.closeSync();

      const lines: string[] = [];
      const s = await ensureStore({ ...config, dataDir: own }, { info: (m) => lines.push(m) }, { demo: false });
      const conn = await s.instance.connect();
      const one = async (sql: string) => (await conn.runAndReadAll(sql)).getRowsJS()[0];
      expect(lines[0]).toMatch(/^registry: 561 units from 573 rows/);
      expect(await one(`SELECT count(*)::INT FROM units`)).toEqual([561]);
      // HDWF2's energy is in the unit and fuel rollups now (SA1's only wind unit in the files), equal to its SCADA
      const [raw, unit, fuel] = await one(`SELECT (SELECT round(sum(mw) / 12, 6) FROM scada WHERE duid = 'HDWF2'),
        (SELECT round(sum(mwh), 6) FROM unit_1d WHERE duid = 'HDWF2'),
        (SELECT round(sum(mw) / 12, 6) FROM gen_5m WHERE region = 'SA1' AND fuel = 'Wind')`);
      expect(raw).toBeGreaterThan(0);
      expect([unit, fuel]).toEqual([raw, raw]);
      conn.closeSync();
      s.instance.closeSync();
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });

  describe('a demo that follows the clock (DEMO_END=now, the default)', () => {
    const DUPES = [
      ['price', 'region'],
      ['scada', 'duid'],
      ['interconnector', 'id'],
      ['rooftop', 'region, type'],
      ['regionsum', 'region'],
      ['unit_dispatch', 'duid'],
      ['gen_5m', 'region, fuel'],
    ].map(([t, key]) => `SELECT ts FROM ${t} GROUP BY ts, ${key} HAVING count(*) > 1`);
    const own = mkdtempSync(join(tmpdir(), 'nem-ensure-clock-'));
    afterAll(() => rmSync(own, { recursive: true, force: true }));
    const clock = { ...config, dataDir: own, demoEnd: 'now' as const };
    async function run(): Promise<{
      wm: number;
      lines: string[];
      followsClock: boolean;
      intervals: number;
      dupes: number;
    }> {
      const lines: string[] = [];
      const s = await ensureStore(clock, { info: (m) => lines.push(m) });
      const conn = await s.instance.connect();
      const one = async (sql: string) => Number((await conn.runAndReadAll(sql)).getRows()[0][0]);
      const out = {
        wm: s.watermark!,
        lines,
        followsClock: s.followsClock,
        intervals: await one('SELECT count(DISTINCT ts) FROM price'),
        // rows of one key and interval twice, in any raw table or the 5-minute rollup: a gap filled more than once
        dupes: await one(`SELECT count(*) FROM (${DUPES.join(' UNION ALL ')})`),
      };
      conn.closeSync();
      s.instance.closeSync();
      return out;
    }
    /** Takes the store's last `n` intervals away, as if the server had been stopped that long ago. */
    async function rewind(n: number): Promise<number> {
      const { instance } = await openStore({ dataDir: own, threads: 2 });
      const conn = await instance.connect();
      const wm = Number((await conn.runAndReadAll('SELECT max(ts) FROM price')).getRows()[0][0]);
      const cut = wm - n * 300;
      for (const t of ['scada', 'price', 'interconnector', 'rooftop', 'regionsum', 'unit_dispatch'])
        await conn.run(`DELETE FROM ${t} WHERE ts > ${cut}`);
      await conn.run(`DELETE FROM gen_5m WHERE ts > ${cut}`);
      await conn.run(`UPDATE meta SET value = '${cut}' WHERE key = 'demo_watermark'`);
      conn.closeSync();
      instance.closeSync();
      return cut;
    }

    it('ends at the last whole interval before start, then catches up a pause exactly once', async () => {
      const before = lastWholeInterval(Date.now());
      const built = await run();
      expect(built.wm).toBeGreaterThanOrEqual(before);
      expect(built.wm).toBeLessThanOrEqual(lastWholeInterval(Date.now()));
      expect(built).toMatchObject({ followsClock: true, intervals: 288, dupes: 0 });

      await rewind(12);
      const from = lastWholeInterval(Date.now());
      const caught = await run();
      expect(caught.wm).toBeGreaterThanOrEqual(from);
      const missed = 12 + (caught.wm - built.wm) / 300;
      expect(caught.lines).toEqual([expect.stringMatching(new RegExp(`^demo: caught up ${missed} intervals missed`))]);
      expect(caught).toMatchObject({ intervals: 288 + (caught.wm - built.wm) / 300, dupes: 0 });

      const again = await run(); // nothing missed (unless a boundary just passed): no second copy
      expect(again.dupes).toBe(0);
      expect(again.intervals).toBe(caught.intervals + (again.wm - caught.wm) / 300);
    });

    it(`is rebuilt ending now when more than ${CATCH_UP_DAYS} days behind`, async () => {
      const cut = await rewind(0);
      const { instance } = await openStore({ dataDir: own, threads: 2 });
      const conn = await instance.connect();
      // The whole store moved back in time: as if it had last run long ago.
      const shift = (CATCH_UP_DAYS + 1) * 86400;
      for (const t of ['scada', 'price', 'interconnector', 'rooftop', 'regionsum', 'unit_dispatch', 'gen_5m'])
        await conn.run(`UPDATE ${t} SET ts = ts - ${shift}`);
      await conn.run(`UPDATE meta SET value = '${cut - shift}' WHERE key = 'demo_watermark'`);
      conn.closeSync();
      instance.closeSync();
      const s = await run();
      expect(s.lines[0]).toMatch(/days behind the clock \(over \d+\): rebuilding it to end now/);
      expect(s.wm).toBeGreaterThanOrEqual(cut);
      expect(s).toMatchObject({ followsClock: true, intervals: 288, dupes: 0 });
    });

    it('is rebuilt ending now when it is ahead of the clock (a REPLAY_SECONDS run went on past now), unless replaying', async () => {
      const cut = await rewind(0);
      const { instance } = await openStore({ dataDir: own, threads: 2 });
      const conn = await instance.connect();
      const shift = 2 * 86400; // a replay at 5 s an interval for 48 minutes
      for (const t of ['scada', 'price', 'interconnector', 'rooftop', 'regionsum', 'unit_dispatch', 'gen_5m'])
        await conn.run(`UPDATE ${t} SET ts = ts + ${shift}`);
      await conn.run(`UPDATE meta SET value = '${cut + shift}' WHERE key = 'demo_watermark'`);
      conn.closeSync();
      instance.closeSync();
      // A replay may run ahead: it goes on from there.
      const replay = await ensureStore({ ...clock, replaySeconds: 5 }, { info: () => undefined });
      replay.instance.closeSync();
      expect(replay.watermark).toBe(cut + shift);
      const before = lastWholeInterval(Date.now());
      const s = await run();
      expect(s.lines[0]).toMatch(/^demo: \d+ intervals ahead of the clock: rebuilding it to end now/);
      expect(s.wm).toBeGreaterThanOrEqual(before);
      expect(s.wm).toBeLessThanOrEqual(lastWholeInterval(Date.now()));
      expect(s).toMatchObject({ followsClock: true, intervals: 288, dupes: 0 });
    });
  });
});
