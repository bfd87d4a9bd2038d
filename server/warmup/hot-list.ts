// The questions clients asked lately (the hot tracker's, server/cache/hot.ts), kept across a restart in
// CACHE_DIR/hot.json so the boot warmup computes them too, after the fixed list (server/warmup/list.ts): the stations
// and windows analysts actually browse are not in that list, and after downtime (AEMO moved on, the demo caught up)
// the answers the LMDB cache kept are at an older watermark, so their keys are gone. Written at shutdown; a crash
// leaves the previous one. Read as untrusted: each entry validated like a client's question, the file size and the
// count bounded, anything unreadable ignored (the warmup is an optimisation, never a reason not to start).
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKind, UNCACHED, validateParams } from '../../shared/kinds.ts';
import { uniqueQueries, type WarmQuery } from './list.ts';
import { HOT_LIMIT } from './run.ts';

export const HOT_FILE = 'hot.json';
/** Larger than HOT_LIMIT questions can be: not ours. */
const MAX_BYTES = 1 << 20;

/** Writes `queries` (most asked first) to `dir`/hot.json, whole or not at all. */
export function saveHotList(dir: string, queries: readonly WarmQuery[]): void {
  const file = join(dir, HOT_FILE);
  const list = queries.slice(0, HOT_LIMIT).map(({ kind, params }) => ({ kind, params }));
  try {
    writeFileSync(`${file}.tmp`, JSON.stringify({ v: 1, queries: list }));
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    // A full disk leaves a partial file behind: the previous list stays, and nothing else does.
    rmSync(`${file}.tmp`, { force: true });
    throw err;
  }
}

/** The questions `dir`/hot.json holds that are still valid questions; [] when it is missing or not ours. */
export function loadHotList(dir: string): WarmQuery[] {
  const file = join(dir, HOT_FILE);
  let raw: unknown;
  try {
    if (statSync(file).size > MAX_BYTES) return [];
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return [];
  }
  const queries = (raw as { v?: unknown; queries?: unknown })?.queries;
  if ((raw as { v?: unknown })?.v !== 1 || !Array.isArray(queries)) return [];
  const out: WarmQuery[] = [];
  for (const q of queries.slice(0, HOT_LIMIT)) {
    const kind = (q as { kind?: unknown })?.kind;
    if (!isKind(kind) || UNCACHED.has(kind)) continue;
    const v = validateParams(kind, (q as { params?: unknown }).params ?? {});
    if (v.ok) out.push({ kind, params: v.params });
  }
  return uniqueQueries(out);
}
