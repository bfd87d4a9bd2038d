// Curtailment tab: what semi-scheduled wind and solar could have produced (UIGF) against what they were dispatched,
// per fuel with the curtailed gap shaded, the window's totals, curtailment by hour of day, the most curtailed units,
// and curtailment at negative prices against the rest.
import { html, css } from 'lit';
import { FUEL_COLOURS, REGION_NAMES, type Region } from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import {
  CURTAILMENT_FUELS,
  type CurtailmentFuel,
  type CurtailmentHistory,
  type PriceCondition,
} from '../../../shared/kinds/curtailment.ts';
import type { TimeOfDay } from '../../../shared/kinds/series.ts';
import { fmtInt, fmtPct } from '../format.ts';
import { downloadText, toCsv } from '../csv.ts';
import { TabBase } from './tab-base.ts';
import { REGION_COLUMN } from './adapt.ts';
import type { ChartData } from '../chart/types.ts';
import type { Row, TableColumn } from '../elements/nem-table.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-table.ts';
import '../elements/nem-about.ts';

type Panels = ResultOf['tab.curtailment']['panels'];

/** The forecast line and its shading: the band between it and the cleared area is what was curtailed. */
const AVAILABLE_COLOUR = '#c0392b';
const mwh = (v: unknown) => fmtInt(v as number);
const pct = (v: unknown) => fmtPct(v as number | null);
const fuelCell = (v: unknown) =>
  html`<span class="swatch" style="background:${FUEL_COLOURS[v as CurtailmentFuel]}"></span> ${v}`;

const UNIT_COLUMNS: TableColumn[] = [
  { key: 'station', label: 'Station' },
  { key: 'duid', label: 'DUID' },
  { ...REGION_COLUMN, format: (v) => REGION_NAMES[v as Region] },
  { key: 'fuel', label: 'Fuel', format: fuelCell },
  { key: 'curtailedMwh', label: 'Curtailed MWh', numeric: true, format: mwh },
  { key: 'curtailedPct', label: '% of available', numeric: true, format: pct },
  { key: 'availableMwh', label: 'Available MWh', numeric: true, format: mwh },
  { key: 'cappedIntervals', label: 'Intervals capped', numeric: true, format: mwh },
];

const CONDITION_LABELS: Record<PriceCondition, string> = {
  negative: 'Below $0',
  nonNegative: '$0 or above',
};
const PRICE_COLUMNS: TableColumn[] = [
  { key: 'prices', label: 'Prices', format: (v) => CONDITION_LABELS[v as PriceCondition] },
  { key: 'intervals', label: 'Intervals', numeric: true, format: mwh },
  { key: 'curtailedMwh', label: 'Curtailed MWh', numeric: true, format: mwh },
  { key: 'curtailedPct', label: '%', numeric: true, format: pct },
  { key: 'windCurtailedMwh', label: 'Wind MWh', numeric: true, format: mwh },
  { key: 'solarCurtailedMwh', label: 'Solar MWh', numeric: true, format: mwh },
  { key: 'availableMwh', label: 'Available MWh', numeric: true, format: mwh },
];

/** One fuel's forecast and dispatch, both shaded: the forecast's band above the cleared area is the curtailment. */
function gapChart(h: CurtailmentHistory, fuel: CurtailmentFuel): ChartData {
  const key = fuel === 'Wind' ? 'wind' : 'solar';
  return {
    x: h.time,
    series: [
      { label: `${fuel} available (UIGF)`, color: AVAILABLE_COLOUR, values: h.series[`${key}Available`], fill: true },
      { label: `${fuel} cleared`, color: FUEL_COLOURS[fuel], values: h.series[`${key}Cleared`], fill: true },
    ],
  };
}

/** Both fuels always, zeros included: no curtailment in a window is an answer, not missing data. */
const hoursChart = (t: TimeOfDay<CurtailmentFuel>): ChartData => ({
  x: t.hours,
  series: CURTAILMENT_FUELS.map((fuel) => ({
    label: fuel,
    color: FUEL_COLOURS[fuel],
    values: t.series[fuel],
    fill: true,
  })),
});

