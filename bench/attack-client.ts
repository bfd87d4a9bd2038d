// The cache-busting attacker for bench/attack.ts, as a child process: S sockets, each sending distinct uncached
// questions (tab.generation, station.output at 5 minutes, prices.history at 5 minutes, each over a window that
// starts a minute apart from any asked before) just under the per-socket rate limit, reading every answer (heads
// only, bench/raw-ws.ts) so the server never closes it for backpressure. Reports what came back.
import { pathToFileURL } from 'node:url';
import { encode } from '../shared/protocol.ts';
import { msgpackHead } from './frame-head.ts';
import { RawWs } from './raw-ws.ts';

export interface AttackOptions {
  url: string;
  sockets: number;
  /** Frames per second per socket (under RATE_LIMIT, so the rate limiter never answers for the gate). */
  perSecond: number;
  durationMs: number;
  /** The store's watermark and span (epoch seconds), so windows fall inside the data. */
  watermark: number;
  firstTs: number;
}

export interface AttackReport {
  sent: number;
  results: number;
  errors: Record<string, number>;
  /** Sockets the server closed before the end. */
  closed: number;
}

const DUIDS = ['BW01', 'LYA1', 'ER01', 'TORRB1', 'MACARTH1', 'SNOWTWN1', 'GSTONE1'];
const WEEK = 7 * 86400;
const TICK_MS = 10;

/** The n-th question of socket s: never asked before by any socket in this run (its window is unique). */
function attackQuestion(
  s: number,
  n: number,
  o: Pick<AttackOptions, 'watermark' | 'firstTs'>,
): { kind: string; params: object } {
  // A week (less in a small store), ending at one-minute steps back from the watermark, interleaved across sockets,
  // wrapping within the stored span; the seconds tell sockets apart.
  const span = Math.min(WEEK, Math.floor((o.watermark - o.firstTs) / 2));
  const steps = Math.max(1, Math.floor((o.watermark - o.firstTs - span) / 60));
  const to = o.watermark - ((n * 1009 + s * 7919) % steps) * 60 - (s % 60);
  const from = to - span;
  switch (n % 3) {
    case 0:
      return { kind: 'tab.generation', params: { region: 'NEM', from, to } };
    case 1:
      return { kind: 'station.output', params: { duid: DUIDS[(n + s) % DUIDS.length], from, to, resolution: '5m' } };
    default:
      return { kind: 'prices.history', params: { from, to, resolution: '5m' } };
  }
}

async function runAttack(o: AttackOptions): Promise<AttackReport> {
  const report: AttackReport = { sent: 0, results: 0, errors: {}, closed: 0 };
  const sockets = await Promise.all(
    Array.from({ length: o.sockets }, () =>
      RawWs.open(o.url, (m) => {
        const f = msgpackHead(m.head);
        if (f.t === 'result') report.results++;
        else if (f.t === 'error') report.errors[f.code ?? '?'] = (report.errors[f.code ?? '?'] ?? 0) + 1;
      }),
    ),
  );
  let ended = false;
  for (const ws of sockets) void ws.closed.then(() => ended || report.closed++);
  const sent = sockets.map(() => 0);
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - t0;
      if (elapsed >= o.durationMs) {
        clearInterval(timer);
        return resolve();
      }
      const due = Math.floor((elapsed / 1000) * o.perSecond);
      sockets.forEach((ws, s) => {
        for (; sent[s] < due; sent[s]++) {
          const q = attackQuestion(s, sent[s], o);
          ws.send(encode({ t: 'query', id: sent[s] + 1, kind: q.kind, params: q.params }));
          report.sent++;
        }
      });
    }, TICK_MS);
  });
  // Answers still in flight land (bounded), then close.
  await new Promise((r) => setTimeout(r, 1000));
  ended = true;
  for (const ws of sockets) ws.close();
  await Promise.race([Promise.all(sockets.map((ws) => ws.closed)), new Promise((r) => setTimeout(r, 5000))]);
  return report;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.once('message', (o) => {
    runAttack(o as AttackOptions).then(
      (report) => process.send!(report, () => process.exit(0)),
      (err) => {
        console.error(`attack-client: ${(err as Error).message}`);
        process.exit(1);
      },
    );
  });
  process.send!('ready');
}
