// Replicas behind nginx (bench/replicas/): three server processes, each with its own store, following one NEMWEB-like
// site, with the shipped nginx config in front. Three measures, one run:
// - the proxy hop: a soak straight at one replica, then the same soak through nginx (spread over the three);
// - failover: kill -9 of the replica holding the most sockets while analysts query and subscribers follow the feed
//   through nginx; from the kill to the last dropped subscriber answered again on another replica, and the intervals
//   any subscriber missed or saw twice (bench/replicas/load.ts audits them against what the site published);
// - new-interval push latency with 10,000 idle subscribers spread over the three replicas (direct), against one
//   replica holding all 10,000: per socket, from its replica's commit of the interval's file (its `live: ingested`
//   log line) to the push's arrival, with each replica's CPU over the rounds. The replicas share this machine's cores.
import { join } from 'node:path';
import { runSoak } from '../soak/run.ts';
import { clockedSite, type ClockedSite } from './replicas/feed.ts';
import { allAt, startFleet, type Replica } from './replicas/fleet.ts';
import { Analyst, audit, Subscriber } from './replicas/load.ts';
import { startNginx, type Nginx } from './replicas/nginx.ts';
import { dispatchIs } from './nemweb/files.ts';
import { cpuSecondsOf } from './proc.ts';
import { openSubscribers, pct, r2, TICKER, type Subscribers } from './push.ts';
import { freePort } from '../server/port.ts';
import { toNemIso } from '../shared/nem.ts';
import type { BenchContext, BenchResult } from './types.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(ok: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`replicas bench: waited ${timeoutMs / 1000} s for ${what}`);
    await sleep(50);
  }
}

/**
 * When each replica stored each file (its `live: ingested` line, written as the file's transaction commits), by file
 * name. (`live: new data pushed` is logged only once the push run and the market's advance are both done, so its time
 * less its latency is not the commit when the advance waits.)
 */
function ingestLog(replicas: readonly Replica[]): Map<string, number>[] {
  return replicas.map((r) => {
    const stored = new Map<string, number>();
    r.onLine = (line) => {
      if (!line.includes('"live: ingested"')) return;
      try {
        const j = JSON.parse(line) as { time: number | string; file: string };
        if (!stored.has(j.file)) stored.set(j.file, typeof j.time === 'number' ? j.time : Date.parse(j.time));
      } catch {
        // not a JSON line
      }
    };
    return stored;
  });
}

async function soaks(ctx: BenchContext, replicas: Replica[], nginx: Nginx): Promise<BenchResult[]> {
  const sockets = ctx.quick ? 50 : 300;
  const durationS = ctx.quick ? 10 : 20;
  const soak = (url: string) =>
    runSoak({ url, sockets, durationS, rampS: 4, seed: 1, procs: ctx.quick ? 1 : 2, thinkMs: 2000, settleS: 15 });
  ctx.log(`replicas: soak, ${sockets} analysts for ${durationS} s, straight at replica 0`);
  const direct = await soak(replicas[0].wsUrl);
  ctx.log(`replicas: the same soak through nginx`);
  const proxied = await soak(nginx.wsUrl);
  const note = `${sockets} analysts, ${durationS} s each; direct: one replica; nginx: the shipped config over 3 replicas; errors ${direct.errors} direct, ${proxied.errors} through nginx`;
  return (['p50', 'p99'] as const).map((p) => ({
    name: `soak ${p} through nginx (direct to one replica = baseline)`,
    value: proxied.latencyMs[p],
    unit: 'ms',
    baseline: direct.latencyMs[p],
    ratio: r2(proxied.latencyMs[p] / direct.latencyMs[p]),
    note: p === 'p50' ? note : 'ratio = through nginx ÷ direct',
  }));
}

