// Backfill while a server serves the store: a real server (startApp, its store in a temp dir, a live feed watching an
// empty folder) and the NEMWEB-like site serving April 2026's MMSDM archives (the real samples). The CLI finds the
// server holding the store and sends the files through its admin ingest; the store then holds what a backfill into a
// stopped store holds, table by table, and the server answers from it. A backfill killed midway resumes and ends
// the same; the admin route refuses a wrong token, a bad name, an oversized body and a file that is not a zip, with a
// clear error, and stores nothing from them.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NemClient } from '../../client/sdk/client.ts';
import { nemwebSite, type NemwebSite } from '../../bench/nemweb/site.ts';
import { isLoopback } from '../admin-ingest.ts';
import { startApp, type AppHandle } from '../app.ts';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { openStore } from '../store/db.ts';
import { ensureRegistry } from '../store/registry.ts';
import { intoServer, intoStore, serverOf } from './into.ts';
import { monthlyFolder } from './plan.ts';
import { backfill } from './run.ts';

const ROOT = join(import.meta.dirname, '../..');
const FIXTURES = ['test/fixtures/aemo', 'test/fixtures/aemo-regionsum'].map((d) => join(ROOT, d));
const APRIL = { year: 2026, month: 4 };
const tmp = mkdtempSync(join(tmpdir(), 'nem-serve-backfill-'));
let site: NemwebSite;
let app: AppHandle;
let conn: DuckDBConnection;
const TABLES = ['price', 'scada', 'regionsum', 'interconnector', 'rooftop', 'gen_5m', 'gen_1d', 'unit_1d'];

const snapshot = async (c: DuckDBConnection) => {
  const out: Record<string, unknown> = {};
  for (const t of TABLES)
    out[t] = (await c.runAndReadAll(`SELECT count(*)::INT, (sum(hash(x)) % 1000003)::INT FROM ${t} x`)).getRowsJS()[0];
  return out;
};

async function startServer(name: string, env: Record<string, string> = {}): Promise<AppHandle> {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'watch'), { recursive: true });
  const config = loadConfig([], {
    DATA_DIR: join(dir, 'data'),
    CACHE_DIR: join(dir, 'cache'),
    PORT: '0',
    HOST: '127.0.0.1',
    WARM: '0',
    LIVE: `watch:${join(dir, 'watch')}`,
    LOG_LEVEL: 'warn',
    ...env,
  });
  return startApp(config, { log: createLogger('warn') });
}

/** `npm run backfill` as a user runs it, against the site; resolves with its exit code and output. */
function cli(dataDir: string, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server/backfill/cli.ts'), ...args], {
      env: { ...process.env, DATA_DIR: dataDir, NEMWEB_URL: site.base, LOG_LEVEL: 'warn' },
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b));
    child.stderr.on('data', (b: Buffer) => (out += b));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

