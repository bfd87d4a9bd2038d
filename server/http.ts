// HTTP on the app's port: the client bundle (client/dist) with content types, cache headers and precompressed
// variants; and the response helper /healthz and /metrics share. Paths are decoded, normalised and confined to
// the bundle directory: nothing outside it is ever read.
import { realpath, readFile, stat } from 'node:fs/promises';
import { extname, posix, resolve, sep } from 'node:path';
import type { Logger } from './log.ts';
import type { HttpRequest, HttpResponse } from './uws.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};
/** esbuild's `[name]-[hash]` (8 base32 characters) or a hex content hash: the name changes when the bytes do. */
const HASHED = /[-.]([A-Z0-9]{8}|[a-f0-9]{8,64})\.[a-z0-9]+$/;
const IMMUTABLE = 'public, max-age=31536000, immutable';

export interface Reply {
  status: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  /** HEAD: headers and length only. */
  head?: boolean;
}

/** The WebSocket version this server speaks (RFC 6455). uWS upgrades whatever version a client asks for, so the
 * upgrade handler refuses others with 426 and this version in Sec-WebSocket-Version (§4.4). */
export const WS_VERSION = '13';

/** Marks a response aborted so late async work does not write to it. Call before any await. */
export function watchAbort(res: HttpResponse): { aborted: boolean } {
  const state = { aborted: false };
  res.onAborted(() => {
    state.aborted = true;
  });
  return state;
}

/** Writes a whole response, corked (it may run after an await). */
export function reply(res: HttpResponse, state: { aborted: boolean }, r: Reply): void {
  if (state.aborted) return;
  res.cork(() => {
    res.writeStatus(r.status);
    for (const [k, v] of Object.entries(r.headers ?? {})) res.writeHeader(k, v);
    const body = r.body ?? '';
    if (r.head) {
      // This uWS build never finishes a response given endWithoutBody(length): report the length by hand.
      res.writeHeader('Content-Length', String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
      res.endWithoutBody();
    } else res.end(body);
  });
}

const FALLBACK_PAGE = `<!doctype html><html lang="en"><meta charset="utf-8"><title>NEM Live</title>
<body style="font-family:system-ui;margin:2rem"><h1>NEM Live</h1><p>The server is running, but the dashboard has not been built:
run <code>npm run build:client</code>. The WebSocket API is at <code>/ws</code>, health at <a href="/healthz">/healthz</a>.</p></body></html>`;

export interface StaticRequest {
  method: string;
  url: string;
  acceptEncoding: string;
  ifNoneMatch: string;
}

/** Copies what serving needs out of `req` (valid only during the handler's synchronous part). */
export function readStaticRequest(req: HttpRequest): StaticRequest {
  return {
    method: req.getMethod().toUpperCase(),
    url: req.getUrl(),
    acceptEncoding: req.getHeader('accept-encoding'),
    ifNoneMatch: req.getHeader('if-none-match'),
  };
}

export class StaticFiles {
  private readonly root: string;
  private rootReal: string | undefined;

  constructor(
    dir: string,
    private readonly log: Logger,
  ) {
    this.root = resolve(dir);
  }

  /** uWS handler for GET/HEAD of any path not routed elsewhere. */
  handle = (res: HttpResponse, req: HttpRequest): void => {
    const r = readStaticRequest(req);
    const state = watchAbort(res);
    this.serve(r)
      .then((out) => reply(res, state, out))
      .catch((err: unknown) => {
        this.log.error({ err, url: r.url }, 'static file failed');
        reply(res, state, { status: '500 Internal Server Error', body: 'internal error' });
      });
  };

  async serve(r: StaticRequest): Promise<Reply> {
    if (r.method !== 'GET' && r.method !== 'HEAD')
      return { status: '405 Method Not Allowed', headers: { Allow: 'GET, HEAD' }, body: 'method not allowed' };
    const head = r.method === 'HEAD';
    const path = await this.locate(r.url);
    if (path === 'bad') return { status: '400 Bad Request', body: 'bad path', head };
    if (!path) {
      if (r.url === '/')
        return {
          status: '200 OK',
          headers: { 'Content-Type': TYPES['.html'], 'Cache-Control': 'no-cache' },
          body: FALLBACK_PAGE,
          head,
        };
      return { status: '404 Not Found', headers: { 'Content-Type': TYPES['.txt'] }, body: 'not found', head };
    }
    const info = await stat(path);
    const etag = `W/"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
    const headers: Record<string, string> = {
      'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
      'Cache-Control': path.endsWith('.html') ? 'no-cache' : HASHED.test(path) ? IMMUTABLE : 'public, max-age=3600',
      ETag: etag,
      'X-Content-Type-Options': 'nosniff',
    };
    const variant = await this.variant(path, r.acceptEncoding);
    if (variant.vary) headers.Vary = 'Accept-Encoding';
    if (r.ifNoneMatch && r.ifNoneMatch.split(',').some((t) => t.trim() === etag))
      return { status: '304 Not Modified', headers };
    if (variant.encoding) headers['Content-Encoding'] = variant.encoding;
    return { status: '200 OK', headers, body: await readFile(variant.path), head };
  }

  /** The file a URL names inside the bundle, undefined when there is none, 'bad' for undecodable paths. */
  private async locate(url: string): Promise<string | undefined | 'bad'> {
    let rel: string;
    try {
      rel = decodeURIComponent(url);
    } catch {
      return 'bad';
    }
    if (rel.includes('\0')) return 'bad';
    if (rel === '/' || rel === '') rel = '/index.html';
    // Normalising against "/" first removes every "..": the result cannot climb above the root.
    const abs = resolve(this.root, '.' + posix.normalize('/' + rel));
    if (!abs.startsWith(this.root + sep)) return undefined;
    try {
      const info = await stat(abs);
      if (!info.isFile()) return undefined;
      // A symlink inside the bundle must not lead out of it either.
      this.rootReal ??= await realpath(this.root);
      const real = await realpath(abs);
      return real.startsWith(this.rootReal + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }

  private async variant(path: string, accept: string): Promise<{ path: string; encoding?: string; vary: boolean }> {
    const wants = (token: string) => accepts(accept, token);
    let vary = false;
    for (const [encoding, ext] of [
      ['br', '.br'],
      ['gzip', '.gz'],
    ] as const) {
      const exists = await stat(path + ext).then(
        (s) => s.isFile(),
        () => false,
      );
      if (!exists) continue;
      vary = true;
      if (wants(encoding)) return { path: path + ext, encoding, vary };
    }
    return { path, vary };
  }
}

/** Whether an Accept-Encoding header allows `token` (named with a q above 0). */
export function accepts(header: string, token: string): boolean {
  for (const part of header.split(',')) {
    const [name, ...params] = part.split(';').map((x) => x.trim().toLowerCase());
    if (name !== token) continue;
    const q = params.find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}
