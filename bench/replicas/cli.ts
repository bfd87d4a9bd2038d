// `npm run replicas -- --n 3 [--port 8080] [--period 5] [--dir D]`: nginx with the shipped config in front of N
// replicas on this machine, each with its own DATA_DIR and CACHE_DIR, all following one NEMWEB-like site that
// publishes an interval every --period seconds. Prints the URL; Ctrl-C stops everything.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clockedSite } from './feed.ts';
import { startFleet } from './fleet.ts';
import { startNginx } from './nginx.ts';

const USAGE = 'usage: npm run replicas -- [--n 3] [--port 8080] [--period 5] [--dir DIR]';

function args(argv: string[]): { n: number; port: number; period: number; dir?: string } {
  const out = { n: 3, port: 8080, period: 5, dir: undefined as string | undefined };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = inline ?? argv[++i];
    const int = (lo: number, hi: number) => {
      const v = Number(value);
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${flag} must be a whole number ${lo}–${hi}`);
      return v;
    };
    if (flag === '--n') out.n = int(1, 16);
    else if (flag === '--port') out.port = int(1, 65535);
    else if (flag === '--period') out.period = int(1, 300);
    else if (flag === '--dir' && value) out.dir = value;
    else throw new Error(`unknown argument ${argv[i]}\n${USAGE}`);
  }
  return out;
}

let o: ReturnType<typeof args>;
try {
  o = args(process.argv.slice(2));
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'nemlive-replicas-'));
const site = await clockedSite({ history: 12, periodMs: o.period * 1000 });
console.log(`source: ${site.base}/Reports/Current/ (a new interval every ${o.period} s)`);
const replicas = await startFleet({ n: o.n, dir, nemwebUrl: site.base, env: { LOG_LEVEL: 'info' } });
for (const r of replicas) console.log(`replica ${r.index}: ${r.base} (pid ${r.pid}, ${r.dataDir})`);
const nginx = await startNginx(
  join(dir, 'nginx'),
  o.port,
  replicas.map((r) => `127.0.0.1:${r.port}`),
);
console.log(`nginx config: ${join(dir, 'nginx', 'nem-live.conf')}`);
console.log(`NEM Live through nginx: ${nginx.base}  (Ctrl-C stops everything)`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log('stopping nginx and the replicas');
  await nginx.stop();
  await Promise.all(replicas.map((r) => r.stop()));
  await site.close();
  if (!o.dir) rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
