// The folder watcher against a real store and the real ingest: whole files once, partial files never, bad files
// skipped, nothing taken twice across a restart.
import { appendFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestBuffer } from '../store/ingest.ts';
import { streamZip, zeros } from '../../test/util/zip-stream.ts';
import { Intake } from './intake.ts';
import { badDispatchIs, dispatchIs } from '../../bench/nemweb/files.ts';
import { storeHarness, type Harness } from '../../test/util/live-store.ts';
import { WatchFeed } from './watch.ts';

const T0 = 1775000100; // 2026-04-01 09:35 NEM time, a 5-minute boundary
let h: Harness;
let inbox: string;
beforeEach(async () => {
  h = await storeHarness();
  inbox = join(h.dir, 'inbox');
  mkdirSync(inbox);
});
afterEach(() => h.close());

const drop = (f: { name: string; bytes: Uint8Array }) => writeFileSync(join(inbox, f.name), f.bytes);

describe('WatchFeed', () => {
  it('ingests a new zip once and reports one batch, even after a restart', async () => {
    const a = dispatchIs(T0);
    drop(a);
    const feed = new WatchFeed(inbox, h.intake, h.log);
    expect(await feed.poll()).toEqual([a.name]);
    expect(await h.watermark()).toBe(T0);
    expect(h.batches).toHaveLength(1);
    expect(h.batches[0]).toMatchObject({
      source: inbox,
      files: [a.name],
      rows: { price: 5 },
      window: { minTs: T0, maxTs: T0 },
    });
    expect(await feed.poll()).toEqual([]);

    const restarted = new WatchFeed(inbox, await h.restart(), h.log);
    expect(await restarted.poll()).toEqual([]);
    const b = dispatchIs(T0 + 300, 80);
    drop(b);
    expect(await restarted.poll()).toEqual([b.name]);
    expect(h.batches.map((x) => x.files)).toEqual([[a.name], [b.name]]);
    expect(await h.watermark()).toBe(T0 + 300);
  });

  it('waits for a zip that is still being written, and never takes temporary names', async () => {
    const feed = new WatchFeed(inbox, h.intake, h.log);
    const a = dispatchIs(T0);
    const half = Math.floor(a.bytes.length / 2);
    writeFileSync(join(inbox, a.name), a.bytes.subarray(0, half));
    const b = dispatchIs(T0 + 300);
    writeFileSync(join(inbox, `${b.name}.part`), b.bytes);
    expect(await feed.poll()).toEqual([]);
    expect(await feed.poll()).toEqual([]); // unchanged size is not enough for a zip without its central directory

    appendFileSync(join(inbox, a.name), a.bytes.subarray(half));
    renameSync(join(inbox, `${b.name}.part`), join(inbox, b.name));
    expect(await feed.poll()).toEqual([a.name, b.name]);
    expect(h.batches).toHaveLength(1);
  });

  it('takes a CSV once it ends with END OF REPORT, and writes off one that stays without it', async () => {
    const feed = new WatchFeed(inbox, h.intake, h.log, { incompletePolls: 2 });
    const a = dispatchIs(T0, 50, { zip: false });
    drop(a);
    expect(await feed.poll()).toEqual([a.name]);

    const b = dispatchIs(T0 + 300, 50, { zip: false });
    const text = new TextDecoder().decode(b.bytes);
    const cut = text.indexOf('C,"END OF REPORT"');
    writeFileSync(join(inbox, b.name), text.slice(0, cut));
    for (let i = 0; i < 2; i++) expect(await feed.poll()).toEqual([]);
    appendFileSync(join(inbox, b.name), text.slice(cut));
    expect(await feed.poll()).toEqual([b.name]);
    expect(await h.watermark()).toBe(T0 + 300);

    const c = dispatchIs(T0 + 600, 50, { zip: false });
    writeFileSync(join(inbox, c.name), new TextDecoder().decode(c.bytes).slice(0, cut));
    for (let i = 0; i < 3; i++) expect(await feed.poll()).toEqual([]);
    expect(h.intake.ledger.get(c.name)?.status).toBe('bad');
    expect(h.lines.find((l) => l.file === c.name)?.reason).toMatch(/without its END OF REPORT footer/);
  });

  it('logs and skips a bad file, keeps the good ones, and does not retry it unless it changes', async () => {
    const feed = new WatchFeed(inbox, h.intake, h.log);
    const good = dispatchIs(T0);
    drop(good);
    await feed.poll();
    const bad = badDispatchIs(T0 + 300);
    const next = dispatchIs(T0 + 600);
    drop(bad);
    drop(next);
    expect(await feed.poll()).toEqual([next.name]);
    const warn = h.lines.find((l) => l.msg === 'live: bad file skipped');
    expect(warn).toMatchObject({ level: 40, file: bad.name });
    expect(String(warn!.reason)).toMatch(/RRP/);
    expect(await h.watermark()).toBe(T0 + 600);
    const prices = (await h.conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM price')).getRowObjectsJS()[0].n;
    expect(prices).toBe(10); // the two good intervals × 5 regions; nothing from the bad file

    expect(await feed.poll()).toEqual([]);
    expect(h.lines.filter((l) => l.msg === 'live: bad file skipped')).toHaveLength(1);
    expect(h.intake.ledger.get(bad.name)).toEqual({ status: 'bad', size: bad.bytes.length });
  });

  it('skips decompression bombs as bad, records each once, never retries them, and goes on with the next file', async () => {
    const MB = 2 ** 20;
    // The cap set low, so a bomb of valid rows costs the test little: 16 MB of DISPATCH PRICE rows under a 4 MB cap.
    const ingest = (n: string, b: Uint8Array) => ingestBuffer(h.conn, n, b, { limits: { maxInflatedBytes: 4 * MB } });
    const intake = new Intake(h.intake.ledger, ingest, h.log, (b) => void h.batches.push(b));
    const feed = new WatchFeed(inbox, intake, h.log);
    drop(dispatchIs(T0));
    await feed.poll();
    const text = new TextDecoder().decode(dispatchIs(T0 + 300, 70, { zip: false }).bytes).split('\r\n');
    const rows = Buffer.from(text.slice(2, -2).join('\r\n') + '\r\n');
    const rowBomb = {
      name: 'PUBLIC_DISPATCHIS_202604010940_0000000500000001.zip',
      bytes: await streamZip(
        'PUBLIC_DISPATCHIS_202604010940_0000000500000001.CSV',
        (function* () {
          yield Buffer.from(text.slice(0, 2).join('\r\n') + '\r\n');
          for (let n = 0; n < (16 * MB) / rows.length; n++) yield rows;
          yield Buffer.from('C,"END OF REPORT",3\r\n');
        })(),
      ),
    };
    const zeroBomb = {
      name: 'PUBLIC_DISPATCHIS_202604010940_0000000500000002.zip',
      bytes: await streamZip('ZEROS.CSV', zeros(64 * MB)),
    };
    const next = dispatchIs(T0 + 600);
    for (const f of [rowBomb, zeroBomb, next]) drop(f);

    expect(await feed.poll()).toEqual([next.name]);
    expect(await h.watermark()).toBe(T0 + 600);
    expect(intake.ledger.get(rowBomb.name)).toEqual({ status: 'bad', size: rowBomb.bytes.length });
    expect(intake.ledger.get(zeroBomb.name)).toEqual({ status: 'bad', size: zeroBomb.bytes.length });
    const skipped = () => h.lines.filter((l) => l.msg === 'live: bad file skipped');
    expect(skipped().map((l) => [l.file, l.reason])).toEqual([
      [rowBomb.name, expect.stringMatching(/inflates to more than 4 MB \(a zip bomb\?\); rejected/)],
      [zeroBomb.name, expect.stringMatching(/\(ZEROS\.CSV\): a line longer than 1 MB/)],
    ]);
    expect(h.lines.filter((l) => /store failed|keeps failing/.test(l.msg))).toEqual([]);

    expect(await feed.poll()).toEqual([]);
    expect(skipped()).toHaveLength(2);
    const prices = (await h.conn.runAndReadAll('SELECT count(*)::INTEGER AS n FROM price')).getRowObjectsJS()[0].n;
    expect(prices).toBe(10); // the two good intervals; nothing from either bomb
  });

  it('writes off a file larger than maxFileBytes once it stops growing, without reading it, and goes on', async () => {
    const feed = new WatchFeed(inbox, h.intake, h.log, { maxFileBytes: 4096 });
    const big = dispatchIs(T0, 50, { zip: false });
    const padded = Buffer.concat([Buffer.from(`C,${'x'.repeat(5000)}\r\n`), big.bytes]);
    writeFileSync(join(inbox, big.name), padded);
    const next = dispatchIs(T0 + 300);
    drop(next);
    expect(await feed.poll()).toEqual([next.name]);
    expect(h.intake.ledger.get(big.name)).toBeUndefined(); // it may still be growing
    expect(await feed.poll()).toEqual([]);
    expect(h.intake.ledger.get(big.name)).toEqual({ status: 'bad', size: padded.length });
    const reason = h.lines.find((l) => l.file === big.name)?.reason;
    expect(reason).toBe('6 KB, larger than the 4 KB the live feed takes (import it with npm run ingest)');
    expect(await feed.poll()).toEqual([]);
    expect(h.lines.filter((l) => l.msg === 'live: bad file skipped')).toHaveLength(1);
  });

  it('writes off a zip that never gets its central directory', async () => {
    const feed = new WatchFeed(inbox, h.intake, h.log, { incompletePolls: 2 });
    const a = dispatchIs(T0);
    writeFileSync(join(inbox, a.name), a.bytes.subarray(0, 40));
    for (let i = 0; i < 3; i++) expect(await feed.poll()).toEqual([]);
    expect(h.intake.ledger.get(a.name)?.status).toBe('bad');
    drop(a); // re-published whole: it changed, so it is looked at again
    expect(await feed.poll()).toEqual([a.name]);
  });

  it('runs on its own timer between start() and stop(), and waits for a folder that appears later', async () => {
    const later = join(h.dir, 'later');
    const feed = new WatchFeed(later, h.intake, h.log, { pollMs: 20 });
    feed.start();
    await new Promise((r) => setTimeout(r, 60));
    expect(h.lines.filter((l) => /does not exist/.test(l.msg))).toHaveLength(1);
    mkdirSync(later);
    writeFileSync(join(later, dispatchIs(T0).name), dispatchIs(T0).bytes);
    for (let i = 0; i < 200 && h.batches.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await feed.stop();
    expect(h.batches).toHaveLength(1);
    expect(await h.watermark()).toBe(T0);
  });
});