const post = (name: string, body: Uint8Array<ArrayBuffer>, token: string | undefined) =>
  fetch(`${app.url}/admin/ingest?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: token ? { authorization: `Bearer ${token}` } : {},
    body,
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { error?: string } }));

beforeAll(async () => {
  site = await nemwebSite();
  const files = FIXTURES.flatMap((dir) =>
    readdirSync(dir)
      .filter((f) => f.startsWith('PUBLIC_ARCHIVE%23'))
      .map((f) => ({ name: decodeURIComponent(f), bytes: readFileSync(join(dir, f)) })),
  );
  site.feeds.set(monthlyFolder('', APRIL).slice(1, -1), files);
  app = await startServer('served');
  conn = await app.instance.connect();
}, 120_000);
afterAll(async () => {
  conn?.closeSync();
  await app?.close();
  await site?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe('backfill while a server serves the store', () => {
  let expected: Record<string, unknown>;

  it('stores through the server what a backfill into a stopped store stores, and the server answers from it', async () => {
    // The reference: the same month into a store no server holds.
    const { instance } = await openStore({ dataDir: join(tmp, 'stopped'), threads: 2 });
    const ref = await instance.connect();
    await ensureRegistry(ref);
    const direct = await backfill({
      base: site.base,
      months: [APRIL],
      dir: join(tmp, 'dl-stopped'),
      ingest: intoStore(ref, tmp),
    });
    expect(direct.failed).toEqual([]);
    expected = await snapshot(ref);
    ref.closeSync();
    instance.closeSync();

    const dataDir = join(tmp, 'served/data');
    const run = await cli(dataDir, ['--from', '2026-04', '--to', '2026-04']);
    expect(run.out).toContain('a server holds the store: files go through its ingest');
    expect(run.code, run.out).toBe(0);
    expect(await snapshot(conn)).toEqual(expected);
    expect((expected.scada as number[])[0]).toBeGreaterThan(0);

    // The server moved on to the new data once the files stopped coming: its watermark is the month's last interval.
    const [last, regions] = (
      await conn.runAndReadAll('SELECT ts, count(*)::INT FROM price GROUP BY ts ORDER BY ts DESC LIMIT 1')
    ).getRowsJS()[0];
    await vi.waitFor(() => expect(app.market.watermark).toBe(Number(last)), { timeout: 60_000, interval: 200 });
    const client = new NemClient({ url: app.wsUrl, WebSocket });
    try {
      const answer = await client.query('prices.current', {});
      expect(answer.data.time).toBe(Number(last));
      expect(answer.data.rows).toHaveLength(Number(regions)); // the sample's regions
    } finally {
      client.close();
    }
  }, 240_000);

  it('resumes a backfill killed midway, through the server, to the same store', async () => {
    const second = await startServer('resumed');
    const c = await second.instance.connect();
    try {
      const server = serverOf(join(tmp, 'resumed/data'))!;
      expect(server.url).toBe(second.url);
      const stop = new AbortController();
      const dir = join(tmp, 'dl-resumed');
      const opts = { base: site.base, months: [APRIL], dir, ingest: intoServer(server) };
      const first = await backfill({
        ...opts,
        http: { signal: stop.signal, retries: 0 },
        progress: (p) => p.done === 2 && stop.abort(), // killed after two files
      });
      expect(first.ingested).toBe(2);
      expect(first.failed.length).toBeGreaterThan(0);
      const before = site.requests.length;
      const again = await backfill(opts);
      expect(again).toMatchObject({ skipped: 2, failed: [] });
      expect(again.ingested).toBe(first.planned - 2);
      expect(site.requests.slice(before).filter((r) => /\.zip$/.test(r))).toHaveLength(first.planned - 2);
      expect(await snapshot(c)).toEqual(expected);
    } finally {
      c.closeSync();
      await second.close();
    }
  }, 240_000);

  it('refuses a wrong token, a bad name, an oversized body and a file that is not a zip, storing nothing', async () => {
    const token = serverOf(join(tmp, 'served/data'))!.token;
    const before = await snapshot(conn);
    const zip = new Uint8Array(100);
    expect(await post('PUBLIC_X.zip', zip, undefined)).toMatchObject({ status: 401 });
    expect(await post('PUBLIC_X.zip', zip, 'wrong')).toMatchObject({ status: 401 });
    expect(await post('../../etc/passwd.zip', zip, token)).toMatchObject({ status: 400 });
    expect(await post('PUBLIC_X.exe', zip, token)).toMatchObject({ status: 400 });
    const malformed = await fetch(`${app.url}/admin/ingest?name=%E0%A4%A.zip`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: zip,
    });
    expect(malformed.status).toBe(400);
    const html = new TextEncoder().encode('<html><body>Service temporarily unavailable</body></html>');
    const refused = await post('PUBLIC_ARCHIVE#DISPATCHPRICE#FILE01#202605010000.zip', html, token);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatch(/not a zip/);
    expect(await snapshot(conn)).toEqual(before);

    const small = await startServer('small', { ADMIN_MAX_BYTES: '2048' });
    try {
      const t = serverOf(join(tmp, 'small/data'))!.token;
      const big = await fetch(`${small.url}/admin/ingest?name=PUBLIC_BIG.zip`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}` },
        body: new Uint8Array(4096),
      });
      expect(big.status).toBe(413);
      expect(((await big.json()) as { error: string }).error).toContain('ADMIN_MAX_BYTES');
      // An unlucky disk: nowhere to spool the upload (a file where its folder goes) is a refusal, not a crash.
      writeFileSync(join(tmp, 'small/data/uploads'), 'in the way');
      const spool = await fetch(`${small.url}/admin/ingest?name=PUBLIC_SMALL.zip`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}` },
        body: new Uint8Array(100),
      });
      expect(spool.status).toBe(507);
      expect([200, 503]).toContain((await fetch(`${small.url}/healthz`)).status); // still serving
      rmSync(join(tmp, 'small/data/uploads'));
    } finally {
      await small.close();
    }
    expect(readdirSync(join(tmp, 'served/data/uploads'))).toEqual([]);
    // Without ADMIN_TOKEN only loopback callers, as uWS writes their addresses, are let in.
    const loop = ['127.0.0.1', '0000:0000:0000:0000:0000:ffff:7f00:0001', '0000:0000:0000:0000:0000:0000:0000:0001'];
    expect(loop.map(isLoopback)).toEqual([true, true, true]);
    const far = ['10.0.0.1', '0000:0000:0000:0000:0000:ffff:0a00:0001', '2001:0db8:0000:0000:0000:0000:0000:0001'];
    expect(far.map(isLoopback)).toEqual([false, false, false]);
  }, 120_000);
});
