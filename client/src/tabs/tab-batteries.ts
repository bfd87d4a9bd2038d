// Batteries tab: the fleet's state now, its charging and discharging with state of charge over the window, every
// battery's energy, prices, revenue, cycles and state of charge (a DUID opens its own chart, kept in the URL), and
// the daily arbitrage.
import { html, css, nothing } from 'lit';
import { FUEL_COLOURS, REGION_NAMES } from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import type { BatteriesArbitrage, BatteriesFleet, BatterySoc } from '../../../shared/kinds/batteries.ts';
import type { NemClient } from '../../sdk/client.ts';
import { fmtInt, fmtMoney, fmtMw, fmtPct, fmtPrice } from '../format.ts';
import { fmtNemDateTime } from '../nem-time.ts';
import { timeParams } from '../url-state.ts';
import { TabBase } from './tab-base.ts';
import { REGION_COLUMN } from './adapt.ts';
import type { ChartData } from '../chart/types.ts';
import type { Row, TableColumn } from '../elements/nem-table.ts';
import '../chart/nem-chart.ts';
import '../elements/nem-table.ts';

type Panels = ResultOf['tab.batteries']['panels'];

const DISCHARGE = FUEL_COLOURS.Battery;
const CHARGE = '#2e86c1';
const SOC = '#e67e22';
const NET = '#7f8c9b';

const fleetChart = (f: BatteriesFleet): ChartData => ({
  x: f.time,
  series: [
    { label: 'Discharging', color: DISCHARGE, values: f.series.discharging, fill: true },
    { label: 'Charging', color: CHARGE, values: f.series.charging, fill: true },
    { label: 'State of charge', color: SOC, values: f.socMwh, axis: 2, width: 1.5 },
    { label: 'Storage', color: SOC, values: f.storageMwh, axis: 2, width: 1, dash: [4, 4], hidden: true },
  ],
});

const arbitrageChart = (a: BatteriesArbitrage): ChartData => ({
  x: a.time,
  series: [
    { label: 'Discharge revenue', color: DISCHARGE, values: a.series.dischargeRevenue },
    { label: 'Charge cost', color: CHARGE, values: a.series.chargeCost },
    { label: 'Net', color: NET, values: a.series.net, width: 2.5 },
  ],
});

const socChart = (s: BatterySoc): ChartData => ({
  x: s.time,
  series: [
    { label: 'Output', color: DISCHARGE, values: s.series.mw, fill: true },
    { label: 'State of charge', color: SOC, values: s.socMwh, axis: 2, width: 1.5 },
  ],
});

// The unit cells render inside <nem-table>'s shadow root, where this tab's styles do not reach.
const LINK = 'border:0;background:none;padding:0;cursor:pointer;color:var(--accent);font:inherit;font-weight:600';

const SOURCE = { aemo: 'AEMO', estimated: 'estimated' } as const;

export class TabBatteries extends TabBase<Panels> {
  static override properties = {
    ...TabBase.properties,
    client: { attribute: false },
    _soc: { state: true },
    _socError: { state: true },
  };
  declare client: NemClient | null;
  declare _soc: BatterySoc | null;
  declare _socError: string | null;
  private seq = 0;

  constructor() {
    super();
    this.client = null;
    this._soc = null;
    this._socError = null;
  }

  static override styles = [
    ...TabBase.styles,
    css`
    `,
  ];

  private readonly columns: TableColumn[] = [
    {
      key: 'duid',
      label: 'Unit',
      format: (v, r) =>
        html`<button class="link" style=${LINK} aria-current=${v === this.view.duid ? 'true' : 'false'} title="Show ${v}'s state of charge" @click=${() => this.pick(v as string)}>${v}</button><br /><span class="note">${r.station}</span>`,
    },
    REGION_COLUMN,
    { key: 'capacityMw', label: 'MW', numeric: true, format: (v) => fmtInt(v as number) },
    { key: 'storageMwh', label: 'MWh', numeric: true, format: (v) => fmtInt(v as number | null) },
    { key: 'inMwh', label: 'In MWh', numeric: true, format: (v) => fmtInt(v as number) },
    { key: 'outMwh', label: 'Out MWh', numeric: true, format: (v) => fmtInt(v as number) },
    { key: 'chargePrice', label: 'Charge $/MWh', numeric: true, format: (v) => fmtPrice(v as number | null) },
    { key: 'dischargePrice', label: 'Discharge $/MWh', numeric: true, format: (v) => fmtPrice(v as number | null) },
    { key: 'spread', label: 'Spread', numeric: true, format: (v) => fmtPrice(v as number | null) },
    { key: 'netRevenue', label: 'Net revenue', numeric: true, format: (v) => fmtMoney(v as number) },
    { key: 'cycles', label: 'Cycles', numeric: true, format: (v) => (v === null ? '–' : (v as number).toFixed(2)) },
    {
      key: 'socPct',
      label: 'State of charge',
      numeric: true,
      format: (v, r) =>
        r.socSource === null
          ? '–'
          : html`${v === null ? `${fmtInt(r.socMwh as number)} MWh` : fmtPct(v as number)}
              <span class="note" title=${r.socClamped ? 'estimate capped at the storage MWh' : ''}
                >${SOURCE[r.socSource as keyof typeof SOURCE]}${r.socClamped ? ' (capped)' : ''}</span
              >`,
    },
  ];

