// The HTTP edge spoken to byte by byte over a raw socket, as load balancers and odd clients do: the WebSocket
// version check of the upgrade (RFC 6455 §4.4), and the health-check request form uWS answers.
//
// What uWS 20.30 (the newest build of @trufflesuite/uws-js-unofficial) never hands to JavaScript, so no handler
// here can answer: a request line that is not "HTTP/1.1", a request with no header line at all, or more than 48
// header lines (held as "incomplete" until 4 KB arrive or its 10 s HTTP timeout closes the socket, 8–12 s), and an
// HTTP/1.1 request with headers but no Host (closed at once). Health checkers must send HTTP/1.1 with a Host header.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

interface RawResponse {
  status: number;
  headers: Map<string, string>;
  /** Everything read until the socket closed (or until the head was complete, when `untilClose` is false). */
  text: string;
}

/** Writes `request` as it is and reads the response head (and, with `untilClose`, the rest until the server closes). */
function raw(request: string, untilClose = false): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1', () => socket.write(request));
    let text = '';
    const timer = setTimeout(
      () => finish(new Error(`no complete response within 20 s; read ${JSON.stringify(text.slice(0, 200))}`)),
      20_000,
    );
    const finish = (err?: Error) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) return reject(err);
      const [head] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = head.split('\r\n');
      const headers = new Map(
        lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, text });
    };
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!untilClose && text.includes('\r\n\r\n')) finish();
    });
    socket.on('close', () =>
      text.includes('\r\n\r\n')
        ? finish()
        : finish(new Error(`closed without a response; read ${JSON.stringify(text)}`)),
    );
    socket.on('error', () => undefined); // reported through close
  });
}

const upgrade = (versionHeader: string) =>
  `GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${versionHeader}\r\n`;

describe('the WebSocket upgrade', () => {
  it('refuses any version but 13, or none, with 426 naming version 13', async () => {
    for (const header of ['Sec-WebSocket-Version: 8\r\n', 'Sec-WebSocket-Version: 14\r\n', '']) {
      const res = await raw(upgrade(header));
      expect(res.status, header).toBe(426);
      expect(res.headers.get('sec-websocket-version'), header).toBe('13');
    }
    expect((await server.health()).sessions).toBe(0);
  });

  it('upgrades version 13', async () => {
    const res = await raw(upgrade('Sec-WebSocket-Version: 13\r\n'));
    expect(res.status).toBe(101);
    expect(res.headers.get('sec-websocket-accept')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='); // RFC 6455's own example
  });
});

describe('health checks', () => {
  it('answers a minimal HTTP/1.1 check with Host and Connection: close, then closes', async () => {
    const res = await raw('GET /healthz HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n', true);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text.split('\r\n\r\n')[1])).toMatchObject({ status: 'ok' });
  });

  it('answers an empty Host, which some checkers send', async () => {
    const res = await raw('GET /healthz HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n', true);
    expect(res.status).toBe(200);
  });

  it('answers HEAD /healthz with the status and length and no body', async () => {
    const res = await raw('HEAD /healthz HTTP/1.1\r\nHost: lb\r\n\r\n');
    expect(res.status).toBe(200);
    expect(Number(res.headers.get('content-length'))).toBeGreaterThan(10);
  });
});
