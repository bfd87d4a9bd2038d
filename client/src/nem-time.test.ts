import { describe, expect, it } from 'vitest';
import { fmtNemDateTime, fromNemInput, nemTzDate, toNemInput, fmtAge } from './nem-time.ts';

const t = Date.UTC(2026, 3, 14, 4, 35) / 1000; // 14:35 NEM on Tue 14 Apr 2026

describe('NEM time helpers', () => {
  it('formats in NEM time whatever the process zone', () => {
    expect(fmtNemDateTime(t)).toBe('Tue 14 Apr 14:35');
    expect(toNemInput(t)).toBe('2026-04-14T14:35');
  });

  it('reads datetime-local values as NEM time and inverts toNemInput', () => {
    expect(fromNemInput('2026-04-14T14:35')).toBe(t);
    expect(fromNemInput('2026-04-14')).toBe(Date.UTC(2026, 3, 13, 14) / 1000);
    expect(fromNemInput(String(t))).toBe(t);
    expect(fromNemInput('14/04/2026')).toBeNaN();
  });

  it("gives uPlot a Date whose local fields are NEM's wall clock", () => {
    const d = nemTzDate(t);
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes()]).toEqual([2026, 3, 14, 14, 35]);
  });

  it('describes ages in words', () => {
    expect(fmtAge(10)).toBe('just now');
    expect(fmtAge(300)).toBe('5 min ago');
    expect(fmtAge(7200)).toBe('2 h ago');
    expect(fmtAge(86400 * 5)).toBe('5 days ago');
  });
});
