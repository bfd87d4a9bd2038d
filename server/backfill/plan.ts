// What a backfill downloads: for each month asked for, the MMSDM monthly files of the tables the store uses (both of
// AEMO's naming schemes, every FILEnn part), found by listing the month's DATA folder; for a month MMSDM has not
// published yet, and for `--days N`, the daily zips of NEMWEB's Reports/Archive folders. Layout:
// ../shared/NEMWEB-LAYOUT.md (docs/backfill.md has the user's version).

import { NEM_OFFSET_S } from '../../shared/nem.ts';

/** The MMSDM tables the store takes (server/store/mms-tables.ts reads each). */
export const MONTHLY_TABLES = [
  'DISPATCHPRICE',
  'DISPATCHREGIONSUM',
  'DISPATCH_UNIT_SCADA',
  'DISPATCHINTERCONNECTORRES',
  'ROOFTOP_PV_ACTUAL',
] as const;

/** Reports/Archive folders with the same data a day (rooftop PV: a week) per zip, kept about 13 months. */
export const DAILY_FOLDERS = ['DispatchIS_Reports', 'Dispatch_SCADA', 'ROOFTOP_PV/ACTUAL'] as const;

export interface Month {
  year: number;
  month: number;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
export const monthId = (m: Month) => `${m.year}${pad(m.month)}`;

/** Every month from `from` to `to` inclusive ("YYYY-MM"); throws on a malformed or reversed range. */
export function monthsBetween(from: string, to: string): Month[] {
  const parse = (s: string): Month => {
    const m = /^(\d{4})-(\d\d)$/.exec(s);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new Error(`"${s}" is not a month (YYYY-MM)`);
    return { year: Number(m[1]), month: Number(m[2]) };
  };
  const a = parse(from);
  const b = parse(to);
  const out: Month[] = [];
  for (let y = a.year, mo = a.month; y * 12 + mo <= b.year * 12 + b.month; mo === 12 ? (y++, (mo = 1)) : mo++)
    out.push({ year: y, month: mo });
  if (out.length === 0) throw new Error(`--from ${from} is after --to ${to}`);
  return out;
}

/** The month's MMSDM DATA folder. */
export function monthlyFolder(base: string, m: Month): string {
  return `${base}/Data_Archive/Wholesale_Electricity/MMSDM/${m.year}/MMSDM_${m.year}_${pad(m.month)}/MMSDM_Historical_Data_SQLLoader/DATA/`;
}

const TABLES = MONTHLY_TABLES.join('|');
const DVD = new RegExp(`^PUBLIC_DVD_(${TABLES})_(\\d{6})010000\\.zip$`, 'i');
const ARCHIVE = new RegExp(`^PUBLIC_ARCHIVE#(${TABLES})#FILE\\d+#(\\d{6})010000\\.zip$`, 'i');

/** Whether a file of a month's DATA folder is one of the store's tables for that month. */
export function wantedMonthly(name: string, m: Month): boolean {
  const hit = DVD.exec(name) ?? ARCHIVE.exec(name);
  return hit !== null && hit[2] === monthId(m);
}

/** A daily archive folder. */
export const dailyFolder = (base: string, folder: string) => `${base}/Reports/Archive/${folder}/`;

/** NEM calendar days as YYYYMMDD numbers, inclusive. */
export interface DayRange {
  from: number;
  to: number;
}

/** The NEM days of a month up to `lastDay` (YYYYMMDD), or null when the month starts after it. */
export function daysOf(m: Month, lastDay: number): DayRange | null {
  const from = Number(`${monthId(m)}01`);
  const end = Number(`${monthId(m)}${pad(new Date(Date.UTC(m.year, m.month, 0)).getUTCDate())}`);
  return from > lastDay ? null : { from, to: Math.min(end, lastDay) };
}

/** The last `n` whole NEM days before `nowMs`. */
export function lastDays(n: number, nowMs: number): DayRange {
  const day = (offset: number) => {
    const d = new Date(nowMs + NEM_OFFSET_S * 1000 - offset * 86400_000); // NEM time
    return Number(`${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`);
  };
  return { from: day(n), to: day(1) };
}

/**
 * Whether a daily archive file covers part of the days: named by its day (…_YYYYMMDD.zip), or, for rooftop PV's weekly
 * zips, by the week's first day (so a week starting up to six days earlier counts).
 */
export function wantedDaily(name: string, days: DayRange): boolean {
  const m = /_(\d{8})\.zip$/i.exec(name);
  if (!m) return false;
  const day = Number(m[1]);
  if (/ROOFTOP_PV/i.test(name)) return day <= days.to && shiftDays(day, 6) >= days.from;
  return day >= days.from && day <= days.to;
}

function shiftDays(day: number, n: number): number {
  const s = String(day);
  const d = new Date(Date.UTC(Number(s.slice(0, 4)), Number(s.slice(4, 6)) - 1, Number(s.slice(6, 8)) + n));
  return Number(`${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`);
}
