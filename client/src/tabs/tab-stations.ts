// Stations tab: find a unit (DUID) or station by name, then its output against its region's price, capacity
// factor, energy, revenue, average price received and time-of-day profile.
import { html, css, nothing } from 'lit';
import { FUEL_COLOURS, REGION_COLOURS, REGION_NAMES } from '../../../shared/nem.ts';
import { ABOUT, type ResultOf } from '../../../shared/kinds.ts';
import type { StationOutput, StationRow } from '../../../shared/kinds/stations.ts';
import type { NemClient } from '../../sdk/client.ts';
import { fmtInt, fmtIntensity, fmtMoney, fmtMw, fmtPct, fmtPrice, fmtTonnes } from '../format.ts';
import { TabBase } from './tab-base.ts';
import { shortRegion } from './adapt.ts';
import '../chart/nem-chart.ts';

type Panels = ResultOf['tab.stations']['panels'];

export class TabStations extends TabBase<Panels> {
  static override properties = {
    ...TabBase.properties,
    client: { attribute: false },
    error: { type: String },
    _q: { state: true },
    _found: { state: true },
  };
  declare client: NemClient | null;
  /** The server refused the tab's subscription (e.g. an unknown DUID in the link). */
  declare error: string | null;
  declare _q: string;
  declare _found: StationRow[] | null;
  private seq = 0;
  private debounce: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.client = null;
    this.error = null;
    this._q = '';
    this._found = null;
  }

  static override styles = [
    ...TabBase.styles,
    css`
      .finder {
        display: grid;
        gap: 8px;
        align-content: start;
      }
      input[type='search'] {
        width: 100%;
        padding: 8px 10px;
        border-radius: 8px;
        border: 1px solid var(--border);
        background: var(--bg);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        max-height: 520px;
        overflow: auto;
      }
      li button {
        width: 100%;
        display: grid;
        grid-template-columns: 1fr auto;
        gap: 2px 8px;
        text-align: left;
        border: 0;
        border-bottom: 1px solid var(--border-soft);
        background: none;
        padding: 7px 6px;
        cursor: pointer;
        font-size: 13px;
      }
      li button:hover,
      li button[aria-current='true'] {
        background: var(--hover);
      }
      .duid {
        font-weight: 600;
        font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
        font-size: 12px;
      }
      .sub {
        color: var(--muted);
        font-size: 12px;
      }
      .title {
        margin-bottom: 10px;
      }
      .title strong {
        font-size: 18px;
      }
      @media (min-width: 1100px) {
        .side {
          grid-template-columns: minmax(280px, 360px) minmax(0, 1fr);
        }
      }
    `,
  ];

  override render() {
    const p = this.panels;
    const out = p?.output ?? null;
    return html`<div class="layout side">
      <section class="panel finder" aria-label="Find a station">
        <div class="panel-head"><h3>Find a station or unit</h3></div>
        <input type="search" placeholder="DUID or station name, e.g. BAYSW1 or Bayswater" aria-label="Search stations" .value=${this._q} @input=${this.onInput} @keydown=${this.onSearchKey} />
        ${this.results(p)}
      </section>
      <div class="stack">${out ? this.detail(out) : this.placeholder(p)}</div>
    </div>`;
  }

  private results(p: Panels | null) {
    // When the tab itself was refused, the list comes from a plain search so another unit can still be picked.
    const rows = this._q || (this.error && !p) ? this._found : (p?.search.rows ?? null);
    if (rows === null) return html`<div class="empty" role="status">Loading…</div>`;
    if (rows.length === 0) return html`<div class="empty" role="status">No station or unit matches “${this._q}”</div>`;
    return html`<ul aria-label="Stations">
      ${rows.map(
        (r) => html`<li>
          <button aria-current=${r.duid === this.view.duid ? 'true' : 'false'} @click=${() => this.navigate({ duid: r.duid, station: null })}>
            <span class="duid">${r.duid}</span><span class="num sub">${fmtMw(r.capacityMw)}</span>
            <span class="sub">${r.station}</span><span class="sub"><span class="swatch" style="background:${FUEL_COLOURS[r.fuel]}"></span> ${r.fuel} · ${shortRegion(r.region)}</span>
          </button>
        </li>`,
      )}
    </ul>`;
  }

  private placeholder(p: Panels | null) {
    const picked = this.view.duid ?? this.view.station;
    return html`<section class="panel"><div class="empty" role="status">
      ${this.error ? `Cannot show ${picked ?? 'this view'}: ${this.error}` : !p ? 'Loading…' : picked ? `No output found for ${picked} in this window.` : 'Pick a unit from the list to see its output, revenue and the price it received.'}
    </div></section>`;
  }

  private detail(o: StationOutput) {
    const byStation = !this.view.duid;
    const name = byStation ? o.station : o.duids[0];
    return html`<section class="panel">
        <div class="title">
          <strong>${name}</strong>
          <span class="note">${byStation ? `${o.duids.length} unit${o.duids.length === 1 ? '' : 's'}: ${o.duids.join(', ')}` : o.station}</span>
          <span class="note"><span class="swatch" style="background:${FUEL_COLOURS[o.fuel]}"></span> ${o.fuel} · ${REGION_NAMES[o.region]}</span>
          <span style="flex:1"></span>
          ${byStation ? nothing : html`<button class="btn" @click=${() => this.navigate({ duid: null, station: o.station })}>Whole station</button>`}
        </div>
        <div class="kpis">
          ${this.kpi('Capacity', fmtMw(o.capacityMw))} ${this.kpi('Capacity factor', fmtPct(o.capacityFactorPct))}
          ${this.kpi('Energy', `${fmtInt(o.energyMwh)} MWh`)} ${this.kpi('Revenue', fmtMoney(o.revenue))}
          ${this.kpi('Avg price received', o.avgPriceReceived === null ? '–' : `${fmtPrice(o.avgPriceReceived)}/MWh`)}
          ${this.kpi('Emissions', `${fmtTonnes(o.co2T)} CO2-e`)} ${this.kpi('Emissions intensity', fmtIntensity(o.intensity))}
        </div>
      </section>
      <nem-chart
        heading="Output and price"
        about=${ABOUT['station.output']}
        note=${`MW · ${o.region} $/MWh · ${o.resolution}`}
        .config=${{ unit: 'MW', unit2: '$/MWh', height: 320, csvName: this.stem(`output-${name}`, o.region) }}
        .data=${{
          x: o.time,
          series: [
            { label: 'Output', color: FUEL_COLOURS[o.fuel], values: o.series.mw, fill: true },
            {
              label: `${shortRegion(o.region)} price`,
              color: REGION_COLOURS[o.region],
              values: o.series.rrp,
              axis: 2,
              width: 1,
            },
          ],
        }}
        ?loading=${this.loading}
      ></nem-chart>
      <nem-chart
        heading="Time of day"
        about=${ABOUT['station.output']}
        note="mean MW by hour, NEM time"
        .config=${{ unit: 'MW', x: 'hour', height: 220, csvName: this.stem(`output-time-of-day-${name}`, o.region) }}
        .data=${{ x: o.timeOfDay.hours, series: [{ label: 'Output', color: FUEL_COLOURS[o.fuel], values: o.timeOfDay.series.mw, fill: true }] }}
        ?loading=${this.loading}
      ></nem-chart>`;
  }

  private onInput(e: Event): void {
    this._q = (e.target as HTMLInputElement).value;
    clearTimeout(this.debounce);
    if (!this._q.trim()) {
      this._found = null;
      return;
    }
    this.debounce = setTimeout(() => this.search(this._q.trim()), 180);
  }

  private onSearchKey(e: KeyboardEvent): void {
    // Enter picks the first match; ArrowDown moves into the list.
    const first = this.renderRoot.querySelector<HTMLButtonElement>('li button');
    if (e.key === 'Enter' && first) first.click();
    if (e.key === 'ArrowDown' && first) {
      e.preventDefault();
      first.focus();
    }
  }

  private async search(q: string): Promise<void> {
    const seq = ++this.seq;
    if (!this.client) return;
    this._found = null;
    try {
      const { data } = await this.client.query('stations.search', { q, region: this.view.region, limit: 50 });
      if (seq === this.seq) this._found = data.rows;
    } catch (err) {
      if (seq === this.seq) this._found = [];
      console.warn('station search failed', err);
    }
  }

  protected override updated(changed: Map<string, unknown>): void {
    if (changed.has('error') && this.error && !this._q) void this.search('');
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.debounce);
  }
}
customElements.define('tab-stations', TabStations);

declare global {
  interface HTMLElementTagNameMap {
    'tab-stations': TabStations;
  }
}