  override render() {
    const p = this.panels;
    const region = this.view.region;
    const f = p?.fleet;
    const a = p?.arbitrage;
    return html`<div class="layout">
      ${this.now(f ?? null)}
      <nem-chart
        heading="Fleet charge and discharge"
        about=${ABOUT['batteries.fleet']}
        note=${`${REGION_NAMES[region]} · MW (charging negative) · state of charge MWh${f ? ` · ${f.resolution}` : ''}`}
        .config=${{ unit: 'MW', unit2: 'MWh', height: 320, csvName: this.stem('battery-fleet') }}
        .data=${f ? fleetChart(f) : null}
        ?loading=${this.loading}
      ></nem-chart>
      ${this.drill()}
      <nem-table
        style="--table-max-height: max(360px, calc(100vh - 290px))"
        heading="Batteries"
        about=${ABOUT['batteries.table']}
        note="per unit (DUID) in this window · click a unit for its state of charge"
        .columns=${this.columns}
        .rows=${(p?.table.rows ?? null) as Row[] | null}
        sortKey="netRevenue"
        csvName=${this.stem('batteries')}
        ?loading=${this.loading}
      ></nem-table>
      <nem-chart
        heading="Daily arbitrage"
        about=${ABOUT['batteries.arbitrage']}
        note=${`${REGION_NAMES[region]} · $ per NEM day${a ? ` · ${a.fleet.units} batteries, ${fmtMw(a.fleet.capacityMw)}, ${fmtInt(a.fleet.storageMwh)} MWh` : ''}`}
        .config=${{ unit: '$', height: 240, csvName: this.stem('battery-arbitrage') }}
        .data=${a ? arbitrageChart(a) : null}
        ?loading=${this.loading}
      ></nem-chart>
    </div>`;
  }

  private now(f: BatteriesFleet | null) {
    const n = f?.now ?? null;
    if (!f) return nothing;
    if (!n)
      return html`<section class="panel"><div class="empty" role="status">No battery data in the store for ${REGION_NAMES[this.view.region]}</div></section>`;
    return html`<section class="panel" aria-label="Fleet battery state">
      <div class="panel-head"><h3>Fleet now</h3><span class="note">${fmtNemDateTime(n.ts)}</span></div>
      <div class="kpis">
        ${this.kpi('Discharging', fmtMw(n.dischargingMw))} ${this.kpi('Charging', fmtMw(Math.abs(n.chargingMw)))}
        ${this.kpi('State of charge', n.socPct === null ? '–' : fmtPct(n.socPct), n.socTs === null ? 'no AEMO state of charge' : `${fmtInt(n.socMwh)} of ${fmtInt(n.storageMwh)} MWh · AEMO, ${fmtNemDateTime(n.socTs)}`)}
      </div>
    </section>`;
  }

  private drill() {
    const duid = this.view.duid;
    if (!duid) return nothing;
    const s = this._soc;
    const head = html`<div class="title">
      <strong>${duid}</strong>
      ${s ? html`<span class="note">${s.station} · ${REGION_NAMES[s.region]} · ${fmtMw(s.capacityMw)}${s.storageMwh === null ? '' : `, ${fmtInt(s.storageMwh)} MWh`}</span>` : nothing}
      <span style="flex:1"></span>
      <button class="btn" @click=${() => this.navigate({ duid: null })}>Close</button>
    </div>`;
    if (this._socError)
      return html`<section class="panel">${head}<div class="empty" role="status">${this._socError}</div></section>`;
    return html`<section class="panel">${head}</section>
      <nem-chart
        heading="Output and state of charge"
        about=${ABOUT['battery.soc']}
        note=${s ? `MW · MWh (${s.socSource === null ? 'no state of charge' : SOURCE[s.socSource]}) · ${s.resolution}` : ''}
        .config=${{ unit: 'MW', unit2: 'MWh', height: 260, csvName: this.stem(`battery-${duid}`, s?.region ?? this.view.region) }}
        .data=${s ? socChart(s) : null}
        ?loading=${this.loading || !s}
      ></nem-chart>`;
  }

  private pick(duid: string): void {
    this.navigate({ duid: duid === this.view.duid ? null : duid });
  }

  /** The drill-down follows the view and every push of the tab (a new interval): one query, the latest wins. */
  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('panels') || changed.has('view') || changed.has('client')) void this.loadSoc();
  }

  private async loadSoc(): Promise<void> {
    const seq = ++this.seq;
    const duid = this.view.duid;
    if (!duid || !this.client) {
      this._soc = null;
      this._socError = null;
      return;
    }
    if (this._soc && this._soc.duids[0] !== duid.toUpperCase()) this._soc = null;
    try {
      const { data } = await this.client.query('battery.soc', {
        duid,
        ...timeParams(this.view),
        resolution: this.view.resolution,
      });
      if (seq === this.seq) {
        this._soc = data;
        this._socError = null;
      }
    } catch (err) {
      if (seq === this.seq) this._socError = `Cannot show ${duid}: ${(err as Error).message}`;
    }
  }
}
customElements.define('tab-batteries', TabBatteries);

declare global {
  interface HTMLElementTagNameMap {
    'tab-batteries': TabBatteries;
  }
}
