// A whole month of MMSDM files at real volume, made from the real April 2026 samples: DISPATCH_UNIT_SCADA for every
// DUID in the registry sample (~550 units, ~4.7 M rows a month, as AEMO's), and DISPATCHPRICE and DISPATCHREGIONSUM
// with the samples' own rows (all their columns) repeated interval after interval across the month, re-stamped.
// For the backfill benchmark and tests at volume; deterministic for a month.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { aemoTime, type NemwebFile } from './files.ts';
import { monthId, type Month } from '../../server/backfill/plan.ts';
import { NEM_OFFSET_S } from '../../shared/nem.ts';

const FIXTURES = join(import.meta.dirname, '../../test/fixtures');
const SAMPLE = (table: string, dir = 'aemo') =>
  join(FIXTURES, dir, `PUBLIC_ARCHIVE%23${table}%23FILE01%23202604010000.zip`);
export const REGISTRY_SAMPLE = join(
  FIXTURES,
  'aemo/NEM-Registration-and-Exemption-List__PU_and_Scheduled_Loads.derived.csv',
);

/** The month's interval ends (epoch s): 00:05 on the 1st to 00:00 on the 1st of the next month, NEM time. */
export function intervals(m: Month): { first: number; count: number } {
  const start = Date.UTC(m.year, m.month - 1, 1) / 1000 - NEM_OFFSET_S;
  const end = Date.UTC(m.year, m.month, 1) / 1000 - NEM_OFFSET_S;
  return { first: start + 300, count: (end - start) / 300 };
}

/** The archive name AEMO gives a month's table since August 2024. */
export const archiveName = (table: string, m: Month) => `PUBLIC_ARCHIVE#${table}#FILE01#${monthId(m)}010000.zip`;

/** The registry sample's DUIDs (its DUID column), each once. */
export function registryDuids(): string[] {
  const lines = readFileSync(REGISTRY_SAMPLE, 'utf8').split(/\r?\n/).slice(1);
  const duids = new Set<string>();
  for (const l of lines) {
    // DUID is the 13th column; earlier quoted fields ("1,2-3") may hold commas.
    const fields = l.match(/("([^"]|"")*"|[^,]*)(,|$)/g)?.map((f) => f.replace(/,$/, '').replace(/^"|"$/g, ''));
    const duid = fields?.[12]?.trim();
    if (duid && /^[A-Z0-9_]+$/i.test(duid)) duids.add(duid);
  }
  return [...duids];
}

/** A month of DISPATCH_UNIT_SCADA: one row per DUID per interval, MW from a deterministic hash. */
export function scadaMonth(m: Month, duids = registryDuids()): NemwebFile {
  const { first, count } = intervals(m);
  const parts: Buffer[] = [
    Buffer.from(
      `C,SETP.WORLD,DVD_DISPATCH_UNIT_SCADA,AEMO,PUBLIC,2026/05/08,11:11:50,001778202710807,MONTHLY_ARCHIVE,001778202710807\r\nI,DISPATCH,UNIT_SCADA,1,SETTLEMENTDATE,DUID,SCADAVALUE,LASTCHANGED\r\n`,
    ),
  ];
  let lines = 2;
  for (let k = 0; k < count; k++) {
    const ts = first + k * 300;
    const when = aemoTime(ts);
    const changed = aemoTime(ts - 282);
    let text = '';
    for (let d = 0; d < duids.length; d++) {
      const mw = ((Math.imul(k + 1, 2654435761) ^ Math.imul(d + 1, 40503)) >>> 0) % 50000;
      text += `D,DISPATCH,UNIT_SCADA,1,${when},${duids[d]},${mw / 100},${changed}\r\n`;
    }
    lines += duids.length;
    parts.push(Buffer.from(text, 'latin1'));
  }
  parts.push(Buffer.from(`C,"END OF REPORT",${lines + 1}\r\n`));
  return zipOne(archiveName('DISPATCH_UNIT_SCADA', m), Buffer.concat(parts));
}

/**
 * The sample of `table` stretched over month `m`: the sample's intervals repeated in order, each row's SETTLEMENTDATE
 * and LASTCHANGED moved (the store reads no other time column).
 */
export function stretchedMonth(table: 'DISPATCHPRICE' | 'DISPATCHREGIONSUM', m: Month): NemwebFile {
  const zip = unzipSync(readFileSync(SAMPLE(table, table === 'DISPATCHREGIONSUM' ? 'aemo-regionsum' : 'aemo')));
  const csv = Buffer.from(Object.values(zip)[0]).toString('latin1');
  const rows = csv.split(/\r?\n/);
  const header = rows.find((r) => r.startsWith('I,'))!;
  const cols = header.split(',');
  const at = (name: string) => cols.indexOf(name);
  const [iTs, iLc] = [at('SETTLEMENTDATE'), at('LASTCHANGED')];
  const byTs = new Map<string, string[][]>();
  for (const r of rows) {
    if (!r.startsWith('D,')) continue;
    const f = r.split(',');
    byTs.set(f[iTs], [...(byTs.get(f[iTs]) ?? []), f]);
  }
  const sample = [...byTs.values()];
  const { first, count } = intervals(m);
  const parts: string[] = [rows[0], header];
  for (let k = 0; k < count; k++) {
    const ts = first + k * 300;
    for (const f of sample[k % sample.length]) {
      const g = [...f];
      g[iTs] = aemoTime(ts);
      if (iLc >= 0 && g[iLc]) g[iLc] = aemoTime(ts - 290);
      parts.push(g.join(','));
    }
  }
  parts.push(`C,"END OF REPORT",${parts.length + 1}`, '');
  return zipOne(archiveName(table, m), Buffer.from(parts.join('\r\n'), 'latin1'));
}

/** A zip of one deflated CSV (the archive name without its .zip, as AEMO's hold), without holding a second copy. */
function zipOne(name: string, csv: Buffer): NemwebFile {
  const member = Buffer.from(name.replace(/\.zip$/, '.CSV'));
  const data = deflateRawSync(csv, { level: 1 });
  const crc = crc32(csv);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(8, 8);
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(csv.length, 22);
  local.writeUInt16LE(member.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(csv.length, 24);
  central.writeUInt16LE(member.length, 28);
  const cdOffset = local.length + member.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + member.length, 12);
  end.writeUInt32LE(cdOffset, 16);
  return { name, bytes: Buffer.concat([local, member, data, central, member, end]) };
}
