// The app's listen socket, closed while the process is out of file descriptors and opened again once enough are
// free. uWS's accept() loop spins on EMFILE (the listen socket stays readable and every accept fails: ~90% CPU,
// /healthz unanswered, measured); with no listen socket there is nothing to spin on: new connections are refused
// (with WORKERS=N the kernel gives them to the other workers) and the sockets already open keep working.
// Out of descriptors is seen by failing to open /dev/null: one open and close every CHECK_EVERY_MS, whatever the
// number of sockets. A few descriptors are held in reserve while listening and given back on pausing, so DuckDB,
// LMDB and logs can still open files.
import { Counter, Gauge } from 'prom-client';
import { FdReserve, openFilesLimit, outOfFds, reserveSize, resumeMargin } from './fd-limit.ts';
import type { Logger } from './log.ts';
import { registry } from './metrics.ts';
import { freePort } from './port.ts';
import type { TemplatedApp, Uws, us_listen_socket } from './uws.ts';

const CHECK_EVERY_MS = 250;

const paused = new Gauge({
  name: 'nemlive_listen_paused',
  help: 'Processes not accepting connections because they ran out of file descriptors (the open-files limit)',
  registers: [registry],
});
const pauses = new Counter({
  name: 'nemlive_listen_pauses_total',
  help: 'Times accepting stopped because the process ran out of file descriptors',
  registers: [registry],
});

export interface Listener {
  /** The port listened on (a free one when asked for 0, kept across pauses). */
  readonly port: number;
  /** False while paused for lack of file descriptors. */
  readonly listening: boolean;
  /** Stops listening for good. */
  close(): void;
}

export async function listen(
  uws: Uws,
  app: TemplatedApp,
  host: string,
  wanted: number,
  log: Logger,
): Promise<Listener> {
  const open = (port: number) =>
    new Promise<us_listen_socket | false>((resolve) => app.listen(host, port, (s) => resolve(s || false)));
  // A port the kernel picked at bind (port 0) cannot be bound again while connections or TIME_WAITs on it remain
  // (Linux refuses to share an ephemeral port; measured: listening again failed for 20 s and more). Picked first by
  // a probe and then bound by number, it can be.
  const port = wanted === 0 ? await freePort(host) : wanted;
  let socket: us_listen_socket | undefined = (await open(port)) || undefined;
  if (!socket) throw new Error(`could not listen on ${host}:${port} (in use, or not an address of this machine)`);
  const limit = openFilesLimit();
  const reserve = new FdReserve();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  if (limit !== undefined) {
    const keep = reserveSize(limit);
    const margin = resumeMargin(limit);
    reserve.fill(keep);
    const pause = () => {
      uws.us_listen_socket_close(socket!);
      socket = undefined;
      reserve.release();
      // Nothing else may keep the loop alive now (uWS's listen socket did): the check timer does until it resumes.
      timer?.ref();
      paused.set(1);
      pauses.inc();
      log.warn(
        { limit, port },
        'out of file descriptors (the open-files limit): not accepting connections until some close',
      );
    };
    const resume = async () => {
      // Enough free for the reserve and a margin: keep the reserve, give the margin back, listen again.
      const free = reserve.fill(keep + margin);
      reserve.release(free ? keep : 0);
      if (!free) return;
      const s = await open(port);
      if (closed) {
        if (s) uws.us_listen_socket_close(s);
        return;
      }
      if (!s) {
        if (!relistenFailed)
          log.error({ host, port }, 'could not listen again after running out of file descriptors; retrying');
        relistenFailed = true;
        return;
      }
      relistenFailed = false;
      socket = s;
      timer?.unref();
      paused.set(0);
      log.info({ port }, 'file descriptors free again: accepting connections');
    };
    let checking = false;
    let relistenFailed = false;
    timer = setInterval(() => {
      if (checking || closed) return;
      if (socket) {
        if (outOfFds()) pause();
        return;
      }
      checking = true;
      void resume().finally(() => (checking = false));
    }, CHECK_EVERY_MS);
    timer.unref();
  }

  return {
    port,
    get listening() {
      return socket !== undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      if (socket) uws.us_listen_socket_close(socket);
      socket = undefined;
      reserve.release();
      paused.set(0);
    },
  };
}
