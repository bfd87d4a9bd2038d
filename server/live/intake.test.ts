// The intake against a real store and the real ingest: a malformed file is written off until it changes; a failure
// of the store is not the file's, so the file is logged, left unrecorded and taken once the store works again.
import type { DuckDBConnection } from '@duckdb/node-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestBuffer } from '../store/ingest.ts';
import { Intake, STALL_TRIES } from './intake.ts';
import { Ledger } from './ledger.ts';
import { storeHarness, type Harness } from '../../test/util/live-store.ts';
import { badDispatchIs, dispatchIs } from '../../bench/nemweb/files.ts';

const T0 = 1775000100; // 2026-04-01 09:35 NEM time, a 5-minute boundary
let h: Harness;
/** The connection the intake ingests through, apart from the ledger's, so a test can break it alone. */
let conn: DuckDBConnection;
let intake: Intake;
beforeEach(async () => {
  h = await storeHarness();
  conn = await h.instance.connect();
  intake = new Intake(
    await Ledger.open(h.conn),
    (name, bytes) => ingestBuffer(conn, name, bytes),
    h.log,
    (b) => void h.batches.push(b),
  );
});
afterEach(() => {
  conn.closeSync();
  h.close();
});

const storeFailures = () => h.lines.filter((l) => l.msg === 'live: the store failed; the file is tried again later');

describe('Intake', () => {
  it('writes off a malformed file as bad', async () => {
    const bad = badDispatchIs(T0);
    expect(await intake.take([{ ...bad, source: 'test' }])).toEqual([]);
    expect(intake.ledger.get(bad.name)).toEqual({ status: 'bad', size: bad.bytes.length });
    expect(intake.wants(bad.name, bad.bytes.length)).toBe(false);
    expect(h.lines.find((l) => l.msg === 'live: bad file skipped')).toMatchObject({ level: 40, file: bad.name });
    expect(storeFailures()).toEqual([]);
  });

  it('does not mark a file bad when the store fails inside the import, and takes it once the store works', async () => {
    const a = dispatchIs(T0);
    await conn.run('BEGIN TRANSACTION'); // the import's own transaction cannot start: a failure that is not the file's
    expect(await intake.take([{ ...a, source: 'test' }])).toEqual([]);
    expect(intake.ledger.get(a.name)).toBeUndefined();
    expect(intake.wants(a.name, a.bytes.length)).toBe(true);
    expect(storeFailures()).toMatchObject([{ level: 50, file: a.name, tries: 1 }]);
    expect(h.lines.filter((l) => l.msg === 'live: bad file skipped')).toEqual([]);

    await conn.run('ROLLBACK');
    expect(await intake.take([{ ...a, source: 'test' }])).toEqual([a.name]);
    expect(intake.ledger.get(a.name)?.status).toBe('ok');
    expect(await h.watermark()).toBe(T0);
    expect(h.batches.map((b) => b.files)).toEqual([[a.name]]);
  });

  it('keeps a file wanted however often a closed connection fails it, and leaves the rest of the batch for later', async () => {
    const a = dispatchIs(T0);
    const b = dispatchIs(T0 + 300);
    const closed = conn;
    conn = await h.instance.connect();
    const lost = new Intake(
      intake.ledger,
      (name, bytes) => ingestBuffer(closed, name, bytes),
      h.log,
      (x) => void h.batches.push(x),
    );
    closed.closeSync();
    for (let i = 0; i < 4; i++)
      expect(
        await lost.take([
          { ...b, source: 'test' },
          { ...a, source: 'test' },
        ]),
      ).toEqual([]);
    // One failure per take, for the first file in name order: the second waits rather than landing first.
    expect(storeFailures().map((l) => [l.file, l.tries])).toEqual([1, 2, 3, 4].map((n) => [a.name, n]));
    expect([intake.ledger.get(a.name), intake.ledger.get(b.name)]).toEqual([undefined, undefined]);

    expect(
      await intake.take([
        { ...a, source: 'test' },
        { ...b, source: 'test' },
      ]),
    ).toEqual([a.name, b.name]);
    expect(await h.watermark()).toBe(T0 + 300);
  });

  it('lets later files go ahead of one that keeps failing, and still takes it once it can', async () => {
    const a = dispatchIs(T0);
    const b = dispatchIs(T0 + 300);
    let broken = true; // an ingest bug that only this file triggers
    const picky = new Intake(
      intake.ledger,
      (name, bytes) =>
        broken && name === a.name ? Promise.reject(new TypeError('boom')) : ingestBuffer(conn, name, bytes),
      h.log,
      (x) => void h.batches.push(x),
    );
    const both = [
      { ...a, source: 'test' },
      { ...b, source: 'test' },
    ];
    for (let i = 1; i < STALL_TRIES; i++) expect(await picky.take(both)).toEqual([]);
    expect(await picky.take(both)).toEqual([b.name]);
    expect(await h.watermark()).toBe(T0 + 300);
    expect(h.lines.filter((l) => l.msg === 'live: a file keeps failing; later files go ahead of it')).toMatchObject([
      { level: 50, file: a.name, tries: STALL_TRIES },
    ]);
    expect(picky.wants(a.name, a.bytes.length)).toBe(true);
    broken = false;
    expect(await picky.take(both)).toEqual([a.name]);
    expect(intake.ledger.get(a.name)?.status).toBe('ok');
  });
});
