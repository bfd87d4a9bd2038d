// Prices tab: RRP series for the chosen regions at the chosen resolution, the first region's forecast (P5MIN and
// pre-dispatch beside the actuals), statistics, price bands (share of time and contribution to the average) and the
// time-of-day profile.
import { html, css } from 'lit';
import { REGIONS, REGION_COLOURS, REGION_NAMES, type Region } from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import { PRICE_BANDS, type PricesBands } from '../../../shared/kinds/prices.ts';
import { fmtInt, fmtPct, fmtPrice } from '../format.ts';
import { regionsOf, toggleIn } from '../url-state.ts';
import { TabBase } from './tab-base.ts';
import { REGION_COLUMN, regionCell, regionChart, shortRegion } from './adapt.ts';
import { downloadText, toCsv } from '../csv.ts';
import type { Row, TableColumn } from '../elements/nem-table.ts';
import { forecastPanel } from './forecast-panels.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-table.ts';

type Panels = ResultOf['tab.prices']['panels'];
const BAND_COLOURS = ['#2f7ed8', '#3cb371', '#e8a23b', '#c0392b'];
const price = (v: unknown) => fmtPrice(v as number | null);

const STATS_COLUMNS: TableColumn[] = [
  REGION_COLUMN,
  { key: 'mean', label: 'Mean', numeric: true, format: price },
  { key: 'demandWeighted', label: 'Demand-wtd', numeric: true, format: price },
  { key: 'min', label: 'Min', numeric: true, format: price },
  { key: 'p5', label: 'P5', numeric: true, format: price },
  { key: 'p50', label: 'Median', numeric: true, format: price },
  { key: 'p95', label: 'P95', numeric: true, format: price },
  { key: 'max', label: 'Max', numeric: true, format: price },
  { key: 'negative', label: '< $0', numeric: true, format: (v) => fmtInt(v as number) },
  { key: 'over300', label: '> $300', numeric: true, format: (v) => fmtInt(v as number) },
  { key: 'count', label: 'Intervals', numeric: true, format: (v) => fmtInt(v as number) },
];

export class TabPrices extends TabBase<Panels> {
  static override styles = [
    ...TabBase.styles,
    css`
      .bands {
        display: grid;
        grid-template-columns: 140px 1fr 90px;
        gap: 10px 12px;
        align-items: center;
        font-size: 13px;
      }
      .stackbar span {
        color: #fff;
        font-size: 10px;
        line-height: 18px;
        text-align: center;
        overflow: hidden;
        font-variant-numeric: tabular-nums;
      }
      .stackbar {
        display: flex;
        height: 18px;
        border-radius: 4px;
        overflow: hidden;
        background: var(--track);
      }
      .key {
        display: flex;
        gap: 14px;
        flex-wrap: wrap;
        font-size: 12px;
        color: var(--muted);
        margin-top: 12px;
      }
      .key span {
        display: inline-flex;
        align-items: center;
        gap: 5px;
      }
      .panel-head .btn {
        margin-left: auto;
      }
      .picker {
        display: flex;
        align-items: center;
        gap: 10px;
        margin-bottom: 2px;
      }
    `,
  ];

  override render() {
    const p = this.panels;
    const chosen = regionsOf(this.view);
    const stem = (n: string) => this.stem(n, chosen.join('_'));
    return html`<div class="layout">
      <div class="picker">
        <span class="note">Compare</span>
        <div class="chips" role="group" aria-label="Regions to compare">
          ${REGIONS.map((r) => html`<button class="chip" aria-pressed=${chosen.includes(r) ? 'true' : 'false'} @click=${() => this.toggleRegion(r, chosen)}><span class="swatch" style="background:${REGION_COLOURS[r]}"></span>${shortRegion(r)}</button>`)}
        </div>
      </div>
      <nem-chart
        heading="Spot price"
        about=${ABOUT['prices.history']}
        note=${`$/MWh${p ? ` · ${p.history.resolution}` : ''}`}
        .config=${{ unit: '$/MWh', height: 320, csvName: stem('prices') }}
        .data=${p ? regionChart(p.history) : null}
        ?loading=${this.loading}
      ></nem-chart>
      ${forecastPanel(p?.forecast, this.loading, this.stem('forecast', p?.forecast.region ?? chosen[0]))}
      <nem-table heading="Statistics" about=${ABOUT['prices.stats']} note="$/MWh over the window" .columns=${STATS_COLUMNS} .rows=${(p?.stats.rows ?? null) as Row[] | null} sortKey="region" .sortDir=${1} csvName=${stem('price-stats')} ?loading=${this.loading}></nem-table>
      <div class="two">
        ${this.bandsPanel(p?.bands ?? null, stem('price-bands'))}
        <nem-chart
          heading="Time of day"
          about=${ABOUT['prices.timeOfDay']}
          note="mean $/MWh by hour, NEM time"
          .config=${{ unit: '$/MWh', x: 'hour', height: 240, csvName: stem('price-time-of-day') }}
          .data=${p ? regionChart(p.timeOfDay) : null}
          ?loading=${this.loading}
        ></nem-chart>
      </div>
    </div>`;
  }

  private toggleRegion(r: Region, chosen: Region[]): void {
    const next = toggleIn(REGIONS, chosen, r);
    if (next.length === 0) return; // at least one region stays chosen
    this.navigate({ regions: next.length === REGIONS.length && this.view.region === 'NEM' ? null : next });
  }

  private bandsPanel(b: PricesBands | null, stem: string) {
    return html`<section class="panel" aria-label="Price bands">
      <div class="panel-head">
        <h3>Price bands</h3>
        <span class="note">share of time · contribution to mean</span>
        <button class="btn" ?disabled=${!b?.rows.length} @click=${() => b && this.bandsCsv(b, stem)}>CSV</button>
      </div>
      ${
        !b
          ? html`<div class="empty" role="status">Loading…</div>`
          : b.rows.length === 0
            ? html`<div class="empty" role="status">No prices in this window</div>`
            : html`<div class="bands">
              ${b.rows.map(
                (r) => html`<span>${regionCell(r.region)}</span>
                  <div class="stackbar" role="img" aria-label=${`${REGION_NAMES[r.region]}: ${PRICE_BANDS.map((n, i) => `${n} ${fmtPct(r.sharePct[i])}`).join(', ')}`}>
                    ${r.sharePct.map((s, i) => html`<span title=${`${PRICE_BANDS[i]}: ${fmtPct(s)} of time, ${fmtPrice(r.contribution[i])} of the mean`} style="width:${s}%;background:${BAND_COLOURS[i]}">${s >= 9 ? `${Math.round(s)}%` : ''}</span>`)}
                  </div>
                  <span class="num" title="mean price">${fmtPrice(r.mean)}</span>`,
              )}
            </div>
            <div class="key">${PRICE_BANDS.map((n, i) => html`<span><span class="swatch" style="background:${BAND_COLOURS[i]}"></span>${n}</span>`)}</div>`
      }
    </section>`;
  }

  private bandsCsv(b: PricesBands, stem: string): void {
    const header = [
      'region',
      ...b.bands.map((n) => `share ${n} %`),
      ...b.bands.map((n) => `contribution ${n} $/MWh`),
      'mean $/MWh',
    ];
    downloadText(
      `${stem}.csv`,
      toCsv(
        header,
        b.rows.map((r) => [r.region, ...r.sharePct, ...r.contribution, r.mean]),
      ),
    );
  }
}
customElements.define('tab-prices', TabPrices);

declare global {
  interface HTMLElementTagNameMap {
    'tab-prices': TabPrices;
  }
}