async function failover(
  ctx: BenchContext,
  site: ClockedSite,
  replicas: Replica[],
  nginx: Nginx,
): Promise<BenchResult[]> {
  const nSubs = ctx.quick ? 100 : 1000;
  const nAnalysts = ctx.quick ? 30 : 300;
  ctx.log(`replicas: failover with ${nAnalysts} analysts and ${nSubs} subscribers through nginx`);
  const subscribers: Subscriber[] = [];
  for (let i = 0; i < nSubs; i++) {
    subscribers.push(new Subscriber(nginx.wsUrl));
    if (i % 100 === 99) await sleep(200); // a ramp, as real clients arrive
  }
  const analysts = Array.from({ length: nAnalysts }, (_, i) => new Analyst(nginx.wsUrl, 2000, i));
  try {
    await until(() => subscribers.every((s) => s.ready), 'every subscriber to get its first answers', 120_000);
    await sleep(3000);
    const sessions = await Promise.all(replicas.map(async (r) => (await r.health()).sessions));
    const victim = replicas[sessions.indexOf(Math.max(...sessions))];
    ctx.log(`replicas: sessions per replica ${sessions.join(', ')}; kill -9 replica ${victim.index}`);
    const killedAt = performance.now();
    await victim.kill();
    const clients = [...subscribers, ...analysts];
    await until(
      () => clients.filter((c) => c.log.droppedAfter(killedAt)).length >= sessions[victim.index],
      'the victim’s sockets to drop',
      30_000,
    );
    const dropped = subscribers.filter((s) => s.log.droppedAfter(killedAt));
    await until(() => dropped.every((s) => s.resubscribedAfter(killedAt) !== undefined), 'resubscriptions', 120_000);
    const backMs = dropped.map((s) => s.resubscribedAfter(killedAt)! - killedAt).sort((a, b) => a - b);
    const before = site.published.length;
    await until(() => site.published.length >= before + 2, 'two more intervals', 60_000);
    await victim.start();
    site.pause();
    const last = site.published.at(-1)!;
    await until(
      () => subscribers.every((s) => s.current.at(-1) === last && s.history.at(-1) === last),
      'every subscriber to hold the last interval',
      120_000,
    );
    site.resume();
    const audits = subscribers.map((s) => audit(s, site.published, last));
    const missed = audits.reduce((n, a) => n + a.missed, 0);
    const duplicated = audits.reduce((n, a) => n + a.duplicated, 0);
    const failed = analysts.reduce((n, a) => n + a.failures.length, 0);
    const note = `${dropped.length} of ${nSubs} subscribers (and ${sessions[victim.index] - dropped.length} analysts) were on the killed replica; analyst queries failed: ${failed}`;
    return [
      {
        name: 'failover: kill -9 → last dropped subscriber resubscribed',
        value: r2(backMs.at(-1)! / 1000),
        unit: 's',
        note,
      },
      {
        name: 'failover: kill -9 → dropped subscriber resubscribed, p95',
        value: r2(pct(backMs, 95) / 1000),
        unit: 's',
        goal: '≤ 5 s',
      },
      { name: 'failover: intervals missed, all subscribers', value: missed, unit: 'intervals', goal: '0' },
      { name: 'failover: intervals delivered twice, all subscribers', value: duplicated, unit: 'intervals', goal: '0' },
    ];
  } finally {
    for (const s of subscribers) s.close();
    await Promise.all(analysts.map((a) => a.stop()));
  }
}

