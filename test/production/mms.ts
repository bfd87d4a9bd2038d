// Tiny AEMO MMS files for production tests: a DISPATCH PRICE file with chosen prices, in the C/I/D layout the
// ingest reads, so a test can revise past data (or append new intervals) the way a NEMWEB file would.
import { toNemIso } from '../../shared/nem.ts';

/** `2026/04/01 00:05:00`, AEMO's NEM-time format, for an interval-end epoch second. */
export function aemoTime(ts: number): string {
  return toNemIso(ts).slice(0, 19).replace('T', ' ').replace(/-/g, '/');
}

/** A DISPATCH PRICE CSV: one row per (ts, region, rrp). */
export function priceCsv(rows: { ts: number; region: string; rrp: number }[]): string {
  const lines = [
    'C,NEMP.WORLD,DISPATCHIS,AEMO,PUBLIC,2026/04/01,00:00:00,0000000000000001,DISPATCHIS,0000000000000001',
    'I,DISPATCH,PRICE,5,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,RRP,LASTCHANGED',
    ...rows.map((r) => `D,DISPATCH,PRICE,5,"${aemoTime(r.ts)}",1,${r.region},1,0,${r.rrp},"${aemoTime(r.ts)}"`),
    `C,"END OF REPORT",${rows.length + 3}`,
    '',
  ];
  return lines.join('\r\n');
}
