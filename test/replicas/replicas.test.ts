// Replicas behind nginx, run for real on this machine: nginx (Debian's, with the shipped deploy/nginx/nem-live.conf)
// in front of three server processes, each with its own DATA_DIR and CACHE_DIR, all following one NEMWEB-like site
// with LIVE=nemweb (bench/replicas/). In order: every replica gives byte-identical answers at the same watermark;
// `kill -9` of one under load loses no interval for any subscriber (the SDK reconnects through nginx to another
// replica and resubscribes with `since`); a rolling restart under load fails no request and loses no interval.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { NemClient, type NemError } from '../../client/sdk/client.ts';
import type { SocketConstructor } from '../../client/sdk/types.ts';
import { clockedSite, priceOf, type ClockedSite } from '../../bench/replicas/feed.ts';
import { allAt, startFleet, type Replica } from '../../bench/replicas/fleet.ts';
import { Analyst, audit, HttpProbe, Subscriber } from '../../bench/replicas/load.ts';
import { failTimeoutMs, startNginx, type Nginx } from '../../bench/replicas/nginx.ts';
import { freePort } from '../../server/port.ts';
import { warmList } from '../../server/warmup/list.ts';
import { KIND_NAMES, UNCACHED, type Kind } from '../../shared/kinds.ts';
import { REGIONS, toNemIso } from '../../shared/nem.ts';
import { encode } from '../../shared/protocol.ts';
import { until, waitFor } from '../util/wait.ts';

const N = 3;
const SUBSCRIBERS = 24;
const ANALYSTS = 6;
/** A new interval every PERIOD_MS: slower than the replicas' 1 s poll, fast enough for a short test. */
const PERIOD_MS = 2500;

let dir: string;
let site: ClockedSite;
let replicas: Replica[];
let nginx: Nginx;
let subscribers: Subscriber[] = [];
let analysts: Analyst[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nemlive-replicas-'));
  site = await clockedSite({ history: 24, periodMs: PERIOD_MS });
  site.pause();
  // WARM=0: three boot warmups at once would take these shared cores for a minute; a restarted replica still answers
  // from its persisted LMDB cache.
  replicas = await startFleet({ n: N, dir, nemwebUrl: site.base, env: { WARM: '0' } });
  nginx = await startNginx(
    join(dir, 'nginx'),
    await freePort('127.0.0.1'),
    replicas.map((r) => `127.0.0.1:${r.port}`),
  );
});

