// NEM time (UTC+10, no daylight saving) for display and input, whatever zone the browser is in.
import { NEM_OFFSET_S, toNemIso } from '../../shared/nem.ts';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** A Date whose UTC fields are the NEM wall clock at `epochS`. */
function nemUtc(epochS: number): Date {
  return new Date((epochS + NEM_OFFSET_S) * 1000);
}

/** uPlot's `tzDate`: a Date whose LOCAL fields read as NEM wall-clock time, so axis ticks show NEM time. */
export function nemTzDate(epochS: number): Date {
  const d = nemUtc(epochS);
  return new Date(
    d.getUTCFullYear(),
    d.getUTCMonth(),
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
  );
}

/** "14:35" */
export function fmtNemClock(epochS: number): string {
  const d = nemUtc(epochS);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "Tue 14 Apr 14:35" */
export function fmtNemDateTime(epochS: number): string {
  const d = nemUtc(epochS);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${fmtNemClock(epochS)}`;
}

/** "Tue 14 Apr" */
export function fmtNemDay(epochS: number): string {
  const d = nemUtc(epochS);
  return `${DAYS[d.getUTCDay()]} ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
}

/** "Apr 2026" */
export function fmtNemMonth(epochS: number): string {
  const d = nemUtc(epochS);
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

/** "2026-04-14T14:35": the value of an <input type=datetime-local>, read as NEM time. */
export function toNemInput(epochS: number): string {
  return toNemIso(epochS).slice(0, 16);
}

/** Inverse of toNemInput; NaN when it does not parse. Also accepts plain epoch seconds. */
export function fromNemInput(s: string): number {
  if (/^\d{9,10}$/.test(s)) return Number(s);
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/.exec(s);
  if (!m) return NaN;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0)) / 1000 - NEM_OFFSET_S;
}

/** "just now", "4 min ago", "2 h ago", "3 days ago" */
export function fmtAge(seconds: number): string {
  if (seconds < 45) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400 * 2) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} days ago`;
}

/** The watermark's ISO (+10:00) as epoch seconds; NaN if absent or malformed. */
export function isoToEpoch(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) / 1000 : NaN;
}
