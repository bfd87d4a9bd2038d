// Holds many idle sockets open for the idle-memory benchmark: {open: N, url} opens N and waits for every hello,
// {close: true} closes them all. Forked by idle-memory.ts so the sockets' client memory is not the server's.
import WebSocket from 'ws';

let sockets: WebSocket[] = [];

async function open(url: string, n: number): Promise<{ opened: number; failed: number; firstError?: string }> {
  let failed = 0;
  let firstError: string | undefined;
  const batch = 250; // a burst of thousands of handshakes at once only measures the accept queue
  for (let i = 0; i < n; i += batch) {
    const made = await Promise.all(
      Array.from(
        { length: Math.min(batch, n - i) },
        () =>
          new Promise<WebSocket | null>((resolve) => {
            const ws = new WebSocket(url, { perMessageDeflate: false });
            ws.once('message', () => resolve(ws));
            ws.once('error', (err) => {
              failed++;
              firstError ??= err.message;
              resolve(null);
            });
          }),
      ),
    );
    for (const ws of made) if (ws) sockets.push(ws);
  }
  return { opened: sockets.length, failed, firstError };
}

async function closeAll(): Promise<{ closed: number }> {
  const closing = sockets.map(
    (ws) =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close(1000);
      }),
  );
  await Promise.race([Promise.all(closing), new Promise((r) => setTimeout(r, 15_000))]);
  for (const ws of sockets) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
  const closed = sockets.length;
  sockets = [];
  return { closed };
}

process.on('message', async (m: { url?: string; open?: number; close?: boolean }) => {
  if (m.open !== undefined && m.url) process.send!(await open(m.url, m.open));
  else if (m.close) process.send!(await closeAll());
});
process.on('disconnect', () => process.exit(0));
process.send!({ ready: true });
