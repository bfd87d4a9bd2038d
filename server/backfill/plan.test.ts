// Which archive files a backfill takes: the store's tables in both of AEMO's MMSDM naming schemes (every FILEnn part),
// for the month asked only; daily zips by their day, rooftop PV's weekly ones when their week overlaps.
import { describe, expect, it } from 'vitest';
import { daysOf, lastDays, monthlyFolder, monthsBetween, wantedDaily, wantedMonthly } from './plan.ts';

const APRIL = { year: 2026, month: 4 };

describe('backfill plan', () => {
  it('lists whole months, across a year end, and refuses a bad or reversed range', () => {
    expect(monthsBetween('2025-11', '2026-02').map((m) => `${m.year}-${m.month}`)).toEqual([
      '2025-11',
      '2025-12',
      '2026-1',
      '2026-2',
    ]);
    expect(() => monthsBetween('2026-13', '2026-12')).toThrow(/not a month/);
    expect(() => monthsBetween('2026-03', '2026-02')).toThrow(/after/);
  });

  it("finds a month's MMSDM files under both naming schemes, only the store's tables", () => {
    expect(monthlyFolder('https://x', APRIL)).toBe(
      'https://x/Data_Archive/Wholesale_Electricity/MMSDM/2026/MMSDM_2026_04/MMSDM_Historical_Data_SQLLoader/DATA/',
    );
    for (const name of [
      'PUBLIC_ARCHIVE#DISPATCHPRICE#FILE01#202604010000.zip',
      'PUBLIC_ARCHIVE#DISPATCH_UNIT_SCADA#FILE03#202604010000.zip',
      'PUBLIC_DVD_DISPATCHREGIONSUM_202604010000.zip',
    ])
      expect(wantedMonthly(name, APRIL), name).toBe(true);
    for (const name of [
      'PUBLIC_ARCHIVE#TRADINGPRICE#FILE01#202604010000.zip',
      'PUBLIC_ARCHIVE#DISPATCHPRICE#FILE01#202603010000.zip',
      'PUBLIC_DVD_DISPATCHLOAD_202604010000.zip',
      'PUBLIC_ARCHIVE#DISPATCHPRICE_EXTRA#FILE01#202604010000.zip',
    ])
      expect(wantedMonthly(name, APRIL), name).toBe(false);
  });

  it('takes daily zips by day and weekly rooftop zips whose week overlaps; counts whole NEM days', () => {
    const days = { from: 20260410, to: 20260412 };
    expect(wantedDaily('PUBLIC_DISPATCHIS_20260410.zip', days)).toBe(true);
    expect(wantedDaily('PUBLIC_DISPATCHIS_20260413.zip', days)).toBe(false);
    expect(wantedDaily('PUBLIC_ROOFTOP_PV_ACTUAL_MEASUREMENT_20260404.zip', days)).toBe(true); // 4–10 April
    expect(wantedDaily('PUBLIC_ROOFTOP_PV_ACTUAL_MEASUREMENT_20260403.zip', days)).toBe(false); // 3–9 April
    expect(daysOf(APRIL, 20260415)).toEqual({ from: 20260401, to: 20260415 });
    expect(daysOf({ year: 2026, month: 5 }, 20260415)).toBeNull();
    // 13:00 UTC on 3 May is 23:00 NEM the same day: yesterday is the 2nd.
    expect(lastDays(2, Date.UTC(2026, 4, 3, 13))).toEqual({ from: 20260501, to: 20260502 });
    expect(lastDays(1, Date.UTC(2026, 4, 3, 14, 30))).toEqual({ from: 20260503, to: 20260503 }); // 00:30 NEM on the 4th
  });
});
