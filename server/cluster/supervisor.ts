// WORKERS > 1: this process owns the store (the only DuckDB of the deployment), runs the live feed and the
// warmup, answers the workers' cache misses, relays new intervals to them and combines their metrics; the worker
// processes (workers.ts) serve the port. Boot: the core (server/core.ts) → workers listening → the core's live feed
// (pushed through the relay) and warmup.
import type { WarmupSummary } from '../warmup/run.ts';
import type { Config } from '../config.ts';
import { openCore, type Core } from '../core.ts';
import { mapError, SessionClosedError } from '../errors.ts';
import { configLimits, DEFAULT_LIMITS } from '../limits.ts';
import type { LiveHandle } from '../live/pipeline.ts';
import type { Logger } from '../log.ts';
import type { Market } from '../market.ts';
import { registry } from '../metrics.ts';
import { listenHealth } from '../health-port.ts';
import { storeHealth, type StoreState } from '../store-health.ts';
import { WS_PATH } from '../../shared/protocol.ts';
import { freePort } from '../port.ts';
import { AskOwners } from './ask-owner.ts';
import { combineMetrics } from './combine.ts';
import type { FromWorker } from './messages.ts';
import { Relay } from './relay.ts';
import { WorkerSet, type Worker } from './workers.ts';

/** A worker slower than this to send its metrics is left out of that scrape. */
const COLLECT_TIMEOUT_MS = 2000;
/** How often the store's health is compared with what the workers were told. */
const STORE_WATCH_MS = 1000;

export interface ClusterHandle {
  port: number;
  url: string;
  wsUrl: string;
  market: Market;
  workers: WorkerSet;
  live: LiveHandle | undefined;
  warmed: Promise<WarmupSummary | undefined>;
  /** Replaces the workers one at a time without closing the port (SIGHUP). Resolves with how many were replaced. */
  restartWorkers(): Promise<number>;
  /**
   * Drains the workers (sockets closed with 1001), stops the feed, closes the store. True if every worker drained in
   * time.
   */
  close(): Promise<boolean>;
}

/** Seat `seat`'s share of `total` (sessions): the shares add up to exactly `total`. */
export function shareOf(total: number, n: number, seat: number): number {
  return Math.floor(total / n) + (seat < total % n ? 1 : 0);
}

