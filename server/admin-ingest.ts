// POST /admin/ingest?name=FILE: a running server's own ingest, for `npm run backfill` while the server holds the store
// (DuckDB allows one writing process). A route rather than a spool folder the server watches: the caller learns each
// file's outcome (rows stored, or why it was refused) in the response, so its done.json records only what is stored,
// with no second channel to poll; it works whatever LIVE is; and the body is bounded and streamed to disk as it comes.
//
// Protection: a bearer token, compared in constant time (auth.ts). By default the server makes a random token at start
// and writes it, with its URL, to DATA_DIR/admin.json (mode 0600, removed at shutdown): whoever can read DATA_DIR (who
// could write the store anyway) can use it, from a loopback address only. ADMIN_TOKEN sets the token instead and then
// accepts any address. ADMIN_INGEST=0 removes the route. Files go through the same ingest as `npm run ingest` and
// the live feed (server/store/ingest.ts) on the live feed's own connection, one at a time.
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { bearerToken, tokenMatches } from './auth.ts';
import { reply } from './http.ts';
import type { Logger } from './log.ts';
import type { FileReport } from './store/ingest.ts';
import type { HttpRequest, HttpResponse } from './uws.ts';

/** Where the server says how to reach its ingest: { url, token, pid }. */
export const ADMIN_FILE = 'admin.json';
/** A NEMWEB file name: letters, digits and _ . # % - only (no path), ending .zip or .csv. */
const NAME = /^[A-Za-z0-9_.#%-]{1,200}\.(zip|csv)$/i;

export interface AdminIngestOptions {
  dataDir: string;
  /** ADMIN_TOKEN; undefined: a random one, loopback callers only. */
  token: string | undefined;
  maxBytes: number;
  log: Logger;
  /** Ingests a file on disk; throws having stored nothing, `code` 'bad_file' when the file is to blame. */
  ingest(path: string, name: string): Promise<FileReport>;
}

export interface AdminIngest {
  handle(res: HttpResponse, req: HttpRequest): void;
  /** Writes DATA_DIR/admin.json once the server's URL is known. */
  announce(url: string): void;
  /** Removes admin.json and what uploads are left. */
  close(): void;
}

export function adminIngest(o: AdminIngestOptions): AdminIngest {
  const token = o.token ?? randomBytes(32).toString('hex');
  const loopbackOnly = o.token === undefined;
  const dir = join(o.dataDir, 'uploads');
  // What a crashed run left half-spooled: this process holds the store, so nobody else is using it.
  rmSync(dir, { recursive: true, force: true });
  const file = join(o.dataDir, ADMIN_FILE);
  let announced = false;
  let uploads = 0;

  const json = (res: HttpResponse, state: { aborted: boolean }, status: string, body: object) =>
    reply(res, state, {
      status,
      headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' },
      body: JSON.stringify(body),
    });

  function handle(res: HttpResponse, req: HttpRequest): void {
    // One onAborted per response (uWS keeps the last): it marks the response gone and drops a partial upload.
    const state = { aborted: false };
    let drop = () => {};
    res.onAborted(() => {
      state.aborted = true;
      drop();
    });
    // uWS closes the connection when a response ends before the request's body was read.
    const refuse = (status: string, error: string) => {
      json(res, state, status, { error });
      state.aborted = true;
    };
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    if (loopbackOnly && !isLoopback(remote))
      return refuse('403 Forbidden', 'the admin ingest answers loopback callers only (set ADMIN_TOKEN for others)');
    if (!tokenMatches(token, bearerToken(req.getHeader('authorization')) ?? null))
      return refuse('401 Unauthorized', `Authorization: Bearer <token> wanted (DATA_DIR/${ADMIN_FILE})`);
    // uWS decodes the value (%23 → #): decoding it again would read a name's own % as an escape.
    const name = req.getQuery('name') ?? '';
    if (!NAME.test(name)) return refuse('400 Bad Request', 'name= must be a .zip or .csv file name, no path');
    const declared = Number(req.getHeader('content-length') || NaN);
    if (!(declared >= 0)) return refuse('411 Length Required', 'Content-Length wanted');
    if (declared > o.maxBytes)
      return refuse('413 Payload Too Large', `larger than ${o.maxBytes} bytes (ADMIN_MAX_BYTES)`);

    const path = join(dir, `${process.pid}-${++uploads}-${name.replace(/[#%]/g, '_')}`);
    // A full or read-only disk under DATA_DIR refuses this upload; thrown from a uWS handler it would end the process.
    const noRoom = (err: unknown) => {
      o.log.error({ err, name }, 'admin ingest: cannot spool the upload');
      refuse('507 Insufficient Storage', `cannot write the upload under DATA_DIR: ${(err as Error).message}`);
    };
    let fd: number;
    try {
      mkdirSync(dir, { recursive: true });
      fd = openSync(path, 'w', 0o600);
    } catch (err) {
      return noRoom(err);
    }
    let got = 0;
    let open = true;
    drop = () => {
      if (open) closeSync(fd);
      open = false;
      rmSync(path, { force: true });
    };
    res.onData((chunk, last) => {
      if (!open || state.aborted) return;
      got += chunk.byteLength;
      if (got > declared) {
        drop();
        return refuse('400 Bad Request', 'the body is longer than its Content-Length');
      }
      // Synchronous: the chunk is valid only during this call; loopback chunks are small and the disk local.
      try {
        writeSync(fd, new Uint8Array(chunk));
      } catch (err) {
        drop();
        return noRoom(err);
      }
      if (!last) return;
      closeSync(fd);
      open = false;
      if (got !== declared) {
        rmSync(path, { force: true });
        return refuse('400 Bad Request', `the body ended after ${got} of ${declared} bytes`);
      }
      o.ingest(path, name)
        .then((r) =>
          json(res, state, '200 OK', { rows: r.rows, window: r.window, notes: r.notes, ms: Math.round(r.ms) }),
        )
        .catch((err: Error & { code?: string }) => {
          const error = err.message.replaceAll(path, name);
          if (err.code === 'bad_file') return json(res, state, '422 Unprocessable Entity', { error, stored: false });
          o.log.error({ err, name }, 'admin ingest: the store failed');
          json(res, state, '503 Service Unavailable', { error, stored: false });
        })
        .finally(() => rmSync(path, { force: true }));
    });
  }

  return {
    handle,
    announce(url) {
      writeFileSync(file, JSON.stringify({ url, token, pid: process.pid }), { mode: 0o600 });
      announced = true;
    },
    close() {
      if (announced) rmSync(file, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** 127.0.0.0/8 or ::1, as uWS writes them (an IPv4 caller on a dual-stack socket comes as ::ffff:7f00:1). */
export function isLoopback(addr: string): boolean {
  const a = addr.toLowerCase();
  if (/^127\./.test(a) || /^(0{1,4}:){7}0{0,3}1$/.test(a) || a === '::1') return true;
  return /^(0{1,4}:){5}ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(a) || /^::ffff:127\./.test(a);
}
