// One soak run: samples the server, forks the client processes, shows progress, waits for every socket to close
// and the server to settle, and returns the report. cli.ts adds argument parsing, output and the exit code.
import { fork, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SoakOptions } from './args.ts';
import { buildSoakJson, mergeReports, progressLine, type SoakJson } from './report.ts';
import { httpBase, sampleServer, waitForIdle, type ServerSample } from './server-probe.ts';
import type { ShareOptions, ShareReport, WorkerMessage } from './worker.ts';

export interface RunOptions extends Pick<
  SoakOptions,
  'url' | 'sockets' | 'durationS' | 'rampS' | 'seed' | 'procs' | 'thinkMs' | 'settleS'
> {
  /** Subscribe without push deltas (default false: deltas, as the dashboard). */
  fullPushes?: boolean;
  /** Called about once a second with a one-line status. */
  onProgress?: (line: string) => void;
  signal?: AbortSignal;
}

const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.ts');
/** Seconds between samples of the server (progress lines still every second). */
const SAMPLE_EVERY_TICKS = 5;

export async function runSoak(o: RunOptions): Promise<SoakJson> {
  const base = httpBase(o.url);
  let before: ServerSample;
  try {
    before = await sampleServer(base);
  } catch (err) {
    throw new Error(
      `no server answers ${base}/healthz (${(err as Error).message}); start one with \`npm start\`, or pass --spawn`,
      { cause: err },
    );
  }
  const children: ChildProcess[] = [];
  const latest: ShareReport[] = [];
  const finals: Promise<ShareReport>[] = [];
  for (let w = 0; w < o.procs; w++) {
    if (o.signal?.aborted) break;
    const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    finals.push(
      new Promise<ShareReport>((resolve, reject) => {
        child.on('message', (m: WorkerMessage) => {
          if (m.type === 'progress') latest[w] = m.report;
          if (m.type === 'done') resolve((latest[w] = m.report));
        });
        child.once('exit', (code) => reject(new Error(`soak client process ${w} exited (${code}) before reporting`)));
      }),
    );
    finals[w].catch(() => undefined); // awaited below; this only keeps an early crash from counting as unhandled
  }
  // Every process boots (tsx, ws) before the shared clock starts, so the ramp is the same for all of them.
  await Promise.all(
    children.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.once('message', () => resolve());
          c.once('exit', (code) => reject(new Error(`soak client process exited (${code}) while starting`)));
        }),
    ),
  );
  const startAt = Date.now() + 200;
  children.forEach((child, w) => {
    const share: ShareOptions = {
      url: o.url,
      from: w,
      to: o.sockets,
      step: o.procs,
      total: o.sockets,
      seed: o.seed,
      thinkMs: o.thinkMs,
      fullPushes: o.fullPushes ?? false,
      rampMs: o.rampS * 1000,
      durationMs: o.durationS * 1000,
      startAt,
    };
    child.send(share);
  });
  const stop = (): void => {
    for (const c of children) if (c.connected) c.send({ type: 'stop' });
  };
  o.signal?.addEventListener('abort', stop, { once: true });
  // A run that overshoots by a minute has hung sockets: stop them and report what happened.
  const overtime = setTimeout(stop, o.durationS * 1000 + 60_000);
  const hardKill = setTimeout(() => children.forEach((c) => c.kill('SIGKILL')), o.durationS * 1000 + 90_000);

  const samples: ServerSample[] = [];
  let last: ServerSample | null = null;
  let sampling = false;
  let ticks = 0;
  const ticker = setInterval(() => {
    // Every few seconds, as a scraper would: a /metrics answer costs the server 3–5 ms of its event loop (1,000
    // sockets' open files listed, every series written), which at one a second showed in the soak's own tail.
    if (!sampling && ticks++ % SAMPLE_EVERY_TICKS === 0) {
      sampling = true;
      sampleServer(base, 2000)
        .then((s) => samples.push((last = s)))
        .catch(() => undefined) // a busy server may miss a sample; the peak comes from the others
        .finally(() => (sampling = false));
    }
    o.onProgress?.(
      progressLine((Date.now() - startAt) / 1000, o.durationS, o.sockets, mergeReports(latest.filter(Boolean)), last),
    );
  }, 1000);

  let reports: ShareReport[];
  try {
    reports = await Promise.all(finals);
  } finally {
    clearInterval(ticker);
    clearTimeout(overtime);
    clearTimeout(hardKill);
    o.signal?.removeEventListener('abort', stop);
    for (const c of children) if (c.exitCode === null) c.kill();
  }
  const wallS = (Date.now() - startAt) / 1000;
  const after = await waitForIdle(base, o.settleS * 1000, before);
  return buildSoakJson({
    url: o.url,
    seed: o.seed,
    thinkMs: o.thinkMs,
    fullPushes: o.fullPushes ?? false,
    interrupted: o.signal?.aborted ?? false,
    sockets: o.sockets,
    durationS: o.durationS,
    rampS: o.rampS,
    procs: o.procs,
    wallS,
    merged: mergeReports(reports),
    before,
    samples,
    after,
  });
}