/** p95 push latency (ms) with `n` idle ticker subscribers spread over `targets`, and each replica's CPU (s/round). */
async function pushRounds(
  ctx: BenchContext,
  site: ClockedSite,
  replicas: Replica[],
  targets: Replica[],
  n: number,
  rounds: number,
): Promise<{ p95: number; cpu: number[]; missing: number }> {
  const stored = ingestLog(replicas);
  const groups: { replica: Replica; subs: Subscribers }[] = [];
  for (const [i, r] of targets.entries()) {
    const share = Math.floor(n / targets.length) + (i < n % targets.length ? 1 : 0);
    groups.push({ replica: r, subs: await openSubscribers(r.wsUrl, share, TICKER, false) });
  }
  const wallMinusMono = Date.now() - Number(process.hrtime.bigint()) / 1e6;
  const latencies: number[] = [];
  let missing = 0;
  const cpu0 = replicas.map((r) => cpuSecondsOf(r.pid!) ?? 0);
  try {
    for (let k = 0; k < rounds; k++) {
      // Every replica holds the site's last interval: the next push each socket gets is the one stepped here.
      await allAt(replicas, toNemIso(site.published.at(-1)!));
      await Promise.all(groups.map((g) => g.subs.arm()));
      const ts = site.step();
      const got = await Promise.all(groups.map((g) => g.subs.collect(30_000)));
      const file = dispatchIs(ts).name;
      await until(() => groups.every((g) => stored[g.replica.index].has(file)), `every replica to log ${file}`, 10_000);
      for (const [gi, g] of groups.entries()) {
        const commit = stored[g.replica.index].get(file)!;
        for (const c of got[gi]) {
          missing += c.missing;
          for (const t of c.times) latencies.push(t / 1e6 + wallMinusMono - commit);
        }
      }
      ctx.log(`replicas: push round ${k + 1}/${rounds} (${n} over ${targets.length}) done`);
      await sleep(1500);
    }
  } finally {
    await Promise.all(groups.map((g) => g.subs.close()));
    for (const r of replicas) r.onLine = undefined;
  }
  const cpu = replicas.map((r, i) => r2(((cpuSecondsOf(r.pid!) ?? 0) - cpu0[i]) / rounds));
  latencies.sort((a, b) => a - b);
  return { p95: r2(pct(latencies, 95)), cpu, missing };
}

async function push(ctx: BenchContext, site: ClockedSite, replicas: Replica[]): Promise<BenchResult[]> {
  const n = ctx.quick ? 1000 : 10_000;
  const rounds = ctx.quick ? 2 : 3;
  site.pause();
  await sleep(3000);
  ctx.log(`replicas: push, ${n} idle subscribers over 3 replicas, then all on one`);
  const spread = await pushRounds(ctx, site, replicas, replicas, n, rounds);
  const single = await pushRounds(ctx, site, replicas, [replicas[0]], n, rounds);
  site.resume();
  const cpus = (c: number[]) => c.map((s) => `${s} s`).join(' / ');
  return [
    {
      name: `push p95, commit → socket, ${n.toLocaleString('en')} subscribers over 3 replicas (one replica = baseline)`,
      value: spread.p95,
      unit: 'ms',
      baseline: single.p95,
      ratio: r2(single.p95 / spread.p95),
      note: `ticker; ${rounds} intervals; CPU per interval per replica: spread ${cpus(spread.cpu)}, one ${cpus(single.cpu)}; pushes missing: ${spread.missing + single.missing}; ratio = one ÷ spread; the replicas share 2 cores`,
    },
  ];
}

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const site = await clockedSite({ history: 48, periodMs: 5000 });
  site.pause(); // until every replica holds the history
  const replicas = await startFleet({
    n: 3,
    dir: ctx.scratchDir,
    nemwebUrl: site.base,
    env: { WARM: '0', LOG_LEVEL: 'info', MAX_SESSIONS: '19000' },
  });
  let nginx: Nginx | undefined;
  try {
    nginx = await startNginx(
      join(ctx.scratchDir, 'nginx'),
      await freePort('127.0.0.1'),
      replicas.map((r) => `127.0.0.1:${r.port}`),
    );
    await allAt(replicas, toNemIso(site.published.at(-1)!), 180_000);
    site.resume();
    const out: BenchResult[] = [];
    out.push(...(await soaks(ctx, replicas, nginx)));
    out.push(...(await failover(ctx, site, replicas, nginx)));
    out.push(...(await push(ctx, site, replicas)));
    return out;
  } finally {
    await nginx?.stop();
    await Promise.all(replicas.map((r) => r.stop()));
    await site.close();
  }
}
