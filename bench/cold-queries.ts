// Cold query times: every kind with typical params (NEM, 30 days), each run on a fresh DuckDB connection with no
// result cache in front, as a session's first query would. Goals (CONTRACT §6): generation.byFuel NEM 30d ≤ 50 ms,
// every kind ≤ 250 ms on the one-year demo. The value is the median of `runs`; the note has the first and worst.
import type { DuckDBInstance } from '@duckdb/node-api';
import { validateParams, type Kind, type ParamsOf } from '../shared/kinds.ts';
import { runQuery } from '../server/catalogue/index.ts';
import { openStore, readWatermark } from '../server/store/db.ts';
import type { BenchContext, BenchResult } from './types.ts';

interface Case {
  kind: Kind;
  label: string;
  params: Record<string, unknown>;
}

function cases(duid: string, battery: string): Case[] {
  const month = { range: '30d' };
  const year = { range: '1y' };
  return [
    { kind: 'prices.current', label: '', params: {} },
    { kind: 'prices.history', label: 'all regions 30d', params: month },
    { kind: 'prices.stats', label: 'all regions 30d', params: month },
    { kind: 'prices.bands', label: 'all regions 30d', params: month },
    { kind: 'prices.timeOfDay', label: 'all regions 30d', params: month },
    { kind: 'generation.byFuel', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'generation.timeOfDay', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'generation.mix', label: 'NEM', params: { region: 'NEM' } },
    { kind: 'renewables.share', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'capacity.utilisation', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'demand.history', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'demand.records', label: 'NEM all', params: { region: 'NEM' } },
    { kind: 'batteries.fleet', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'batteries.table', label: 'all 30d', params: month },
    { kind: 'batteries.arbitrage', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'battery.soc', label: `${battery} 30d`, params: { duid: battery, ...month } },
    { kind: 'emissions.history', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'emissions.stations', label: 'all 30d', params: month },
    { kind: 'emissions.compare', label: 'NEM', params: { region: 'NEM' } },
    { kind: 'stations.search', label: '"wind"', params: { q: 'wind' } },
    { kind: 'station.output', label: `${duid} 30d`, params: { duid, ...month } },
    { kind: 'stations.table', label: 'all 30d', params: month },
    { kind: 'interconnectors.flows', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'tab.nem', label: 'NEM', params: { region: 'NEM' } },
    { kind: 'tab.generation', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'tab.prices', label: '30d', params: month },
    { kind: 'tab.stations', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    { kind: 'tab.generators', label: '30d', params: month },
    { kind: 'tab.batteries', label: 'NEM 30d', params: { region: 'NEM', ...month } },
    // The longest windows a user can pick with the heavier kinds.
    { kind: 'generation.byFuel', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    { kind: 'demand.history', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    { kind: 'prices.stats', label: 'all regions 1y', params: year },
    { kind: 'station.output', label: `${duid} 1y`, params: { duid, ...year } },
    { kind: 'stations.table', label: 'all 1y', params: year },
    { kind: 'tab.generation', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    // 90 days is the longest window still read at 30 minutes: the most points a tab draws.
    { kind: 'tab.generation', label: 'NEM 90d', params: { region: 'NEM', range: '90d' } },
    ...(['curtailment.history', 'curtailment.timeOfDay', 'curtailment.prices', 'tab.curtailment'] as const).flatMap(
      (kind) => [
        { kind, label: 'NEM 30d', params: { region: 'NEM', ...month } },
        { kind, label: 'NEM 1y', params: { region: 'NEM', ...year } },
      ],
    ),
    { kind: 'curtailment.units', label: 'all regions 30d', params: month },
    { kind: 'curtailment.units', label: 'all regions 1y', params: year },
    { kind: 'batteries.fleet', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    { kind: 'batteries.table', label: 'all 1y', params: year },
    { kind: 'batteries.arbitrage', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    { kind: 'battery.soc', label: `${battery} 1y`, params: { duid: battery, ...year } },
    { kind: 'tab.batteries', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    { kind: 'emissions.history', label: 'NEM 1y', params: { region: 'NEM', ...year } },
    { kind: 'emissions.stations', label: 'all 1y', params: year },
    // Market status adds up 7 days of prices per region; the alert kinds read alert_event (empty on a bench store).
    { kind: 'market.status', label: 'NEM', params: { region: 'NEM' } },
    { kind: 'alerts', label: 'every event', params: {} },
    { kind: 'alerts.history', label: 'all regions 1y', params: year },
  ];
}

/** The biggest unit (of `fuel`, when given) that reported in the last week: a typical station.output subject. */
async function typicalDuid(instance: DuckDBInstance, watermark: number, fuel = ''): Promise<string> {
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll(
      `SELECT duid FROM units WHERE duid IN (SELECT duid FROM unit_1d WHERE ts > $from) AND ($fuel = '' OR fuel = $fuel)
      ORDER BY capacity_mw DESC, duid LIMIT 1`,
      { from: watermark - 7 * 86400, fuel },
    );
    const row = r.getRows()[0];
    if (!row) throw new Error(`cold-queries: no ${fuel || 'unit'} reported SCADA in the store's last week`);
    return String(row[0]);
  } finally {
    conn.closeSync();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs every case `runs` times on fresh connections to the store in `dataDir`. */
export async function coldQueries(
  dataDir: string,
  opts: { runs?: number; log?: (m: string) => void } = {},
): Promise<BenchResult[]> {
  const runs = opts.runs ?? 5;
  const { instance } = await openStore({ dataDir, readOnly: true });
  const results: BenchResult[] = [];
  try {
    const setup = await instance.connect();
    const wm = await readWatermark(setup);
    setup.closeSync();
    if (!wm) throw new Error(`cold-queries: the store in ${dataDir} holds no prices`);
    const duid = await typicalDuid(instance, wm.watermark);
    const battery = await typicalDuid(instance, wm.watermark, 'Battery');
    for (const c of cases(duid, battery)) {
      const v = validateParams(c.kind, c.params);
      if (!v.ok) throw new Error(`cold-queries: ${c.kind}: ${v.message}`);
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const conn = await instance.connect();
        try {
          const t0 = performance.now();
          await runQuery({ conn, watermark: wm.watermark, firstTs: wm.firstTs }, c.kind, v.params as ParamsOf<Kind>);
          times.push(performance.now() - t0);
        } finally {
          conn.closeSync();
        }
      }
      const name = `cold ${c.kind}${c.label ? ` ${c.label}` : ''}`;
      const goal = c.kind === 'generation.byFuel' && c.label === 'NEM 30d' ? '≤ 50 ms' : '≤ 250 ms';
      const ms = Math.round(median(times) * 10) / 10;
      results.push({
        name,
        value: ms,
        unit: 'ms',
        goal,
        note: `median of ${runs} fresh connections; first ${times[0].toFixed(1)} ms, worst ${Math.max(...times).toFixed(1)} ms`,
      });
      opts.log?.(`  ${name}: ${ms} ms`);
    }
  } finally {
    instance.closeSync();
  }
  return results;
}

/** The bench CLI's entry point. */
export function run(ctx: BenchContext): Promise<BenchResult[]> {
  return coldQueries(ctx.dataDir, { runs: ctx.quick ? 2 : 5, log: ctx.log });
}
