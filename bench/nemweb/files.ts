// Small NEMWEB-style DISPATCHIS files for any interval, in AEMO's C/I/D layout, plain or zipped, so tests can
// produce "the next interval" or revise past prices at will. Real AEMO samples cover the parsing; these cover time.
import { strToU8, zipSync } from 'fflate';
import { REGIONS, toNemIso } from '../../shared/nem.ts';

/** AEMO's "2026/04/01 00:05:00" for an epoch second (NEM time). */
export function aemoTime(ts: number): string {
  return toNemIso(ts).slice(0, 19).replace('T', ' ').replace(/-/g, '/');
}
const stamp = (ts: number) => aemoTime(ts).replace(/[/ :]/g, '').slice(0, 12);

export interface NemwebFile {
  /** e.g. PUBLIC_DISPATCHIS_202604010005_0000000500000001.zip */
  name: string;
  bytes: Uint8Array;
}

/**
 * One DISPATCHIS interval ending at `ts`: a DISPATCH PRICE row per region with RRP = base + region index; with
 * `demand`, a DISPATCH REGIONSUM row per region given (TOTALDEMAND, MW) too. A later `seq` is a revision of it.
 */
export function dispatchIs(
  ts: number,
  base = 50,
  opts: { zip?: boolean; seq?: number; demand?: Partial<Record<string, number>> } = {},
): NemwebFile {
  const seq = String(opts.seq ?? 500000000 + (Math.floor(ts / 300) % 100000000)).padStart(16, '0');
  const when = `"${aemoTime(ts)}"`;
  const lines = [
    `C,NEMP.WORLD,DISPATCHIS,AEMO,PUBLIC,${aemoTime(ts).slice(0, 10)},${aemoTime(ts).slice(11)},${seq},DISPATCHIS,${seq}`,
    'I,DISPATCH,PRICE,5,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,RRP,EEP,LASTCHANGED',
    ...REGIONS.map((r, i) => `D,DISPATCH,PRICE,5,${when},1,${r},${stamp(ts)}1,0,${(base + i).toFixed(2)},0,${when}`),
  ];
  const demand = Object.entries(opts.demand ?? {});
  if (demand.length > 0) {
    lines.push(
      'I,DISPATCH,REGIONSUM,8,SETTLEMENTDATE,RUNNO,REGIONID,DISPATCHINTERVAL,INTERVENTION,TOTALDEMAND,LASTCHANGED',
    );
    for (const [r, mw] of demand) lines.push(`D,DISPATCH,REGIONSUM,8,${when},1,${r},${stamp(ts)}1,0,${mw},${when}`);
  }
  lines.push(`C,"END OF REPORT",${lines.length + 1}`);
  const csvName = `PUBLIC_DISPATCHIS_${stamp(ts)}_${seq}.CSV`;
  const csv = strToU8(lines.join('\r\n') + '\r\n');
  if (opts.zip === false) return { name: csvName, bytes: csv };
  return { name: csvName.replace(/\.CSV$/, '.zip'), bytes: zipSync({ [csvName]: csv }) };
}

/** A zip that looks whole but whose report lacks a required column: ingest must reject it and store nothing. */
export function badDispatchIs(ts: number): NemwebFile {
  const csvName = `PUBLIC_DISPATCHIS_${stamp(ts)}_0000000999999999.CSV`;
  const csv = strToU8(
    `C,NEMP.WORLD,DISPATCHIS\r\nI,DISPATCH,PRICE,5,SETTLEMENTDATE,REGIONID\r\nD,DISPATCH,PRICE,5,"${aemoTime(ts)}",NSW1\r\nC,"END OF REPORT",4\r\n`,
  );
  return { name: csvName.replace(/\.CSV$/, '.zip'), bytes: zipSync({ [csvName]: csv }) };
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

/**
 * A ROOFTOP_PV/ACTUAL MEASUREMENT file for the half hour ending `ts`, as AEMO publishes it (named by the next half
 * hour, when it appears): one POWER row (MW) per region given, sub-regions included when given.
 */
export function rooftopActual(ts: number, mw: Record<string, number>, opts: { seq?: number } = {}): NemwebFile {
  const seq = String(opts.seq ?? 400000000 + (Math.floor(ts / 1800) % 100000000)).padStart(16, '0');
  const when = `"${aemoTime(ts)}"`;
  const lines = [
    `C,NEMP.WORLD,ROOFTOP_PV_ACTUAL_MEASUREMENT,AEMO,PUBLIC,${aemoTime(ts).slice(0, 10)},${aemoTime(ts).slice(11)},${seq},DEMAND,${seq}`,
    'I,ROOFTOP,ACTUAL,2,INTERVAL_DATETIME,REGIONID,POWER,QI,TYPE,LASTCHANGED',
    ...Object.entries(mw).map(([r, v]) => `D,ROOFTOP,ACTUAL,2,${when},${r},${v.toFixed(3)},1,MEASUREMENT,${when}`),
  ];
  lines.push(`C,"END OF REPORT",${lines.length + 1}`);
  const csvName = `PUBLIC_ROOFTOP_PV_ACTUAL_MEASUREMENT_${stamp(ts + 1800)}00_${seq}.CSV`;
  const csv = strToU8(lines.join('\r\n') + '\r\n');
  return { name: csvName.replace(/\.CSV$/, '.zip'), bytes: zipSync({ [csvName]: csv }) };
}

/** A Dispatch_SCADA file for the interval ending `ts`: one DISPATCH UNIT_SCADA row (MW) per DUID given. */
export function dispatchScada(ts: number, mw: Record<string, number>, opts: { seq?: number } = {}): NemwebFile {
  const seq = String(opts.seq ?? 600000000 + (Math.floor(ts / 300) % 100000000)).padStart(16, '0');
  const when = `"${aemoTime(ts)}"`;
  const lines = [
    `C,NEMP.WORLD,DISPATCHSCADA,AEMO,PUBLIC,${aemoTime(ts).slice(0, 10)},${aemoTime(ts).slice(11)},${seq},DISPATCHSCADA,${seq}`,
    'I,DISPATCH,UNIT_SCADA,1,SETTLEMENTDATE,DUID,SCADAVALUE,LASTCHANGED',
    ...Object.entries(mw).map(([duid, v]) => `D,DISPATCH,UNIT_SCADA,1,${when},${duid},${v},${when}`),
  ];
  lines.push(`C,"END OF REPORT",${lines.length + 1}`);
  const csvName = `PUBLIC_DISPATCHSCADA_${stamp(ts)}_${seq}.CSV`;
  const csv = strToU8(lines.join('\r\n') + '\r\n');
  return { name: csvName.replace(/\.CSV$/, '.zip'), bytes: zipSync({ [csvName]: csv }) };
}
