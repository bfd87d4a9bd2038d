import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../store/db.ts';
import { Ledger } from './ledger.ts';

describe('Ledger', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('remembers taken and bad files across a reopen of the store', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ledger-'));
    dirs.push(dir);
    let { instance } = await openStore({ dataDir: dir, threads: 1 });
    let conn = await instance.connect();
    const ledger = await Ledger.open(conn);
    expect(ledger.wants('A.zip', 10)).toBe(true);
    await ledger.record('A.zip', '/in', 10, 'ok');
    await ledger.record('B.zip', '/in', 5, 'bad', 'truncated');
    conn.closeSync();
    instance.closeSync();

    ({ instance } = await openStore({ dataDir: dir, threads: 1 }));
    conn = await instance.connect();
    const again = await Ledger.open(conn);
    expect(again.size).toBe(2);
    expect(again.wants('A.zip', 10)).toBe(false);
    expect(again.wants('A.zip', 99)).toBe(false); // taken once, never again
    expect(again.wants('B.zip', 5)).toBe(false);
    expect(again.wants('B.zip', 6)).toBe(true); // a bad file that changed gets another look
    await again.record('B.zip', '/in', 6, 'ok');
    expect(again.get('B.zip')).toEqual({ status: 'ok', size: 6 });
    const rows = (
      await conn.runAndReadAll('SELECT name, status, detail FROM live_files ORDER BY name')
    ).getRowObjectsJS();
    expect(rows).toEqual([
      { name: 'A.zip', status: 'ok', detail: null },
      { name: 'B.zip', status: 'ok', detail: null },
    ]);
    conn.closeSync();
    instance.closeSync();
  });
});
