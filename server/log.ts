// The one logger: pino JSON lines on stdout, written asynchronously so logging never blocks a socket callback.
// Sessions log through child loggers (session id bound). For development, pipe through `npx pino-pretty`.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(level = 'info'): Logger {
  const destination = pino.destination({ sync: false });
  const log = pino({ level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  destinations.set(log, destination);
  return log;
}

const destinations = new WeakMap<Logger, ReturnType<typeof pino.destination>>();

/** Writes out buffered lines before the process exits (an async destination would otherwise lose them). */
export function flushLogs(log: Logger): void {
  const d = destinations.get(log);
  try {
    d?.flushSync();
  } catch {
    // flushSync throws while the destination is still opening; nothing has been buffered then.
  }
}
