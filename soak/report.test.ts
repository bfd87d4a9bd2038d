import { describe, expect, it } from 'vitest';
import { Histogram } from './histogram.ts';
import { buildSoakJson, cacheHitRate, formatSoak, mergeReports, verdict, type SoakInputs } from './report.ts';
import type { ServerSample } from './server-probe.ts';
import type { ShareReport } from './worker.ts';

function share(latenciesMs: number[], extra: Partial<ShareReport> = {}): ShareReport {
  const h = new Histogram();
  for (const ms of latenciesMs) h.recordMs(ms);
  return {
    requests: latenciesMs.length,
    pushes: 0,
    reconnects: 0,
    connects: 0,
    open: 0,
    bytesIn: 0,
    cache: { lru: 0, lmdb: 0, db: 0 },
    errors: {},
    errorSamples: [],
    latency: h.snapshot(),
    cpuUserMs: 0,
    cpuSystemMs: 0,
    latencyByTier: { lru: h.snapshot(), lmdb: new Histogram().snapshot(), db: new Histogram().snapshot() },
    ...extra,
  };
}
const sample = (
  sessions: number,
  rssMB: number | null,
  cpuSeconds: number | null = null,
  duckdbConnections = sessions,
): ServerSample => ({
  at: 0,
  sessions,
  duckdbConnections,
  rssMB,
  cpuSeconds,
  cacheHits: null,
  cacheMisses: null,
  watermark: null,
});

function inputs(reports: ShareReport[], after = sample(0, 110, 12)): SoakInputs {
  return {
    url: 'ws://127.0.0.1:1/ws',
    seed: 1,
    thinkMs: 2000,
    fullPushes: false,
    interrupted: false,
    sockets: 10,
    durationS: 5,
    rampS: 1,
    procs: reports.length,
    wallS: 5,
    merged: mergeReports(reports),
    before: sample(0, 100, 10),
    samples: [sample(10, 180), sample(9, null)],
    after,
  };
}

describe('soak report', () => {
  it('counts LRU and LMDB answers as hits and DuckDB answers as misses', () => {
    expect(cacheHitRate({ lru: 90, lmdb: 5, db: 5 })).toBeCloseTo(0.95, 10);
    expect(cacheHitRate({ lru: 0, lmdb: 0, db: 0 })).toBe(0);
  });

  it('adds up every process and merges their latencies before taking percentiles', () => {
    const a = share([1, 1, 1, 1], {
      pushes: 3,
      cache: { lru: 3, lmdb: 0, db: 1 },
      errors: { timeout: 1 },
      cpuUserMs: 500,
      cpuSystemMs: 500,
    });
    const b = share([100], {
      pushes: 2,
      cache: { lru: 0, lmdb: 1, db: 0 },
      errors: { timeout: 2, internal: 1 },
      errorSamples: ['internal: boom'],
      cpuUserMs: 1000,
      loopDelayP99Ms: 12.5,
    });
    const j = buildSoakJson(inputs([a, b]));
    expect(j.requests).toBe(5);
    expect(j.pushes).toBe(5);
    expect(j.errors).toBe(4);
    expect(j.errorsByCode).toEqual({ timeout: 3, internal: 1 });
    expect(j.cacheHitRate).toBe(0.8);
    expect(j.latencyMs.p50).toBeGreaterThanOrEqual(1);
    expect(j.latencyMs.p50).toBeLessThanOrEqual(1 + 1 / 64); // the histogram reports its bucket's upper edge
    expect(j.latencyMs.max).toBe(100);
    expect(j.latencyMs.p99).toBeGreaterThanOrEqual(99); // the one slow request lives in one process only
    expect(j.client).toEqual({ procs: 2, cpuSeconds: 2, cpuPercentOfOneCore: 40, loopDelayP99Ms: 12.5 });
    expect(j.latencyByTierMs.lru.max).toBe(100);
    expect(j.latencyByTierMs.db).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it("takes each question's first ask over every process: the earliest says whether it was cold", () => {
    const a = share([1, 1], {
      firstAsks: [
        ['tab.nem {"region":"SA1"}', 1000, true],
        ['prices.current {}', 2000, false],
      ],
    });
    const b = share([1, 1], {
      firstAsks: [
        ['tab.nem {"region":"SA1"}', 1500, false], // asked later here: the cache had it by then
        ['prices.current {}', 1200, true], // asked earlier here, from DuckDB
        ['station.output {"duid":"ERB01"}', 3000, true],
      ],
    });
    expect(buildSoakJson(inputs([a, b])).questions).toEqual({ distinct: 3, coldFirstAsks: 3 });
    expect(buildSoakJson(inputs([a])).questions).toEqual({ distinct: 2, coldFirstAsks: 1 });
    expect(buildSoakJson(inputs([share([1])])).questions).toEqual({ distinct: 0, coldFirstAsks: 0 });
  });

  it('reports the server before, at the peak and after, in the shape of CONTRACT §1', () => {
    const j = buildSoakJson(inputs([share([2])]));
    for (const key of ['sockets', 'durationS', 'requests', 'errors', 'latencyMs', 'pushes', 'cacheHitRate', 'server'])
      expect(j).toHaveProperty(key);
    expect(Object.keys(j.latencyMs)).toEqual(expect.arrayContaining(['p50', 'p95', 'p99', 'max']));
    expect(j.server).toMatchObject({
      rssBeforeMB: 100,
      rssPeakMB: 180,
      rssAfterMB: 110,
      sessionsAfter: 0,
      duckdbConnectionsAfter: 0,
      sessionsPeak: 10,
      cpuSeconds: 2,
    });
    expect(j.server.cpuMsPerRequest).toBe(2000);
    expect(JSON.parse(JSON.stringify(j))).toEqual(j);
  });

  it('passes a clean run and fails on any error or on sessions or connections left behind', () => {
    expect(verdict(buildSoakJson(inputs([share([1])])))).toEqual([]);
    expect(verdict(buildSoakJson(inputs([share([1], { errors: { rate_limited: 1 } })])))[0]).toMatch(
      /1 unexpected error.*rate_limited×1/,
    );
    expect(verdict(buildSoakJson(inputs([share([1])], sample(3, 100))))).toHaveLength(2);
    expect(verdict(buildSoakJson(inputs([share([1])], sample(0, 100, null, 1)))).join()).toMatch(/1 DuckDB connection/);
    expect(verdict(buildSoakJson(inputs([share([])])))).toEqual(['no request was answered']);
  });

  it('does not call a missing server sample zero', () => {
    const j = buildSoakJson(inputs([share([1])], sample(Number.NaN, null)));
    expect(j.server.rssAfterMB).toBeNull();
    expect(verdict(j).join()).toMatch(/session/);
  });

  it('prints every headline number', () => {
    const text = formatSoak(buildSoakJson(inputs([share([1, 2, 3], { cache: { lru: 3, lmdb: 0, db: 0 } })])));
    expect(text).toMatch(/10 sockets for 5 s/);
    expect(text).toMatch(/p99 3 ms/);
    expect(text).toMatch(/hit rate 100\.0%/);
    expect(text).toMatch(/RSS 100\.0 MB → peak 180\.0 MB → after 110\.0 MB/);
  });
});