afterAll(async () => {
  for (const s of subscribers) s.close();
  await Promise.all(analysts.map((a) => a.stop()));
  await nginx?.stop();
  await Promise.all((replicas ?? []).map((r) => r.kill()));
  await site?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The site stops publishing; resolves once every live replica and every subscriber holds its last interval. */
async function settle(): Promise<number> {
  site.pause();
  const last = site.published.at(-1)!;
  await allAt(
    replicas.filter((r) => r.pid !== undefined),
    toNemIso(last),
  );
  await until(
    () => subscribers.every((s) => s.current.at(-1) === last && s.history.at(-1) === last),
    'every subscriber to hold the last interval',
    60_000,
  );
  return last;
}

function expectNothingLost(last: number): void {
  const audits = subscribers.map((s) => audit(s, site.published, last));
  expect(audits.filter((a) => a.missed > 0 || a.duplicated > 0)).toEqual([]);
  expect(analysts.flatMap((a) => a.failures)).toEqual([]);
}

describe('replicas behind nginx', () => {
  it('answers every kind with byte-identical data on every replica at the same watermark', async () => {
    const last = site.published.at(-1)!;
    await allAt(replicas, toNemIso(last));
    // Every kind: the warmup's first question of each (its common params), and the two kinds that need a station.
    const questions: { kind: Kind; params: Record<string, unknown> }[] = [
      ...warmList()
        .filter((q, i, all) => all.findIndex((x) => x.kind === q.kind) === i)
        .map((q) => ({ kind: q.kind, params: q.params as Record<string, unknown> })),
      { kind: 'station.output', params: { station: 'NOSUCH', range: '24h' } },
      { kind: 'battery.soc', params: { station: 'NOSUCH', range: '24h' } },
    ];
    // Every kind but alerts (uncached): a replica fires events only from its first stored batch on, which its poll
    // timing decides here; replicas fed the same files agree on events and cursors (test/live/alerts-replicas.test.ts).
    expect(new Set(questions.map((q) => q.kind))).toEqual(new Set(KIND_NAMES.filter((k) => !UNCACHED.has(k))));
    const answersOf = async (r: Replica): Promise<string[]> => {
      const client = new NemClient({ url: r.wsUrl, WebSocket: WebSocket as unknown as SocketConstructor });
      const out: string[] = [];
      try {
        // A few at a time: well inside a session's rate limit and queue.
        for (let i = 0; i < questions.length; i += 16) {
          const batch = questions.slice(i, i + 16).map(({ kind, params }) =>
            client.query(kind, params as never).then(
              (a) => `${a.meta.watermark} ${Buffer.from(encode(a.data)).toString('base64')}`,
              (err: unknown) => `error ${(err as NemError).code}: ${(err as Error).message}`,
            ),
          );
          out.push(...(await Promise.all(batch)));
        }
      } finally {
        client.close();
      }
      return out;
    };
    const [first, ...others] = await Promise.all(replicas.map(answersOf));
    for (const answers of others) expect(answers).toEqual(first);
    // Real answers, at the site's last interval: the prices the site published, worked out here from its formula.
    expect(first.filter((a) => a.startsWith(toNemIso(last))).length).toBeGreaterThan(questions.length / 2);
    const client = new NemClient({ url: replicas[1].wsUrl, WebSocket: WebSocket as unknown as SocketConstructor });
    const day = await client.query('prices.history', { range: '24h', resolution: '5m' });
    client.close();
    expect(day.data.time).toEqual(site.published);
    for (const [i, region] of REGIONS.entries())
      expect(day.data.series[region]).toEqual(site.published.map((_, k) => priceOf(k) + i));
  });

  it('loses no interval for any subscriber when a replica is killed under load', async () => {
    site.resume();
    subscribers = Array.from({ length: SUBSCRIBERS }, () => new Subscriber(nginx.wsUrl));
    analysts = Array.from({ length: ANALYSTS }, (_, i) => new Analyst(nginx.wsUrl, 200, i));
    await until(() => subscribers.every((s) => s.ready), 'every subscriber to get its first answers', 60_000);
    const sessions = await Promise.all(replicas.map(async (r) => (await r.health()).sessions));
    // nginx spread the sockets: every replica holds some.
    expect(sessions.every((n) => n > 0)).toBe(true);
    const victim = replicas[sessions.indexOf(Math.max(...sessions))];

    const killedAt = performance.now();
    expect(await victim.kill()).toBe(137);
    // Every socket the victim held drops (and no other).
    const clients = [...subscribers, ...analysts];
    await until(
      () => clients.filter((c) => c.log.droppedAfter(killedAt)).length === sessions[victim.index],
      `the victim's ${sessions[victim.index]} sockets to drop`,
    );
    const dropped = subscribers.filter((s) => s.log.droppedAfter(killedAt));
    await until(() => dropped.every((s) => s.resubscribedAfter(killedAt) !== undefined), 'resubscribed', 60_000);
    expect(dropped.length).toBeGreaterThan(0);
    // Each affected subscription was sent again with the watermark it held.
    for (const s of dropped) {
      const again = s.wire.subs.filter((x) => x.at >= killedAt).map((x) => x.frame);
      expect(new Set(again.map((f) => f.id))).toEqual(new Set(s.ids));
      expect(again.every((f) => typeof f.since === 'string')).toBe(true);
    }
    // The feed goes on with two replicas, then the third comes back (nginx sends to it again after fail_timeout).
    const before = site.published.length;
    await until(() => site.published.length >= before + 3, 'three more intervals', 60_000);
    await victim.start();
    expectNothingLost(await settle());
  }, 180_000);

  it('restarts the replicas one after another under load with no failed request and no lost interval', async () => {
    site.resume();
    const probe = new HttpProbe(nginx.base, 50);
    const answeredBefore = analysts.reduce((n, a) => n + a.answered, 0);
    try {
      for (const r of replicas) {
        // Drain (SIGTERM: new upgrades and /healthz answer 503, then the listener closes and the sockets get
        // 1001), stop, start on the same dirs and port, warm from the persisted cache, catch up with the feed.
        expect(await r.stop()).toBe(0);
        await r.start();
        const mark = toNemIso(site.published.at(-1)!);
        await waitFor(
          () => r.health(),
          (h) => h.status === 'ok' && h.watermark !== null && h.watermark >= mark,
          60_000,
        );
        // nginx takes it back only fail_timeout after it failed (the drain's 503s): the procedure docs/deploy.md gives.
        await new Promise((resolve) => setTimeout(resolve, failTimeoutMs()));
      }
      const last = await settle();
      expectNothingLost(last);
    } finally {
      await probe.stop();
    }
    expect(probe.failures).toEqual([]);
    expect(probe.ok).toBeGreaterThan(0);
    expect(analysts.reduce((n, a) => n + a.answered, 0)).toBeGreaterThan(answeredBefore);
  }, 240_000);
});
