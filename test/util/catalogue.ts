// What tests of the catalogue share: params checked as the router checks them, the synthetic three days
// (synthetic-data.ts) in a fresh store with its query context, and comparisons for wire-rounded values.
import { expect } from 'vitest';
import { runQuery, type QueryContext } from '../../server/catalogue/index.ts';
import { fill, openTestStore, rawRows, T0, WATERMARK, type Raw, type TestStore } from './synthetic-data.ts';
import { validateParams, type Kind, type ParamsOf, type ResultOf } from '../../shared/kinds.ts';

/** `raw` validated and defaulted as the router would pass it on; throws naming the kind when it is refused. */
export function checked<K extends Kind>(kind: K, raw: Record<string, unknown> = {}): ParamsOf<K> {
  const v = validateParams(kind, raw);
  if (!v.ok) throw new Error(`${kind}: ${v.message}`);
  return v.params;
}

/** `kind` answered on `ctx`, with `raw` checked first. */
export function ask<K extends Kind>(
  ctx: QueryContext,
  kind: K,
  raw: Record<string, unknown> = {},
): Promise<ResultOf[K]> {
  return runQuery(ctx, kind, checked(kind, raw));
}

/** A fresh store holding `raw` (default: the synthetic three days) and its rollups, and the context to query it in. */
export async function syntheticStore(raw: Raw = rawRows()): Promise<{ store: TestStore; ctx: QueryContext }> {
  const store = await openTestStore();
  await fill(store.conn, raw);
  return { store, ctx: { conn: store.conn, watermark: WATERMARK, firstTs: T0 + 300 } };
}

export const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
export const mean = (xs: number[]) => sum(xs) / xs.length;
/** Region and NEM MW series go on the wire in whole MW. */
export const MW = 0.5;
/** Values are rounded to 2 decimals for the wire: equal within half a cent (or 0.01 MW). */
export function near(actual: number | null | undefined, expected: number, tol = 0.0051): void {
  expect(actual).not.toBeNull();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(tol);
}
