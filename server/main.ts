// `npm start`: load the config, start the server, and shut it down gracefully on SIGTERM/SIGINT (exit 0).
import { ConfigError, loadConfig, redacted } from './config.ts';
import { startApp, type AppHandle } from './app.ts';
import { createLogger, flushLogs } from './log.ts';
import { UwsNotNativeError } from './uws.ts';

// DuckDB queries run on libuv's thread pool; with its default 4 threads, file I/O stalls behind them. Set before
// anything touches the pool (nothing does at import time).
process.env.UV_THREADPOOL_SIZE ??= '16';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`nem-live: ${err.message}\n`);
  process.exit(2);
}

const log = createLogger(config.logLevel);
log.info({ config: redacted(config) }, 'starting');

let handle: AppHandle | undefined;
let stopping = false;

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    log.error('shutdown took too long; exiting');
    flushLogs(log);
    process.exit(1);
  }, 30_000);
  force.unref();
  try {
    await handle?.close();
    clearTimeout(force);
    flushLogs(log);
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'shutdown failed');
    flushLogs(log);
    process.exit(1);
  }
}
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));

/** Builds the browser bundle when it is missing or older than its sources (client/build.ts). A production install
 * without esbuild (a dev dependency) serves client/dist as shipped instead of failing to start. */
async function ensureClient(): Promise<void> {
  try {
    const { ensureClientBuilt } = await import('../client/build.ts');
    const built = await ensureClientBuilt();
    if (built.rebuilt) log.info({ entry: built.manifest.entry, ms: Math.round(built.ms) }, 'client bundle built');
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'could not build the client bundle; serving client/dist as it is');
  }
}

try {
  await ensureClient();
  handle = await startApp(config, { log });
  log.info({ url: handle.url, ws: handle.wsUrl, watermark: handle.market.iso }, 'listening');
  process.stderr.write(`NEM Live: ${handle.url}\n`);
  if (stopping) await handle.close();
} catch (err) {
  const expected = err instanceof UwsNotNativeError || (err as { code?: string }).code === 'store_busy';
  log.fatal(expected ? { err: (err as Error).message } : { err }, 'could not start');
  flushLogs(log);
  process.stderr.write(`nem-live: ${(err as Error).message}\n`);
  process.exit(1);
}
