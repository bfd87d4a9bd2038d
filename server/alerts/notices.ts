// AEMO market notices: NEMWEB's Market_Notice folder holds one plain-text file per notice,
// `NEMITWEB1_MKTNOTICE_<YYYYMMDD>.R<notice id>`, a header of `Name : value` lines (From, To, Creation Date, Notice ID,
// Notice Type ID, Notice Type Description, Issue Date, External Reference) and then `Reason :` with the notice's text.
// This reads one, says what it is about (region, LOR level, forecast or actual, cancelled) and stores it.
import type { DuckDBConnection } from '@duckdb/node-api';
import type { NoticeCategory } from '../../shared/kinds/alerts.ts';
import { NEM_OFFSET_S, REGIONS, type Region } from '../../shared/nem.ts';
import { rows } from '../catalogue/sql.ts';

export interface Notice {
  id: number;
  /** Creation Date, epoch s (NEM time in the file). */
  created: number;
  typeId: string;
  typeDescription: string | null;
  reference: string;
  reason: string;
  region: Region | null;
  category: NoticeCategory;
  lor: number | null;
  forecast: boolean;
  cancelled: boolean;
}

/** A notice file refused: it is the file's fault (the live feeds record it and do not retry it). */
export class NoticeFormatError extends Error {
  readonly code = 'bad_file';
}

const NAME = /^NEMITWEB1_MKTNOTICE_\d{8}\.R\d{1,10}$/i;
export const isNoticeName = (name: string): boolean => NAME.test(name.split(/[\\/]/).pop() ?? '');

/** A notice is text of a few KB; anything much longer is not one. */
const MAX_BYTES = 256 * 1024;
/** Stored text is bounded; the rest of a very long reason is cut. */
const MAX_REASON = 8000;
const MAX_FIELD = 400;

const REGION_WORD: Record<string, Region> = { NSW: 'NSW1', QLD: 'QLD1', VIC: 'VIC1', SA: 'SA1', TAS: 'TAS1' };

/** Reads one notice file; throws NoticeFormatError for anything that is not one. */
export function parseNotice(name: string, bytes: Uint8Array): Notice {
  if (bytes.length > MAX_BYTES) throw new NoticeFormatError(`${name}: ${bytes.length} bytes; a notice is a few KB`);
  const text = new TextDecoder('utf-8').decode(bytes).replace(/\r\n?/g, '\n');
  const reasonAt = text.search(/^Reason\s*:/m);
  if (reasonAt < 0) throw new NoticeFormatError(`${name}: no "Reason :" line`);
  const fields = new Map<string, string>();
  for (const line of text.slice(0, reasonAt).split('\n')) {
    const m = /^([A-Za-z][A-Za-z ]{0,40}?)\s*:\s*(.*)$/.exec(line);
    if (m) fields.set(m[1].trim().toLowerCase(), m[2].trim().slice(0, MAX_FIELD));
  }
  const need = (k: string): string => {
    const v = fields.get(k);
    if (!v) throw new NoticeFormatError(`${name}: no "${k}" field`);
    return v;
  };
  const idText = need('notice id');
  if (!/^\d{1,9}$/.test(idText)) throw new NoticeFormatError(`${name}: Notice ID "${idText}" is not a number`);
  const created = parseCreation(need('creation date'));
  if (created === null)
    throw new NoticeFormatError(`${name}: Creation Date "${fields.get('creation date')}" is not dd/mm/yyyy hh:mm:ss`);
  const typeId = need('notice type id');
  const reference = need('external reference');
  const reason = text
    .slice(reasonAt)
    .replace(/^Reason\s*:/, '')
    .replace(/\n-{5,}[\s\S]*$/, '')
    .trim()
    .slice(0, MAX_REASON);
  return {
    id: Number(idText),
    created,
    typeId,
    typeDescription: fields.get('notice type description') ?? null,
    reference,
    reason,
    ...classify(typeId, reference, reason),
  };
}

/** `20/11/2024     14:23:48` (NEM time, UTC+10) → epoch s. */
function parseCreation(s: string): number | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (!m) return null;
  const [d, mo, y, h, mi, se] = [+m[1], +m[2], +m[3], +m[4], +m[5], +(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 59) return null;
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000 - NEM_OFFSET_S;
}

/** What a notice is about, from its type and title (and, for the region, its text). */
export function classify(
  typeId: string,
  reference: string,
  reason: string,
): Pick<Notice, 'region' | 'category' | 'lor' | 'forecast' | 'cancelled'> {
  const head = `${typeId} ${reference}`;
  const lorMatch = /Lack Of Reserve Level ([123])|\bLOR ?([123])\b/i.exec(reference);
  const category: NoticeCategory = /administered price/i.test(head)
    ? 'administered'
    : /suspen/i.test(head)
      ? 'suspension'
      : lorMatch
        ? 'lor'
        : /reserve/i.test(head)
          ? 'reserve'
          : 'other';
  return {
    region: regionIn(reference) ?? regionIn(reason),
    category,
    lor: lorMatch ? Number(lorMatch[1] ?? lorMatch[2]) : null,
    forecast: /forecast/i.test(reference),
    cancelled: /cancel/i.test(reference),
  };
}

function regionIn(s: string): Region | null {
  const id = /\b(NSW1|QLD1|VIC1|SA1|TAS1)\b/.exec(s);
  if (id) return id[1] as Region;
  const word = /\b(NSW|QLD|VIC|SA|TAS) region\b/i.exec(s);
  const r = word ? REGION_WORD[word[1].toUpperCase()] : undefined;
  return r && REGIONS.includes(r) ? r : null;
}

/** Stores a notice (again: nothing changes, its id is taken); returns 1 when it was new. */
export async function storeNotice(conn: DuckDBConnection, n: Notice): Promise<number> {
  const stored = await rows<{ id: number }>(
    conn,
    `INSERT INTO market_notice (id, created, type_id, type_description, reference, reason, region, category, lor, forecast, cancelled)
     VALUES ($id, $created, $typeId, $typeDescription, $reference, $reason, $region, $category, $lor::INTEGER, $forecast, $cancelled)
     ON CONFLICT DO NOTHING RETURNING id`,
    {
      id: n.id,
      created: n.created,
      typeId: n.typeId,
      typeDescription: n.typeDescription,
      reference: n.reference,
      reason: n.reason,
      region: n.region,
      category: n.category,
      lor: n.lor,
      forecast: n.forecast,
      cancelled: n.cancelled,
    },
  );
  return stored.length;
}
