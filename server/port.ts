// uWS listens with SO_REUSEPORT, so a second server on a taken port would not fail: it would silently share the
// port with whatever holds it. Check first with a plain (exclusive) bind, which fails on any listener there.
import { createServer } from 'node:net';

export class PortInUseError extends Error {
  readonly code = 'port_in_use';
}

/** Resolves when host:port can be bound now; port 0 (any free port) always can. */
export function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE')
        reject(new PortInUseError(`port ${port} on ${host} is in use (another server?); stop it or set PORT`));
      else if (err.code === 'EADDRNOTAVAIL')
        reject(new PortInUseError(`${host} is not an address of this machine; set HOST`));
      else reject(err);
    });
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * A port free right now on `host`. Workers cannot share a port the kernel picked for one of them (a second
 * SO_REUSEPORT bind to it fails; measured), so with PORT=0 the supervisor picks one and gives it to all.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0, exclusive: true }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
