// Forecast panels: the newest P5MIN and pre-dispatch curves beside the actuals (Prices tab), and the pre-dispatch table
// with the change since the run before (NEM tab).
import { html } from 'lit';
import { ABOUT } from '../../../shared/kinds.ts';
import type { ForecastLatest, PredispatchTable } from '../../../shared/kinds/forecasts.ts';
import { REGION_COLOURS, REGION_NAMES } from '../../../shared/nem.ts';
import type { ChartData } from '../chart/types.ts';
import type { Row, TableColumn } from '../elements/nem-table.ts';
import { fmtPrice } from '../format.ts';
import { fmtNemClock } from '../nem-time.ts';
import { shortRegion } from './adapt.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-table.ts';

const DEMAND = '#7f8c8d';
/** Actuals solid; P5MIN dashed; pre-dispatch dotted (drawn across the 5-minute axis between its half hours). */
const P5_DASH = [6, 4];
const PD_DASH = [2, 4];

function forecastChart(f: ForecastLatest): ChartData {
  const price = REGION_COLOURS[f.region];
  const s = f.series;
  return {
    x: f.time,
    series: [
      { label: 'Price', color: price, values: s.actualPrice, width: 2 },
      { label: 'P5MIN price', color: price, values: s.p5minPrice, dash: P5_DASH },
      { label: 'Pre-dispatch price', color: price, values: s.predispatchPrice, dash: PD_DASH, spanGaps: true },
      { label: 'Demand', color: DEMAND, values: s.actualDemand, axis: 2 },
      { label: 'P5MIN demand', color: DEMAND, values: s.p5minDemand, axis: 2, dash: P5_DASH },
      {
        label: 'Pre-dispatch demand',
        color: DEMAND,
        values: s.predispatchDemand,
        axis: 2,
        dash: PD_DASH,
        spanGaps: true,
      },
    ],
  };
}

const runNote = (f: ForecastLatest) =>
  [
    `${REGION_NAMES[f.region]}`,
    `P5MIN run ${f.runs.p5min === null ? 'none yet' : fmtNemClock(f.runs.p5min)}`,
    `pre-dispatch run ${f.runs.predispatch === null ? 'none yet' : fmtNemClock(f.runs.predispatch)} NEM`,
  ].join(' · ');

export function forecastPanel(f: ForecastLatest | undefined, loading: boolean, csvName: string) {
  return html`<nem-chart
    heading="Forecast"
    about=${ABOUT['forecasts.latest']}
    note=${f ? runNote(f) : ''}
    .config=${{ unit: '$/MWh', unit2: 'MW', height: 300, csvName }}
    .data=${f ? forecastChart(f) : null}
    ?loading=${loading}
  ></nem-chart>`;
}

const change = (v: number | null) =>
  v === null || v === 0
    ? ''
    : html` <span class="delta" title="change since the previous run">${v > 0 ? '▲' : '▼'} ${fmtPrice(Math.abs(v))}</span>`;

function predispatchColumns(t: PredispatchTable): TableColumn[] {
  return [
    { key: 'time', label: 'Half hour to', format: (v) => fmtNemClock(v as number) },
    ...t.regions.map((r, i): TableColumn => ({
      key: r,
      label: `${shortRegion(r)} $/MWh`,
      numeric: true,
      format: (v, row) => html`${fmtPrice(v as number | null)}${change((row.changes as (number | null)[])[i])}`,
    })),
  ];
}

const predispatchRows = (t: PredispatchTable): Row[] =>
  t.rows.map((r) => ({
    time: r.time,
    changes: r.changes,
    ...Object.fromEntries(t.regions.map((g, i) => [g, r.prices[i]])),
  }));

export function predispatchPanel(t: PredispatchTable | undefined, loading: boolean, csvName: string) {
  const note = !t
    ? ''
    : t.run === null
      ? 'no run yet'
      : `run ${fmtNemClock(t.run)} NEM${t.previousRun === null ? '' : ` · change since ${fmtNemClock(t.previousRun)}`}`;
  return html`<nem-table
    heading="Pre-dispatch"
    about=${ABOUT['forecasts.predispatch']}
    note=${note}
    .columns=${t ? predispatchColumns(t) : []}
    .rows=${t ? predispatchRows(t) : null}
    sortKey="time"
    .sortDir=${1}
    csvName=${csvName}
    ?loading=${loading}
  ></nem-table>`;
}