export class TabCurtailment extends TabBase<Panels> {
  static override styles = [
    ...TabBase.styles,
    css`
      .figures {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(200px, 1fr));
        gap: 10px 24px;
      }
      .figure .value {
        font-size: 24px;
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
      .figure .label {
        display: flex;
        align-items: center;
        gap: 6px;
        font-size: 12px;
        color: var(--muted);
      }
      .panel-head .btn {
        margin-left: auto;
      }
    `,
  ];

  override render() {
    const p = this.panels;
    const h = p?.history;
    const note = `MW${h ? ` · ${h.resolution}` : ''}`;
    return html`<div class="layout">
      ${this.totalsPanel(h ?? null)}
      <div class="two">
        ${(['Wind', 'Solar'] as const).map(
          (fuel) => html`<nem-chart
            heading=${`${fuel} available vs cleared`}
            about=${ABOUT['curtailment.history']}
            note=${`${note} · shaded gap = curtailed`}
            .config=${{ unit: 'MW', sync: 'curt', height: 260, csvName: this.stem(`curtailment-${fuel.toLowerCase()}`) }}
            .data=${h ? gapChart(h, fuel) : null}
            ?loading=${this.loading}
          ></nem-chart>`,
        )}
      </div>
      <div class="two">
        <nem-chart
          heading="Time of day"
          about=${ABOUT['curtailment.timeOfDay']}
          note="mean curtailed MW by hour, NEM time"
          .config=${{ x: 'hour', unit: 'MW', height: 240, csvName: this.stem('curtailment-time-of-day') }}
          .data=${p ? hoursChart(p.timeOfDay) : null}
          ?loading=${this.loading}
        ></nem-chart>
        <nem-table
          heading="At negative prices"
          about=${ABOUT['curtailment.prices']}
          note="% of available · each region's own price"
          .columns=${PRICE_COLUMNS}
          .rows=${(p?.prices.rows ?? null) as Row[] | null}
          csvName=${this.stem('curtailment-prices')}
          ?loading=${this.loading}
        ></nem-table>
      </div>
      <nem-table
        style="--table-max-height: 520px"
        heading="Most curtailed units"
        about=${ABOUT['curtailment.units']}
        note="in this window · click a column to sort"
        .columns=${UNIT_COLUMNS}
        .rows=${(p?.units.rows ?? null) as Row[] | null}
        sortKey="curtailedMwh"
        csvName=${this.stem('curtailed-units')}
        ?loading=${this.loading}
      ></nem-table>
    </div>`;
  }

  private totalsPanel(h: CurtailmentHistory | null) {
    const stem = this.stem('curtailment-totals');
    return html`<section class="panel" aria-label="Curtailment in this window">
      <div class="panel-head">
        <h3>Curtailed in this window</h3>
        <nem-about .text=${ABOUT['curtailment.history']}></nem-about>
        <button class="btn" title="Download these totals as CSV" ?disabled=${!h} @click=${() => h && this.totalsCsv(h, stem)}>CSV</button>
      </div>
      ${
        !h
          ? html`<div class="empty" role="status">Loading…</div>`
          : h.totals.every((t) => t.availableMwh === 0)
            ? html`<div class="empty" role="status">No semi-scheduled wind or solar data in this window</div>`
            : html`<div class="figures">
                ${h.totals.map(
                  (t) => html`<div class="figure" data-fuel=${t.fuel}>
                    <div class="label"><span class="swatch" style="background:${FUEL_COLOURS[t.fuel]}"></span>${t.fuel} curtailed</div>
                    <div class="value">${fmtInt(t.curtailedMwh)} MWh</div>
                    <div class="note">${fmtPct(t.curtailedPct)} of ${fmtInt(t.availableMwh)} MWh available</div>
                  </div>`,
                )}
              </div>`
      }
    </section>`;
  }

  private totalsCsv(h: CurtailmentHistory, stem: string): void {
    downloadText(
      `${stem}.csv`,
      toCsv(
        ['fuel', 'available MWh', 'curtailed MWh', 'curtailed % of available'],
        h.totals.map((t) => [t.fuel, t.availableMwh, t.curtailedMwh, t.curtailedPct]),
      ),
    );
  }
}
customElements.define('tab-curtailment', TabCurtailment);

declare global {
  interface HTMLElementTagNameMap {
    'tab-curtailment': TabCurtailment;
  }
}
