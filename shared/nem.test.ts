import { describe, expect, it } from 'vitest';
import { parseAemoTime, toNemIso } from './nem.ts';

describe('parseAemoTime', () => {
  it("reads AEMO's NEM-time stamps, quoted or not", () => {
    expect(parseAemoTime('2026/04/01 00:05:00')).toBe(1774965900);
    expect(toNemIso(parseAemoTime('"2026/04/01 00:05:00"'))).toBe('2026-04-01T00:05:00+10:00');
    expect(toNemIso(parseAemoTime(' 2024/02/29 23:59:59 '))).toBe('2024-02-29T23:59:59+10:00');
    expect(toNemIso(parseAemoTime('2025/12/31 00:00:00'))).toBe('2025-12-31T00:00:00+10:00');
  });

  it('returns NaN for dates and times that do not exist instead of rolling them over', () => {
    const impossible = [
      '2026/13/01 00:05:00', // month 13
      '2026/00/10 00:05:00',
      '2026/01/32 00:05:00', // day 32
      '2026/01/00 00:05:00',
      '2026/04/31 00:05:00', // April has 30 days
      '2026/02/29 00:05:00', // not a leap year
      '2026/04/01 24:00:00',
      '2026/04/01 25:00:00', // hour 25
      '2026/04/01 00:60:00',
      '2026/04/01 00:05:60',
      '0050/01/01 00:00:00', // Date.UTC would read 1950
    ];
    for (const s of impossible) expect(parseAemoTime(s), s).toBeNaN();
  });

  it('returns NaN for anything not in the layout', () => {
    for (const s of ['', '2026-04-01 00:05:00', '2026/04/01', '2026/4/1 0:05:00', '2026/04/01T00:05:00'])
      expect(parseAemoTime(s), s).toBeNaN();
  });
});
