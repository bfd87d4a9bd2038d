// The NEM tab's "now" panels beside the mix: demand against its records, emission intensity, the battery fleet. Each
// is a function of one panel's answer so tab-nem.ts stays a layout.
import { html, nothing } from 'lit';
import { ABOUT } from '../../../shared/kinds.ts';
import type { BatteriesFleet } from '../../../shared/kinds/batteries.ts';
import type { DemandRecords } from '../../../shared/kinds/demand.ts';
import type { EmissionsHistory } from '../../../shared/kinds/emissions.ts';
import { FUEL_COLOURS, REGION_NAMES, type RegionChoice } from '../../../shared/nem.ts';
import { fmtIntensity, fmtMw, fmtPct, fmtTonnes } from '../format.ts';
import { fmtNemClock, fmtNemDateTime } from '../nem-time.ts';
import { DEMAND_COLOUR } from './adapt.ts';
import type { ChartData } from '../chart/types.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-about.ts';
import '../elements/nem-gauge.ts';

const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;

/** Today's hourly demand against the records and the mean for each hour of day. */
function recordsChart(r: DemandRecords): ChartData {
  const s = r.hours.series;
  return {
    x: r.hours.hours,
    series: [
      { label: 'Today', color: DEMAND_COLOUR, values: s.today, width: 2 },
      { label: 'Mean', color: '#7f8c9b', values: s.mean, width: 1 },
      { label: 'Record high', color: '#7f8c9b', values: s.max, dash: [5, 4], width: 1 },
      { label: 'Record low', color: '#7f8c9b', values: s.min, dash: [2, 3], width: 1 },
    ],
  };
}

/** Demand now as a share of the record for this hour of day, the records it is measured against, and today's shape. */
export function demandPanel(r: DemandRecords | undefined, region: RegionChoice, loading: boolean, csvName: string) {
  const l = r?.latest ?? null;
  const pct = l && l.hourMax.mw > 0 ? (l.mw / l.hourMax.mw) * 100 : null;
  return html`<section class="panel" aria-label="Demand against its records">
      <div class="panel-head">
        <h3>Demand</h3>
        <nem-about text=${ABOUT['demand.records']}></nem-about>
        <span class="note">${REGION_NAMES[region]} · operational</span>
      </div>
      <nem-gauge
        .value=${pct}
        text=${l ? fmtMw(l.mw) : ''}
        label=${l ? `${fmtPct(pct)} of the ${hh(l.hour)} record` : 'no demand data'}
        color=${DEMAND_COLOUR}
      ></nem-gauge>
      ${
        r && l
          ? html`<dl class="facts">
            <dt>${hh(l.hour)} record</dt><dd>${fmtMw(l.hourMax.mw)} · ${fmtNemDateTime(l.hourMax.time)}</dd>
            <dt>${hh(l.hour)} low</dt><dd>${fmtMw(l.hourMin.mw)} · ${fmtNemDateTime(l.hourMin.time)}</dd>
            ${r.max ? html`<dt>Highest</dt><dd>${fmtMw(r.max.mw)} · ${fmtNemDateTime(r.max.time)}</dd>` : nothing}
            ${r.min ? html`<dt>Lowest</dt><dd>${fmtMw(r.min.mw)} · ${fmtNemDateTime(r.min.time)}</dd>` : nothing}
          </dl>`
          : nothing
      }
    </section>
    <nem-chart
      heading="Demand by hour"
      about=${ABOUT['demand.records']}
      note="today against the records · MW"
      .config=${{ x: 'hour', unit: 'MW', height: 170, csvName }}
      .data=${r ? recordsChart(r) : null}
      ?loading=${loading}
    ></nem-chart>`;
}

/** The latest non-null value of a column and its time. */
function latest(time: number[], values: (number | null)[]): { v: number; t: number } | null {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return { v: values[i]!, t: time[i] };
  return null;
}

const INTENSITY_COLOUR = '#8d6e3f';

/** Emission intensity now (the latest interval) with its last 24 hours, and the day's tonnes. */
export function emissionsPanel(
  e: EmissionsHistory | undefined,
  region: RegionChoice,
  loading: boolean,
  csvName: string,
) {
  const now = e ? latest(e.time, e.intensity) : null;
  return html`<nem-chart
    heading="Emission intensity"
    about=${ABOUT['emissions.history']}
    note=${now ? `${fmtIntensity(now.v)} at ${fmtNemClock(now.t)} · ${fmtTonnes(e!.totalT)} in 24 h · ${REGION_NAMES[region]}` : 't CO2-e per MWh generated'}
    .config=${{ unit: 't/MWh', sync: 'nem', height: 150, csvName }}
    .data=${e ? { x: e.time, series: [{ label: 'Intensity', color: INTENSITY_COLOUR, values: e.intensity, fill: true }] } : null}
    ?loading=${loading}
  ></nem-chart>`;
}

/** The battery fleet now (charging and discharging MW, AEMO's state of charge with its time) and its last 24 hours. */
export function batteriesPanel(b: BatteriesFleet | undefined, region: RegionChoice, loading: boolean, csvName: string) {
  const n = b?.now ?? null;
  const soc =
    n && n.socPct !== null && n.socTs !== null
      ? ` · state of charge ${fmtPct(n.socPct)} (${fmtMw(n.socMwh).replace(' MW', ' MWh')} of ${fmtMw(n.storageMwh).replace(' MW', ' MWh')}, AEMO, ${fmtNemDateTime(n.socTs)})`
      : '';
  return html`<nem-chart
    heading="Batteries"
    about=${ABOUT['batteries.fleet']}
    note=${n ? `${fmtMw(n.dischargingMw)} out · ${fmtMw(Math.abs(n.chargingMw))} in at ${fmtNemClock(n.ts)}${soc} · ${REGION_NAMES[region]}` : 'fleet charging and discharging · MW'}
    .config=${{ unit: 'MW', sync: 'nem', height: 150, csvName }}
    .data=${
      b
        ? {
            x: b.time,
            series: [
              { label: 'Discharging', color: FUEL_COLOURS.Battery, values: b.series.discharging, fill: true },
              { label: 'Charging', color: '#5dade2', values: b.series.charging, fill: true },
            ],
          }
        : null
    }
    ?loading=${loading}
  ></nem-chart>`;
}
