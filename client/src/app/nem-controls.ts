// The control bar: region, range preset or a custom from/to (entered in NEM time), and resolution where the tab
// draws series. Every change is an `nem-view` event; the shell owns the URL.
import { LitElement, html, css, nothing } from 'lit';
import { REGION_CHOICES, REGION_NAMES } from '../../../shared/nem.ts';
import { RANGES } from '../../../shared/kinds.ts';
import { shared } from '../styles.ts';
import { fromNemInput, toNemInput } from '../nem-time.ts';
import { controlsFor, type ViewState } from '../url-state.ts';
import { shortRegion } from '../tabs/adapt.ts';

const RANGE_LABELS: Record<string, string> = {
  '24h': '24h',
  '7d': '7d',
  '30d': '30d',
  '90d': '90d',
  '1y': '1y',
  all: 'All',
  custom: 'Custom',
};
const RES_LABELS: Record<string, string> = { auto: 'Auto', '5m': '5 min', '30m': '30 min', '1d': 'Daily' };

export class NemControls extends LitElement {
  static override properties = { view: { attribute: false }, watermark: { type: Number } };
  declare view: ViewState;
  /** Epoch seconds of the data watermark: custom ranges start from the week before it. */
  declare watermark: number;

  static override styles = [
    shared,
    css`
      :host {
        display: flex;
        flex-wrap: wrap;
        gap: 10px 18px;
        align-items: center;
      }
      .seg {
        display: inline-flex;
        border: 1px solid var(--border);
        border-radius: 8px;
        overflow: hidden;
        background: var(--surface);
      }
      .seg button {
        border: 0;
        background: none;
        padding: 5px 10px;
        font-size: 13px;
        cursor: pointer;
        color: var(--muted);
      }
      .seg button + button {
        border-left: 1px solid var(--border);
      }
      .seg button[aria-pressed='true'] {
        background: var(--accent);
        color: var(--on-accent);
      }
      .seg button:hover:not([aria-pressed='true']) {
        color: var(--fg);
        background: var(--hover);
      }
      label {
        display: inline-flex;
        gap: 6px;
        align-items: center;
        font-size: 13px;
        color: var(--muted);
      }
      input,
      select {
        border: 1px solid var(--border);
        border-radius: 6px;
        background: var(--surface);
        padding: 4px 6px;
        font-size: 13px;
      }
      .group {
        display: inline-flex;
        gap: 8px;
        align-items: center;
      }
    `,
  ];

  override render() {
    const v = this.view;
    const show = controlsFor(v.tab);
    return html`
      <div class="seg" role="group" aria-label="Region">
        ${REGION_CHOICES.map((r) => html`<button aria-pressed=${v.region === r ? 'true' : 'false'} title=${REGION_NAMES[r]} data-region=${r} @click=${() => this.emit({ region: r, regions: null })}>${shortRegion(r)}</button>`)}
      </div>
      ${
        show.range
          ? html`<div class="seg" role="group" aria-label="Time range">
            ${[...RANGES, 'custom' as const].map((r) => html`<button aria-pressed=${v.range === r ? 'true' : 'false'} data-range=${r} @click=${() => this.pickRange(r)}>${RANGE_LABELS[r]}</button>`)}
          </div>`
          : html`<span class="note">Today: the last 24 hours to the latest interval</span>`
      }
      ${show.range && v.range === 'custom' ? this.customInputs() : nothing}
      ${
        show.resolution
          ? html`<label
            >Resolution
            <select aria-label="Resolution" @change=${(e: Event) => this.emit({ resolution: (e.target as HTMLSelectElement).value as ViewState['resolution'] })}>
              ${Object.entries(RES_LABELS).map(([k, label]) => html`<option value=${k} ?selected=${v.resolution === k}>${label}</option>`)}
            </select></label
          >`
          : nothing
      }
    `;
  }

  private customInputs() {
    const v = this.view;
    return html`<div class="group">
      <label>From <input type="datetime-local" aria-label="From (NEM time)" .value=${v.from !== null ? toNemInput(v.from) : ''} @change=${this.onCustom} data-edge="from" /></label>
      <label>To <input type="datetime-local" aria-label="To (NEM time)" .value=${v.to !== null ? toNemInput(v.to) : ''} @change=${this.onCustom} data-edge="to" /></label>
      <span class="note">NEM time (UTC+10)</span>
    </div>`;
  }

  private pickRange(r: ViewState['range']): void {
    if (r !== 'custom') return this.emit({ range: r, from: null, to: null });
    const to = this.view.to ?? (Number.isFinite(this.watermark) ? this.watermark : Math.floor(Date.now() / 1000));
    const from = this.view.from ?? to - 7 * 86400;
    this.emit({ range: 'custom', from, to });
  }

  private onCustom(e: Event): void {
    const input = e.target as HTMLInputElement;
    const t = fromNemInput(input.value);
    if (!Number.isFinite(t)) return;
    const patch = input.dataset.edge === 'from' ? { from: t } : { to: t };
    const from = patch.from ?? this.view.from;
    const to = patch.to ?? this.view.to;
    // An inverted window is ignored rather than sent: the inputs keep what the user typed, the view keeps its last
    // valid window.
    if (from !== null && to !== null && from < to) this.emit({ range: 'custom', ...patch });
  }

  private emit(patch: Partial<ViewState>): void {
    this.dispatchEvent(new CustomEvent('nem-view', { detail: patch, bubbles: true, composed: true }));
  }
}
customElements.define('nem-controls', NemControls);

declare global {
  interface HTMLElementTagNameMap {
    'nem-controls': NemControls;
  }
}
