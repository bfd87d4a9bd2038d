// A NEMWEB-like site on loopback for the live poller's and the backfill's tests and the freshness benchmark: IIS-style
// listings, files, ETags for conditional listings, a log of requests and injected faults.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NemwebFile } from './files.ts';

/**
 * Serves /<folder>/ as an IIS listing of its files and /<folder>/<name> as the file, where a folder is any path
 * (`DispatchIS_Reports`, `Reports/Archive/Dispatch_SCADA`, `Data_Archive/…/DATA`); `fail` and `hang` inject faults.
 */
export interface NemwebSite {
  base: string;
  feeds: Map<string, NemwebFile[]>;
  requests: string[];
  /** Answer the next n requests whose path matches with a 500. */
  fail(pattern: RegExp, n: number): void;
  /** Hold the next n matching requests without answering. */
  hang(pattern: RegExp, n: number): void;
  close(): Promise<void>;
}

export async function nemwebSite(): Promise<NemwebSite> {
  const feeds = new Map<string, NemwebFile[]>();
  const requests: string[] = [];
  const faults: { pattern: RegExp; n: number; kind: 'fail' | 'hang' }[] = [];
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(req.url ?? '/');
    requests.push(`${req.method} ${path}${req.headers['if-none-match'] ? ' (conditional)' : ''}`);
    const fault = faults.find((f) => f.n > 0 && f.pattern.test(path));
    if (fault) {
      fault.n--;
      if (fault.kind === 'hang') return void hung.push(res);
      return void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Server Error</h1>');
    }
    const [, feed, name] = /^\/(.+)\/([^/]*)$/.exec(path) ?? [];
    const files = feeds.get(feed);
    if (!files) return void res.writeHead(404).end();
    if (!name) {
      const etag = `"${files.map((f) => f.name).join('|').length}-${files.length}"`;
      if (req.headers['if-none-match'] === etag) return void res.writeHead(304).end();
      const links = files.map(
        (f) =>
          ` Wednesday, April 1, 2026  9:40 AM        ${f.bytes.length} <A HREF="/${feed}/${encodeURIComponent(f.name)}">${f.name}</A><br>`,
      );
      return void res
        .writeHead(200, { 'content-type': 'text/html', etag })
        .end(
          `<html><body><H1>/${feed}/</H1><hr><pre><A HREF="/">[To Parent Directory]</A><br><br>${links.join('\n')}</pre><hr></body></html>`,
        );
    }
    const file = files.find((f) => f.name === name);
    if (!file) return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'application/x-zip-compressed', 'content-length': file.bytes.length })
      .end(file.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    feeds,
    requests,
    fail: (pattern, n) => void faults.push({ pattern, n, kind: 'fail' }),
    hang: (pattern, n) => void faults.push({ pattern, n, kind: 'hang' }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
