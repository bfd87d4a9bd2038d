// One backfill download against a loopback server: a big file that keeps coming is taken however long it takes (the
// timeout is for a silence, not the whole transfer), one that stalls or grows past the bound fails with a plain reason.
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from './run.ts';

let server: Server;
let base = '';
const tmp = mkdtempSync(join(tmpdir(), 'nem-download-'));

beforeAll(async () => {
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/zip' });
    let sent = 0;
    // /slow: 12 chunks 100 ms apart (1.2 s in all); /stall: one chunk, then silence; /endless: 1 KB every 10 ms
    const every = req.url === '/endless' ? 10 : 100;
    const t = setInterval(() => {
      if (req.url === '/stall' && sent > 0) return;
      res.write(Buffer.alloc(1000, 65));
      if (++sent === 12 && req.url === '/slow') {
        clearInterval(t);
        res.end();
      }
    }, every);
    res.on('close', () => clearInterval(t));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  rmSync(tmp, { recursive: true, force: true });
});

const http = {
  timeoutMs: 500,
  retries: 0,
  retryBaseMs: 5,
  fetch: globalThis.fetch,
  signal: new AbortController().signal,
};

describe('download', () => {
  it('takes a file longer than the timeout to arrive as long as it keeps coming', async () => {
    await download(`${base}/slow`, join(tmp, 'slow.zip'), http, 1e6);
    expect(readFileSync(join(tmp, 'slow.zip')).length).toBe(12_000);
  });

  it('fails a file that stops coming, and one past the size bound, leaving no file', async () => {
    await expect(download(`${base}/stall`, join(tmp, 'stall.zip'), http, 1e6)).rejects.toThrow(/no data for 500 ms/);
    await expect(download(`${base}/endless`, join(tmp, 'endless.zip'), http, 20_000)).rejects.toThrow(
      /larger than 20000 bytes/,
    );
    expect(existsSync(join(tmp, 'stall.zip')) || existsSync(join(tmp, 'endless.zip'))).toBe(false);
  });
});
