// Store identity and data version: written once per store, bumped by writes that reach back to the watermark
// (in their own transaction), left alone by appends after it; the Market keys by them.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fill, rawRows, WATERMARK } from '../../test/util/synthetic-data.ts';
import { Market } from '../market.ts';
import { priceCsv } from '../../bench/nemweb/files.ts';
import { openStore } from './db.ts';
import { ingestBuffer, ingestFiles } from './ingest.ts';
import { readGeneration } from './version.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'nem-version-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function open(dataDir: string): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection; close(): void }> {
  const { instance } = await openStore({ dataDir, threads: 1 });
  const conn = await instance.connect();
  return {
    instance,
    conn,
    close() {
      conn.closeSync();
      instance.closeSync();
    },
  };
}

describe('store identity', () => {
  it('is written once when the store is created and kept across opens; another DATA_DIR gets another', async () => {
    const dir = tempDir();
    const a = await open(dir);
    const first = await readGeneration(a.conn);
    a.close();
    const b = await open(dir);
    expect(await readGeneration(b.conn)).toBe(first);
    b.close();
    const c = await open(tempDir());
    const other = await readGeneration(c.conn);
    c.close();
    expect(first).toMatch(/^[\w-]{11}\.0$/);
    expect(other).not.toBe(first);
  });
});

describe('data version', () => {
  let s: Awaited<ReturnType<typeof open>>;
  const version = async () => Number((await readGeneration(s.conn)).split('.')[1]);
  beforeAll(async () => {
    s = await open(tempDir());
    await fill(s.conn, rawRows());
  });
  afterAll(() => s.close());

  it('stays when a file only appends intervals after the watermark', async () => {
    const before = await version();
    const r = await ingestBuffer(
      s.conn,
      'append.CSV',
      new TextEncoder().encode(priceCsv([{ ts: WATERMARK + 300, region: 'SA1', rrp: 50 }])),
    );
    expect(r.rows.price).toBe(1);
    expect(await version()).toBe(before);
  });

  it('goes up with a file that revises an interval at or before the watermark, in the same transaction', async () => {
    const before = await version();
    await ingestBuffer(
      s.conn,
      'revise.CSV',
      new TextEncoder().encode(priceCsv([{ ts: WATERMARK - 3000, region: 'SA1', rrp: 9999 }])),
    );
    expect(await version()).toBe(before + 1);
    // A file that fails is rolled back whole: no bump either.
    const bad = priceCsv([{ ts: WATERMARK - 600, region: 'SA1', rrp: 1 }]).replace(',1,0,1,', ',1,0,not-a-number,');
    await expect(ingestBuffer(s.conn, 'bad.CSV', new TextEncoder().encode(bad))).rejects.toThrow();
    expect(await version()).toBe(before + 1);
  });

  it('goes up with a registry import (fuels and regions of every past answer)', async () => {
    const before = await version();
    const dir = tempDir();
    const file = join(dir, 'registry.csv');
    writeFileSync(
      file,
      'Participant,Station Name,Region,Dispatch Type,Category,Classification,Fuel Source - Primary,Fuel Source - Descriptor,' +
        'Technology Type - Primary,Technology Type - Descriptor,Aggregation,DUID,Reg Cap generation (MW),Max Cap generation (MW)\n' +
        'P,Alpha Wind Farm,SA1,Generator,Market,Scheduled,Wind,Wind,Renewable,Wind - Onshore,N,WINDA1,120,120\n',
    );
    const r = await ingestFiles(s.conn, [file]);
    expect(r.rejected).toBe(0);
    expect(await version()).toBe(before + 1);
  });
});

describe('Market generation', () => {
  it('starts from the store generation, adds in-process revisions, and takes a generation given to it', () => {
    const m = new Market(1000, 0, 'abc.3');
    expect(m.generation).toBe('abc.3');
    expect(m.advance(1300)).toBe(true);
    expect(m.generation).toBe('abc.3');
    m.advance(1300, { revised: true });
    expect(m.generation).toBe('abc.3r1');
    const events: boolean[] = [];
    m.onAdvance((e) => events.push(e.revised));
    expect(m.advance(1300, { generation: 'abc.3r1' })).toBe(false);
    expect(m.advance(1300, { generation: 'abc.4' })).toBe(true);
    expect(m.generation).toBe('abc.4');
    expect(events).toEqual([true]);
  });
});
