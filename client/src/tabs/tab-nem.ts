// NEM tab ("today"): spot prices per region, the last 24 h of generation by fuel with price and renewable share
// underneath (one shared cursor), and the current mix with its renewable share.
import { html, css } from 'lit';
import { FUEL_COLOURS, REGION_NAMES } from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import { fmtMw, fmtPct, fmtPrice } from '../format.ts';
import { fmtNemClock } from '../nem-time.ts';
import { TabBase } from './tab-base.ts';
import { batteriesPanel, demandPanel, emissionsPanel } from './nem-panels.ts';
import { REGION_COLUMN, fuelChart, withDemand, regionChart, rooftopMarks } from './adapt.ts';
import type { TableColumn, Row } from '../elements/nem-table.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-table.ts';
import '../elements/nem-gauge.ts';

type Panels = ResultOf['tab.nem']['panels'];

const priceClass = (v: number | null) => (v === null ? '' : v < 0 ? 'neg' : v >= 300 ? 'high' : '');

const COLUMNS: TableColumn[] = [
  REGION_COLUMN,
  {
    key: 'rrp',
    label: 'Price $/MWh',
    numeric: true,
    format: (v, r) => {
      const rrp = v as number;
      const prev = r.prev as number | null;
      const arrow = prev === null || prev === rrp ? '' : rrp > prev ? '▲' : '▼';
      return html`<span class="price ${priceClass(rrp)}">${fmtPrice(rrp)}</span> <span class="delta" title="previous interval ${fmtPrice(prev)}">${arrow}</span>`;
    },
  },
  { key: 'avg1h', label: '1 h avg', numeric: true, format: (v) => fmtPrice(v as number) },
  { key: 'avg24h', label: '24 h avg', numeric: true, format: (v) => fmtPrice(v as number) },
];

export class TabNem extends TabBase<Panels> {
  static override styles = [
    ...TabBase.styles,
    css`
      nem-table {
        --table-max-height: none;
      }
      .mix {
        display: grid;
        gap: 4px;
        font-size: 13px;
      }
      .mix-row {
        display: grid;
        grid-template-columns: 110px 1fr 84px 48px;
        align-items: center;
        gap: 8px;
      }
      .bar {
        height: 10px;
        border-radius: 3px;
        background: var(--track);
        position: relative;
        overflow: hidden;
      }
      .bar span {
        position: absolute;
        inset: 0 auto 0 0;
        border-radius: 3px;
      }
      .facts {
        display: grid;
        grid-template-columns: auto 1fr;
        gap: 3px 10px;
        margin: 8px 0 0;
        font-size: 12px;
      }
      .facts dt {
        color: var(--muted);
      }
      .facts dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
      }
      .total {
        border-top: 1px solid var(--border);
        padding-top: 6px;
        margin-top: 4px;
        font-weight: 600;
      }
    `,
  ];

  override render() {
    const p = this.panels;
    const region = this.view.region;
    const rows = (p?.prices.rows ?? null) as Row[] | null;
    const filtered = rows && region !== 'NEM' ? rows.filter((r) => r.region === region) : rows;
    return html`<div class="layout side">
      <div class="stack">
        <nem-chart
          heading="Generation by fuel"
          about=${ABOUT['generation.byFuel']}
          note=${`${REGION_NAMES[region]} · last 24 h · MW`}
          .config=${{ type: 'stacked', unit: 'MW', sync: 'nem', height: 300, csvName: this.stem('generation', region) }}
          .data=${p ? withDemand(fuelChart(p.generation), p.demand) : null}
          ?loading=${this.loading}
        ></nem-chart>
        <nem-chart
          heading="Spot price"
          about=${ABOUT['prices.history']}
          note="$/MWh"
          .config=${{ unit: '$/MWh', sync: 'nem', height: 190, csvName: this.stem('price', region) }}
          .data=${p ? regionChart(p.price) : null}
          ?loading=${this.loading}
        ></nem-chart>
        <nem-chart
          heading="Renewable share"
          about=${ABOUT['renewables.share']}
          note="% of generation"
          .config=${{ unit: '%', sync: 'nem', height: 130, csvName: this.stem('renewables', region) }}
          .data=${p ? { x: p.renewables.time, series: [{ label: 'Renewables', color: FUEL_COLOURS.Wind, values: p.renewables.series.share, fill: true }], ...rooftopMarks(p.renewables) } : null}
          ?loading=${this.loading}
        ></nem-chart>
        ${emissionsPanel(p?.emissions, region, this.loading, this.stem('emission-intensity', region))}
        ${batteriesPanel(p?.batteries, region, this.loading, this.stem('batteries', region))}
      </div>
      <div class="stack">
        <nem-table
          heading="Spot price"
          about=${ABOUT['prices.current']}
          note=${p ? `interval ending ${fmtNemClock(p.prices.time)} NEM` : ''}
          .columns=${COLUMNS}
          .rows=${filtered}
          sortKey="region"
          .sortDir=${1}
          csvName=${this.stem('prices-now', region)}
          ?loading=${this.loading}
        ></nem-table>
        ${this.mixPanel(p)} ${demandPanel(p?.records, region, this.loading, this.stem('demand-by-hour', region))}
      </div>
    </div>`;
  }

  private mixPanel(p: Panels | null) {
    const mix = p?.mix;
    const max = mix ? Math.max(1, ...mix.fuels.map((f) => Math.abs(f.mw))) : 1;
    return html`<section class="panel" aria-label="Current generation mix">
      <div class="panel-head">
        <h3>Now</h3>
        <span class="note">${mix ? `${REGION_NAMES[mix.region]} · ${fmtNemClock(mix.time)} NEM${mix.rooftopEstimated ? ' · rooftop estimated' : ''}` : ''}</span>
      </div>
      <nem-gauge .value=${mix ? mix.renewableSharePct : null} label="renewable share" color=${FUEL_COLOURS.Wind}></nem-gauge>
      ${
        mix
          ? html`<div class="mix" role="table" aria-label="Generation by fuel now">
            ${mix.fuels
              .filter((f) => f.mw !== 0)
              .map(
                (f) => html`<div class="mix-row" role="row">
                  <span role="cell"><span class="swatch" style="background:${FUEL_COLOURS[f.fuel]}"></span> ${f.fuel}</span>
                  <span class="bar" aria-hidden="true"><span style="width:${(Math.abs(f.mw) / max) * 100}%;background:${FUEL_COLOURS[f.fuel]};opacity:${f.mw < 0 ? 0.45 : 1}"></span></span>
                  <span class="num" role="cell">${fmtMw(f.mw)}</span>
                  <span class="num note" role="cell">${mix.totalMw > 0 && f.mw > 0 ? fmtPct((f.mw / mix.totalMw) * 100) : ''}</span>
                </div>`,
              )}
            <div class="mix-row total" role="row"><span role="cell">Total</span><span></span><span class="num" role="cell">${fmtMw(mix.totalMw)}</span><span></span></div>
          </div>`
          : html`<div class="empty" role="status">Loading…</div>`
      }
    </section>`;
  }
}
customElements.define('tab-nem', TabNem);

declare global {
  interface HTMLElementTagNameMap {
    'tab-nem': TabNem;
  }
}
