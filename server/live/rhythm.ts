// When to list a NEMWEB folder again, by AEMO's publication rhythm. A folder of 5-minute files (dispatch, SCADA: their
// names carry the interval's end, NEM time, as YYYYMMDDHHmm) gets its next file some seconds to a minute after that
// interval ends: ask from LEAD_S after the end, every fastMs, until the file is listed; give up hurrying after
// FAST_WINDOW_S (AEMO is late: back to pollMs) and rest until the next interval once it is there. Any other folder
// (30-minute rooftop PV, daily files, CDEII) every pollMs. The request rate is thereby bounded: per 5-minute folder at
// most FAST_WINDOW_S / fastMs conditional listings per interval (90 at the defaults, usually ~20), else one per pollMs.
import { NEM_OFFSET_S } from '../../shared/nem.ts';
import type { ListedFile } from './listing.ts';

/** Seconds after an interval's end before its file is worth asking for. */
export const LEAD_S = 5;
/** Seconds after an interval's end during which its file is asked for every fastMs. */
export const FAST_WINDOW_S = 180;

const STAMP = /_(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)_/;

/** The interval ends (epoch s) named by a listing's 5-minute files, ascending. */
export function stampsOf(files: readonly ListedFile[]): number[] {
  const out: number[] = [];
  for (const f of files) {
    const m = STAMP.exec(f.name);
    if (!m) continue;
    const [y, mo, d, h, mi] = m.slice(1).map(Number);
    if (mi % 5 !== 0) continue;
    out.push(Date.UTC(y, mo - 1, d, h, mi) / 1000 - NEM_OFFSET_S);
  }
  return out.sort((a, b) => a - b);
}

/** Wall-clock ms at which a folder listed at `polledAtMs` with these stamps should be listed next. */
export function nextListing(
  stamps: readonly number[],
  polledAtMs: number,
  o: { pollMs: number; fastMs: number; now: () => number },
): number {
  const n = stamps.length;
  const everyFive = n >= 2 && stamps[n - 1] - stamps[n - 2] === 300;
  if (!everyFive) return polledAtMs + o.pollMs;
  const expected = stamps[n - 1] + 300; // the next interval's end
  const nowS = o.now() / 1000;
  if (nowS < expected + LEAD_S) return (expected + LEAD_S) * 1000;
  if (nowS < expected + FAST_WINDOW_S) return polledAtMs + o.fastMs;
  return polledAtMs + o.pollMs;
}
