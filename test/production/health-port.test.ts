// HEALTH_PORT: /healthz through node:http on a port of its own, for the health checkers the app's port (uWS) never
// answers (HTTP/1.0, no Host; see test/server/http-edge.test.ts), in one process and with WORKERS=2 (the supervisor).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/port.ts';
import { demoDirs, startServer, type Child, type Dirs } from './child.ts';

/** Sends `request` as it is and reads until the server closes; the status and body. */
function raw(port: number, request: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setTimeout(5000, () => socket.destroy(new Error(`no response within 5 s; read ${JSON.stringify(text)}`)));
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head, body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), body });
    });
  });
}

let dirs: Dirs;
beforeAll(async () => {
  dirs = await demoDirs(2, 'nemlive-health-port-');
});

describe.each([
  ['one process', '1'],
  ['WORKERS=2', '2'],
])('HEALTH_PORT, %s', (_name, workers) => {
  let child: Child;
  let port: number;
  beforeAll(async () => {
    port = await freePort('127.0.0.1');
    child = startServer(dirs, { WORKERS: workers, HEALTH_PORT: String(port) });
    await child.listening();
  });
  afterAll(async () => {
    child?.proc.kill('SIGTERM');
    expect((await child.exit).code).toBe(0);
  });

  it('answers an HTTP/1.0 check with no Host, with the health body', async () => {
    let res = await raw(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    // The supervisor reports "starting" until a worker serves.
    for (let i = 0; i < 50 && res.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 200));
      res = await raw(port, 'GET /healthz HTTP/1.0\r\n\r\n');
    }
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: 'ok', watermark: expect.stringMatching(/\+10:00$/) });
  });

  it('answers HEAD without a body, and nothing but /healthz', async () => {
    expect(await raw(port, 'HEAD /healthz HTTP/1.0\r\n\r\n')).toEqual({ status: 200, body: '' });
    expect((await raw(port, 'GET / HTTP/1.0\r\n\r\n')).status).toBe(404);
  });
});
