// `npm start`: load the config, start the server (one process, or a supervisor and WORKERS worker processes on
// one port), shut it down gracefully on SIGTERM/SIGINT (exit 0; 1 if it takes longer than SHUTDOWN_TIMEOUT_S),
// and with WORKERS > 1 replace the workers one at a time on SIGHUP.
import { startApp } from './app.ts';
import { startCluster } from './cluster/supervisor.ts';
import { ConfigError, loadConfig, redacted, type Config } from './config.ts';
import { openFilesLimit, sessionCap } from './fd-limit.ts';
import { createLogger, flushLogs } from './log.ts';
import { assertPortFree } from './port.ts';
import { UwsNotNativeError } from './uws.ts';
import type { WarmupSummary } from './warmup/run.ts';

// DuckDB queries run on libuv's thread pool; with its default 4 threads, file I/O stalls behind them. Set before
// anything touches the pool (nothing does at import time).
process.env.UV_THREADPOOL_SIZE ??= '16';

let config: Readonly<Config>;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`nem-live: ${err.message}\n`);
  process.exit(2);
}

const log = createLogger(config.logLevel);
log.info({ config: redacted(config) }, 'starting');
// Each socket is a file descriptor: admit no more sessions than the open-files limit leaves room for (a cluster
// worker caps its own share the same way).
const filesLimit = openFilesLimit();
const admitted = sessionCap(config.maxSessions, filesLimit);
if (config.workers === 1 && admitted < config.maxSessions) {
  const why = 'MAX_SESSIONS is above what the open-files limit allows (raise ulimit -n / LimitNOFILE); admitting fewer';
  log.warn({ maxSessions: config.maxSessions, openFilesLimit: filesLimit, admitted }, why);
  config = Object.freeze({ ...config, maxSessions: admitted });
}

interface Server {
  url: string;
  wsUrl: string;
  market: { iso: string };
  warmed: Promise<WarmupSummary | undefined>;
  close(): Promise<unknown>;
}
let server: Server | undefined;
let stopping = false;

async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    log.error({ seconds: config.shutdownTimeoutS }, 'shutdown took too long; exiting');
    flushLogs(log);
    process.exit(1);
  }, config.shutdownTimeoutS * 1000);
  force.unref();
  try {
    await server?.close();
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

async function serveFromWorkers(): Promise<Server> {
  const cluster = await startCluster(config, log, process.argv.slice(2));
  let restarting = false;
  process.on('SIGHUP', () => {
    if (stopping || restarting) return;
    restarting = true;
    log.info('SIGHUP: replacing the workers one at a time');
    cluster
      .restartWorkers()
      .then(
        (n) => log.info({ replaced: n }, 'workers replaced'),
        (err: unknown) => log.error({ err }, 'rolling restart stopped; the remaining workers keep serving'),
      )
      .finally(() => (restarting = false));
  });
  // Test-only: a worker crash on demand, to check that it is replaced and the others keep serving.
  if (process.env.NEMLIVE_TEST_HOOKS === '1') process.on('SIGUSR2', () => cluster.workers.crashOne());
  return cluster;
}

try {
  await assertPortFree(config.host, config.port);
  server = config.workers > 1 ? await serveFromWorkers() : await startApp(config, { log });
  log.info({ url: server.url, ws: server.wsUrl, watermark: server.market.iso, workers: config.workers }, 'listening');
  process.stderr.write(`NEM Live: ${server.url}\n`);
  void server.warmed.then((s) => {
    if (s && !stopping)
      process.stderr.write(
        `NEM Live: cache warmed: ${s.queries} queries (${s.computed} computed) in ${s.seconds.toFixed(1)} s\n`,
      );
  });
  if (stopping) await server.close();
} catch (err) {
  const expected =
    err instanceof UwsNotNativeError || ['store_busy', 'port_in_use'].includes((err as { code?: string }).code ?? '');
  log.fatal(expected ? { err: (err as Error).message } : { err }, 'could not start');
  flushLogs(log);
  process.stderr.write(`nem-live: ${(err as Error).message}\n`);
  process.exit(1);
}
