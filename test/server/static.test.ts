// GET / and static files: content types, cache headers, precompressed variants chosen by Accept-Encoding, 304s,
// 404 for missing files, and nothing outside the bundle directory, however the path is spelled.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gunzipSync, brotliDecompressSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.ts';

let server: TestServer;
let bare: TestServer;
let dir: string;
const INDEX = '<!doctype html><title>NEM Live test bundle</title>' + ' '.repeat(2000);
const APP = 'console.log("app");'.repeat(200);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemlive-static-'));
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'sub'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'index.html.gz'), gzipSync(INDEX));
  writeFileSync(join(dist, 'index.html.br'), brotliCompressSync(INDEX));
  writeFileSync(join(dist, 'app-K3YBVSOY.js'), APP);
  writeFileSync(join(dist, 'app-K3YBVSOY.js.gz'), gzipSync(APP));
  writeFileSync(join(dist, 'style.css'), 'body{}');
  writeFileSync(join(dist, 'sub', 'data.json'), '{"a":1}');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET');
  symlinkSync(join(dir, 'secret.txt'), join(dist, 'link.txt'));
  server = await startTestServer({ staticDir: dist });
  bare = await startTestServer({ staticDir: join(dir, 'missing') });
});
afterAll(async () => {
  await server?.stop();
  await bare?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw request: the path goes on the wire exactly as written (fetch would normalise "..").*/
function get(s: TestServer, path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: s.port, path, method, headers: { 'accept-encoding': 'identity', ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('static files', () => {
  it('serves / as index.html, not cached without revalidation', async () => {
    for (const path of ['/', '/?tab=prices&region=SA1&range=7d', '/index.html']) {
      const r = await get(server, path);
      expect(r.status, path).toBe(200);
      expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.body.toString()).toBe(INDEX);
    }
  });

  it('marks hashed assets immutable and gives each type its content type', async () => {
    const js = await get(server, '/app-K3YBVSOY.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body.toString()).toBe(APP);
    const css = await get(server, '/style.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=3600');
    expect((await get(server, '/sub/data.json')).headers['content-type']).toBe('application/json; charset=utf-8');
    expect(js.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves precompressed variants the client accepts, preferring brotli', async () => {
    const gz = await get(server, '/app-K3YBVSOY.js', { 'accept-encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('Accept-Encoding');
    expect(gunzipSync(gz.body).toString()).toBe(APP);
    expect(gz.body.length).toBeLessThan(APP.length);
    const br = await get(server, '/', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).toString()).toBe(INDEX);
    const refused = await get(server, '/', { 'accept-encoding': 'br;q=0, gzip;q=0' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString()).toBe(INDEX);
    // No variant on disk: identity, whatever is accepted.
    expect(
      (await get(server, '/style.css', { 'accept-encoding': 'gzip, br' })).headers['content-encoding'],
    ).toBeUndefined();
  });

  it('answers If-None-Match with 304, HEAD with headers only, other methods with 405', async () => {
    const first = await get(server, '/app-K3YBVSOY.js');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^W\/".+"$/);
    const again = await get(server, '/app-K3YBVSOY.js', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get(server, '/app-K3YBVSOY.js', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(APP.length));
    expect(head.body.length).toBe(0);
    const post = await get(server, '/index.html', { 'content-length': '0' }, 'POST');
    expect(post.status).toBe(405);
  });

  it('404s missing files and directories', async () => {
    for (const path of ['/nope.js', '/sub', '/sub/', '/app-K3YBVSOY.js.map', '/healthz/x']) {
      expect((await get(server, path)).status, path).toBe(404);
    }
  });

  it('never serves anything outside the bundle directory', async () => {
    const attempts = [
      '/../secret.txt',
      '/sub/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/..\\secret.txt',
      '//../secret.txt',
      `/${'../'.repeat(12)}etc/passwd`,
      '/link.txt', // a symlink leading out
    ];
    for (const path of attempts) {
      const r = await get(server, path);
      expect([400, 404], path).toContain(r.status);
      expect(r.body.toString(), path).not.toContain('SECRET');
      expect(r.body.toString(), path).not.toContain('root:');
    }
    expect((await get(server, '/%E0%A4%A')).status).toBe(400); // undecodable
    expect((await get(server, '/index.html%00.js')).status).toBe(400);
  });

  it('serves a minimal page at / until the client is built', async () => {
    const r = await get(bare, '/');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.body.toString()).toMatch(/npm run build:client/);
    expect((await get(bare, '/app.js')).status).toBe(404);
  });

  it('/healthz is JSON per the contract', async () => {
    const r = await get(server, '/healthz');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(r.body.toString());
    // The contract's fields exactly; duckdbMemoryBytes is our extra (the last duckdb_memory() sample).
    expect(body).toEqual({
      status: 'ok',
      sessions: 0,
      duckdbConnections: 0,
      watermark: server.market.iso,
      duckdbMemoryBytes: expect.any(Number),
    });
  });
});