export async function startCluster(config: Readonly<Config>, log: Logger, argv: string[]): Promise<ClusterHandle> {
  const n = config.workers;
  // LRU_MB is the deployment's: the supervisor and each worker hold an equal part of it.
  const lruMb = Math.max(1, Math.floor(config.lruMb / (n + 1)));
  // No cap per socket here: each worker caps its own sockets' queues (MAX_SESSION_QUEUE).
  const limits = { ...DEFAULT_LIMITS, ...configLimits(config), maxSessionQueue: Number.POSITIVE_INFINITY };
  const core = await openCore(config, { log, lruMb, limits });
  const store = storeHealth(core.instance);
  // The feed's per-source marks, read after each AEMO batch (server/live/sources.ts); none for the demo.
  const sourceMarks = () => (core.feed.source === 'aemo' ? core.live?.sources() : undefined);
  const askers = new AskOwners(core.pool);
  const collects = new Map<number, { left: Set<number>; got: unknown[][]; done: () => void }>();
  let nextCollect = 1;
  const port = config.port === 0 ? await freePort(config.host) : config.port;
  let relay: Relay | undefined;
  let lastTotals = '';

  const broadcastTotals = () => {
    const sessions = workers.ready.reduce((s, w) => s + w.sessions, 0);
    const serving = workers.ready.length;
    if (`${sessions}/${serving}` === lastTotals) return;
    lastTotals = `${sessions}/${serving}`;
    workers.broadcast({ t: 'totals', sessions, workers: serving });
  };
  const onMessage = (w: Worker, m: FromWorker) => {
    if (m.t === 'ask') void serve(core, askers, w, m, log);
    else if (m.t === 'gone') askers.close(`${w.id}/${m.owner}`);
    else if (m.t === 'pushed') relay?.pushed(w, m.seq, m.groups);
    else if (m.t === 'load') broadcastTotals();
    else if (m.t === 'collected') {
      const c = collects.get(m.id);
      if (c?.left.delete(w.id)) {
        c.got.push(m.json);
        if (c.left.size === 0) c.done();
      }
    } else if (m.t === 'metrics?') {
      void metricsText().then(
        (text) => w.send({ t: 'metrics', id: m.id, text }),
        (err: unknown) => log.error({ err }, 'combining metrics failed'),
      );
    }
  };
  const metricsText = async (): Promise<string> => {
    const id = nextCollect++;
    const got: unknown[][] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), COLLECT_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        collects.delete(id);
        resolve();
      };
      const sent = workers.ready.filter((w) => w.send({ t: 'collect', id }));
      collects.set(id, { left: new Set(sent.map((w) => w.id)), got, done });
      if (sent.length === 0) done();
    });
    return combineMetrics(await registry.getMetricsAsJSON(), got);
  };

  const workers = new WorkerSet({
    seats: n,
    log,
    argv,
    init: (seat) => {
      const { watermark, firstTs, generation } = core.market;
      return {
        t: 'init',
        seat,
        port,
        maxSessions: shareOf(config.maxSessions, n, seat),
        lruMb,
        workers: n,
        marks: { watermark, firstTs, generation },
        feed: core.feed,
        alerts: core.alerts.ring.state,
      };
    },
    onMessage: (w, m) => {
      if (m.t === 'ready') {
        broadcastTotals();
        w.send({ t: 'store', state: store.state });
        const marks = sourceMarks();
        if (marks) w.send({ t: 'sources', marks });
      }
      onMessage(w, m);
    },
    onExit: (w) => {
      relay?.left(w);
      for (const c of collects.values()) if (c.left.delete(w.id) && c.left.size === 0) c.done();
      broadcastTotals();
    },
  });
  // Each worker holds a copy of the events (from its init on) and serves its own sockets' subscriptions.
  core.alerts.onEvents((events) => workers.broadcast({ t: 'alerts', events }));
  try {
    await workers.start();
  } catch (err) {
    await core.close();
    throw err;
  }
  relay = new Relay(core.market, workers, log);
  // The workers answer /healthz: tell them when the store's health or a source's newest interval changes.
  let storeSaid = JSON.stringify(store.state);
  let sourcesSaid = JSON.stringify(sourceMarks());
  const storeWatch = setInterval(() => {
    const now = JSON.stringify(store.state);
    if (now !== storeSaid) workers.broadcast({ t: 'store', state: store.state });
    storeSaid = now;
    const marks = sourceMarks();
    const said = JSON.stringify(marks);
    if (marks && said !== sourcesSaid) workers.broadcast({ t: 'sources', marks });
    sourcesSaid = said;
  }, STORE_WATCH_MS);
  storeWatch.unref();
  await core.start(relay);

  let closing = false;
  // The workers answer /healthz on the app's port; HEALTH_PORT (any HTTP version) is answered here, for them all.
  const healthPort = config.healthPort
    ? await listenHealth(config.host, config.healthPort, () => clusterHealth(core, store.state, workers, closing), log)
    : undefined;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const drainMs = Math.max(1000, config.shutdownTimeoutS * 1000 - 3000);
  let closed: Promise<boolean> | undefined;
  return {
    port,
    url: `http://${host}:${port}`,
    wsUrl: `ws://${host}:${port}${WS_PATH}`,
    market: core.market,
    workers,
    live: core.live,
    warmed: core.warmed,
    restartWorkers: () => workers.rollingRestart(drainMs),
    close: () =>
      (closed ??= (async () => {
        closing = true;
        clearInterval(storeWatch);
        await core.stopFeeds();
        relay?.close();
        const drained = await workers.drainAll(drainMs);
        await core.close(); // waits for the interrupted warmup, then closes the store
        await healthPort?.close();
        log.info({ drained }, 'server stopped');
        return drained;
      })()),
  };
}

/**
 * The supervisor's view for HEALTH_PORT: the store's state, the data watermark, the workers' sessions and, with AEMO
 * data live, each source's lag (core.health(), as one process reports them).
 */
function clusterHealth(core: Core, store: StoreState, workers: WorkerSet, closing: boolean) {
  const serving = workers.ready;
  const { sources } = core.health();
  const late = sources !== undefined && Object.values(sources).some((s) => s.late);
  const status = closing ? 'shutting_down' : !store.ok || late ? 'degraded' : serving.length === 0 ? 'starting' : 'ok';
  const h = {
    status,
    sessions: serving.reduce((n, w) => n + w.sessions, 0),
    workers: serving.length,
    watermark: core.market.hasData ? core.market.iso : null,
    ...(sources && { sources }),
  };
  return store.ok ? h : { ...h, store };
}

async function serve(
  core: Core,
  askers: AskOwners,
  w: Worker,
  m: Extract<FromWorker, { t: 'ask' }>,
  log: Logger,
): Promise<void> {
  const { id, kind, params, at, owner } = m;
  // Read with the answer's own market read (same tick): the generation the bytes belong to.
  const generation = at?.generation ?? core.market.generation;
  try {
    // A socket's question takes that socket's turn; the worker's own pushes are background work like ours.
    const a =
      owner === undefined
        ? await core.answerer.answer(kind, params, core.pool, at)
        : await askers.run(`${w.id}/${owner}`, (asker) => core.answerer.answer(kind, params, asker, at));
    w.send({ t: 'answer', id, ok: true, bytes: a.dataBytes, tier: a.tier, watermark: a.watermark, generation });
  } catch (err) {
    const m = mapError(err);
    // A socket that left (or a shutdown) drops its waiting questions: expected, not a failure to log.
    if (m.internal && !(err instanceof SessionClosedError))
      log.error({ err, kind, worker: w.seat }, 'answering a worker failed');
    w.send({ t: 'answer', id, ok: false, code: m.code, message: m.message });
  }
}
