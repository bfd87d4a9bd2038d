// AEMO's rhythm: a folder of 5-minute files is asked again just after the next interval ends, often until its file
// is listed, and then left alone; anything else, and a folder AEMO is late with, every pollMs.
import { describe, expect, it } from 'vitest';
import { FAST_WINDOW_S, LEAD_S, nextListing, stampsOf } from './rhythm.ts';
import { NEMWEB_FOLDERS, parseLive } from './setting.ts';

const T = Date.UTC(2026, 3, 1, 0, 5) / 1000 - 36000; // the interval ending 2026-04-01 00:05 NEM
const file = (name: string) => ({ name, url: `http://x/${name}` });
const o = (nowS: number) => ({ pollMs: 30_000, fastMs: 2000, now: () => nowS * 1000 });

describe('stampsOf', () => {
  it('reads the interval end from 5-minute report names (NEM time), skipping names that carry none', () => {
    const files = [
      file('PUBLIC_DISPATCHIS_202604010010_0000000500000002.zip'),
      file('PUBLIC_DISPATCHIS_202604010005_0000000500000001.zip'),
      file('PUBLIC_ROOFTOP_PV_ACTUAL_MEASUREMENT_20260401003000_0000000500000003.zip'),
      file('PUBLIC_NEXT_DAY_DISPATCH_20260331_0000000500000004.zip'),
      file('CO2EII_AVAILABLE_GENERATORS.CSV'),
    ];
    expect(stampsOf(files)).toEqual([T, T + 300]);
  });
});

describe('nextListing', () => {
  const five = [T, T + 300]; // the next file is for T + 600
  const polled = (T + 300 + 40) * 1000;
  it('rests until just after the next interval ends once the latest file is listed', () => {
    expect(nextListing(five, polled, o(T + 340))).toBe((T + 600 + LEAD_S) * 1000);
  });
  it('asks every fastMs while the next file is due, and every pollMs once AEMO is late', () => {
    expect(nextListing(five, (T + 610) * 1000, o(T + 610))).toBe((T + 610) * 1000 + 2000);
    const late = (T + 600 + FAST_WINDOW_S + 1) * 1000;
    expect(nextListing(five, late, o(late / 1000))).toBe(late + 30_000);
  });
  it('lists any other folder every pollMs', () => {
    expect(nextListing([T], polled, o(T + 700))).toBe(polled + 30_000); // one file: no rhythm to follow
    expect(nextListing([T, T + 1800], polled, o(T + 1810))).toBe(polled + 30_000); // half-hourly
    expect(nextListing([], polled, o(T))).toBe(polled + 30_000);
  });
});

describe('LIVE=nemweb', () => {
  it("names every Current folder the store takes, under AEMO's site or NEMWEB_URL", () => {
    expect(parseLive('nemweb').urls).toEqual(NEMWEB_FOLDERS.map((f) => `https://nemweb.com.au/Reports/Current/${f}/`));
    expect(parseLive('nemweb', 'http://127.0.0.1:9/mirror/')).toEqual({
      kind: 'http',
      urls: NEMWEB_FOLDERS.map((f) => `http://127.0.0.1:9/mirror/Reports/Current/${f}/`),
    });
    expect(NEMWEB_FOLDERS).toContain('DispatchIS_Reports');
  });
});
