// Generation tab: stacked MW by fuel with the price underneath (shared cursor), the per-fuel table, capacity
// utilisation, interconnector flows with limits, and the time-of-day profile.
import { html } from 'lit';
import { FUEL_COLOURS, REGION_NAMES, type Fuel } from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import { fmtGwh, fmtMw, fmtPct, fmtPrice } from '../format.ts';
import { TabBase } from './tab-base.ts';
import { flowsChart, fuelChart, withDemand, fuelSeries, priceColour, shortRegion } from './adapt.ts';
import type { Row, TableColumn } from '../elements/nem-table.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-table.ts';

type Panels = ResultOf['tab.generation']['panels'];

const FUEL_COLUMNS: TableColumn[] = [
  {
    key: 'fuel',
    label: 'Fuel',
    format: (v) => html`<span class="swatch" style="background:${FUEL_COLOURS[v as Fuel]}"></span> ${v}`,
  },
  { key: 'avgMw', label: 'Avg MW', numeric: true, format: (v) => fmtMw(v as number).replace(' MW', '') },
  { key: 'gwh', label: 'GWh', numeric: true, format: (v) => fmtGwh(v as number) },
  { key: 'sharePct', label: 'Share', numeric: true, format: (v) => fmtPct(v as number) },
  { key: 'vwPrice', label: '$/MWh rec’d', numeric: true, format: (v) => fmtPrice(v as number | null) },
];

export class TabGeneration extends TabBase<Panels> {
  override render() {
    const p = this.panels;
    const region = this.view.region;
    const g = p?.generation;
    return html`<div class="layout">
      <div class="layout side">
        <div class="stack">
          <nem-chart
            heading="Generation by fuel"
            about=${ABOUT['generation.byFuel']}
            note=${`${REGION_NAMES[region]} · MW${g ? ` · ${g.resolution}` : ''}`}
            .config=${{ type: 'stacked', unit: 'MW', sync: 'gen', height: 340, csvName: this.stem('generation') }}
            .data=${g && p ? withDemand(fuelChart(g), p.demand) : null}
            ?loading=${this.loading}
          ></nem-chart>
          <nem-chart
            heading="Price"
            about=${ABOUT['generation.byFuel']}
            note=${region === 'NEM' ? 'demand-weighted · $/MWh' : '$/MWh'}
            .config=${{ unit: '$/MWh', sync: 'gen', height: 170, csvName: this.stem('generation-price') }}
            .data=${g ? { x: g.time, series: [{ label: shortRegion(region), color: priceColour(region), values: g.price }] } : null}
            ?loading=${this.loading}
          ></nem-chart>
        </div>
        <nem-table
          heading="By fuel"
          about=${ABOUT['generation.byFuel']}
          note="in this window"
          .columns=${FUEL_COLUMNS}
          .rows=${(g?.table ?? null) as Row[] | null}
          sortKey="gwh"
          csvName=${this.stem('fuel-table')}
          ?loading=${this.loading}
        ></nem-table>
      </div>
      <div class="two">
        <nem-chart
          heading="Capacity utilisation"
          about=${ABOUT['capacity.utilisation']}
          note="output ÷ registered capacity"
          .config=${{ unit: '%', height: 240, sync: 'gen', csvName: this.stem('utilisation') }}
          .data=${p ? { x: p.utilisation.time, series: fuelSeries(p.utilisation.series).filter((s) => s.label !== 'Transmission') } : null}
          ?loading=${this.loading}
        ></nem-chart>
        <nem-chart
          heading="Interconnector flows"
          about=${ABOUT['interconnectors.flows']}
          note="MW · positive = from first-named region"
          .config=${{ unit: 'MW', height: 240, sync: 'gen', csvName: this.stem('flows') }}
          .data=${p ? flowsChart(p.flows) : null}
          ?loading=${this.loading}
        ></nem-chart>
      </div>
      <nem-chart
        heading="Time of day"
        about=${ABOUT['generation.timeOfDay']}
        note="mean MW by hour, NEM time"
        .config=${{ type: 'stacked', x: 'hour', unit: 'MW', height: 240, csvName: this.stem('generation-time-of-day') }}
        .data=${p ? fuelChart(p.timeOfDay) : null}
        ?loading=${this.loading}
      ></nem-chart>
    </div>`;
  }
}
customElements.define('tab-generation', TabGeneration);

declare global {
  interface HTMLElementTagNameMap {
    'tab-generation': TabGeneration;
  }
}
