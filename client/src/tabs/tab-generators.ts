// Generators tab: every station grouped region → fuel → station with energy, revenue, price received,
// utilisation and capacity; region and fuel filters live in the URL.
import { html } from 'lit';
import {
  FUELS,
  FUEL_COLOURS,
  REGIONS,
  REGION_COLOURS,
  REGION_NAMES,
  type Fuel,
  type Region,
} from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import { fmtGwh, fmtInt, fmtMoney, fmtPct, fmtPrice } from '../format.ts';
import { regionsOf, toggleIn } from '../url-state.ts';
import { TabBase } from './tab-base.ts';
import type { Grouping, Row, TableColumn } from '../elements/nem-table.ts';
import '../elements/nem-table.ts';

type Panels = ResultOf['tab.generators']['panels'];

const COLUMNS: TableColumn[] = [
  { key: 'station', label: 'Station' },
  {
    key: 'duids',
    label: 'Units',
    format: (v) => html`<span class="note">${(v as string[] | undefined)?.join(', ') ?? ''}</span>`,
    sortValue: (r) => (r.duids as string[] | undefined)?.length ?? 0,
  },
  { key: 'gwh', label: 'GWh', numeric: true, format: (v) => fmtGwh(v as number) },
  { key: 'revenue', label: 'Revenue', numeric: true, format: (v) => fmtMoney(v as number) },
  { key: 'avgPriceReceived', label: 'Price rec’d $/MWh', numeric: true, format: (v) => fmtPrice(v as number | null) },
  { key: 'utilisationPct', label: 'Utilisation', numeric: true, format: (v) => fmtPct(v as number | null) },
  { key: 'capacityMw', label: 'Capacity MW', numeric: true, format: (v) => fmtInt(v as number) },
];

const sum = (rows: Row[], k: string) => rows.reduce((a, r) => a + ((r[k] as number | null) ?? 0), 0);

/** Subtotals: energy, revenue and capacity add up; price received and utilisation are weighted, not averaged. */
const GROUPING: Grouping = {
  by: ['region', 'fuel'],
  order: { region: REGIONS, fuel: FUELS },
  label: (key, value) => (key === 'region' ? (REGION_NAMES[value as Region] ?? value) : value),
  total: (rows) => {
    const gwh = sum(rows, 'gwh');
    const revenue = sum(rows, 'revenue');
    const cap = sum(rows, 'capacityMw');
    const withUtil = rows.filter((r) => r.utilisationPct !== null);
    const capU = sum(withUtil, 'capacityMw');
    return {
      gwh,
      revenue,
      capacityMw: cap,
      avgPriceReceived: gwh > 0 ? revenue / (gwh * 1000) : null,
      utilisationPct:
        capU > 0
          ? withUtil.reduce((a, r) => a + (r.utilisationPct as number) * (r.capacityMw as number), 0) / capU
          : null,
    };
  },
};

export class TabGenerators extends TabBase<Panels> {
  override render() {
    const regions = regionsOf(this.view);
    const fuels = this.view.fuels ?? [...FUELS];
    const rows = (this.panels?.table.rows ?? null) as Row[] | null;
    return html`<div class="layout">
      <section class="panel" aria-label="Filters">
        <div class="chips" role="group" aria-label="Regions">
          ${REGIONS.map((r) => this.chip(REGION_NAMES[r], REGION_COLOURS[r], regions.includes(r), () => this.toggleRegion(r, regions)))}
        </div>
        <div class="chips" role="group" aria-label="Fuels" style="margin-top:8px">
          ${FUELS.filter((f) => f !== 'Transmission' && f !== 'Rooftop Solar').map((f) => this.chip(f, FUEL_COLOURS[f], fuels.includes(f), () => this.toggleFuel(f, fuels)))}
        </div>
      </section>
      <nem-table
        style="--table-max-height: max(360px, calc(100vh - 290px))"
        heading="Generators"
        about=${ABOUT['stations.table']}
        note="region → fuel → station · click a column to sort, a group to fold"
        .columns=${COLUMNS}
        .rows=${rows}
        .grouping=${GROUPING}
        sortKey="gwh"
        csvName=${this.stem('generators', regions.join('_'))}
        ?loading=${this.loading}
      ></nem-table>
    </div>`;
  }

  private chip(label: string, colour: string, on: boolean, click: () => void) {
    return html`<button class="chip" aria-pressed=${on ? 'true' : 'false'} @click=${click}><span class="swatch" style="background:${colour}"></span>${label}</button>`;
  }

  private toggleRegion(r: Region, chosen: Region[]): void {
    const next = toggleIn(REGIONS, chosen, r);
    if (next.length) this.navigate({ regions: next });
  }

  private toggleFuel(f: Fuel, chosen: Fuel[]): void {
    const next = toggleIn(FUELS, chosen, f);
    if (next.length) this.navigate({ fuels: next.length === FUELS.length ? null : next });
  }
}
customElements.define('tab-generators', TabGenerators);

declare global {
  interface HTMLElementTagNameMap {
    'tab-generators': TabGenerators;
  }
}
