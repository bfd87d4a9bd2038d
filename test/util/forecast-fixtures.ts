// The hand-made forecast fixtures (test/fixtures/aemo-forecast/SOURCES.md) read straight from their CSV text, so tests
// compare the store and the kinds with rows parsed independently of the importer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const FORECAST_DIR = join(import.meta.dirname, '../fixtures/aemo-forecast');

/** The D rows of one MMS table in a plain CSV, keyed by the I row's column names (fields here hold no commas). */
function csvRows(path: string, table: string): Record<string, string>[] {
  let columns: string[] = [];
  const out: Record<string, string>[] = [];
  for (const line of readFileSync(path, 'latin1').split(/\r?\n/)) {
    const f = line.split(',').map((s) => s.replace(/^"|"$/g, ''));
    if (`${f[1]},${f[2]}` !== table) continue;
    if (f[0] === 'I') columns = f.slice(4);
    else if (f[0] === 'D') out.push(Object.fromEntries(columns.map((c, i) => [c, f[4 + i]])));
  }
  return out;
}

/** "2026/04/01 04:05:00" (NEM time, UTC+10) → epoch s, through an ISO string. */
export const nem = (s: string) => Date.parse(`${s.replace(/\//g, '-').replace(' ', 'T')}+10:00`) / 1000;
/** PREDISPATCHSEQNO → the end of its half hour: AEMO's trading day starts 04:00, period 01 ends 04:30. */
const seqEnd = (seq: string) =>
  Date.parse(`${seq.slice(0, 4)}-${seq.slice(4, 6)}-${seq.slice(6, 8)}T04:00:00+10:00`) / 1000 +
  Number(seq.slice(8)) * 1800;

/** What the store should hold for a forecast table, from the fixtures' rows with INTERVENTION = 0. */
export function expectedRows(
  files: string[],
  table: string,
  value: string,
): { run_ts: number; ts: number; region: string; v: number }[] {
  const p5 = table === 'P5MIN,REGIONSOLUTION';
  return files
    .flatMap((f) => csvRows(f, table))
    .filter((r) => r.INTERVENTION === '0')
    .map((r) => ({
      run_ts: p5 ? nem(r.RUN_DATETIME) : seqEnd(r.PREDISPATCHSEQNO),
      ts: nem(p5 ? r.INTERVAL_DATETIME : r.DATETIME),
      region: r.REGIONID,
      v: Number(r[value]),
    }))
    .sort((a, b) => a.run_ts - b.run_ts || a.ts - b.ts || a.region.localeCompare(b.region));
}
