// <nem-gauge>: a half-ring showing a percentage (the renewable share, demand against its record), drawn in SVG so
// it scales crisply. `text` replaces the percentage in the centre when the ring's figure is not the headline.
import { LitElement, html, css, svg } from 'lit';
import { shared } from '../styles.ts';
import { fmtPct } from '../format.ts';

export class NemGauge extends LitElement {
  static override properties = {
    value: { type: Number },
    label: { type: String },
    color: { type: String },
    text: { type: String },
  };
  declare value: number | null;
  declare label: string;
  declare color: string;
  declare text: string;

  constructor() {
    super();
    this.value = null;
    this.label = '';
    this.color = '#3cb371';
    this.text = '';
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
      }
      svg {
        width: 100%;
        max-width: 220px;
        display: block;
        margin: 0 auto;
      }
      .value {
        font-size: 30px;
        font-weight: 650;
        fill: var(--fg);
        font-variant-numeric: tabular-nums;
      }
      .value.long {
        font-size: 23px;
      }
      .label {
        font-size: 11px;
        fill: var(--muted);
      }
    `,
  ];

  override render() {
    const v = this.value === null ? 0 : Math.max(0, Math.min(100, this.value));
    // Arc from 180° to 0° over a unit half circle of radius 80 centred at (100,100).
    const a = Math.PI * (1 - v / 100);
    const x = 100 + 80 * Math.cos(a);
    const y = 100 - 80 * Math.sin(a);
    return html`<svg viewBox="0 0 200 118" role="meter" aria-valuemin="0" aria-valuemax="100" aria-valuenow=${v} aria-label=${this.label}>
      <path d="M20 100 A80 80 0 0 1 180 100" fill="none" stroke="var(--track)" stroke-width="16" stroke-linecap="round" />
      ${this.value === null ? '' : svg`<path d="M20 100 A80 80 0 0 1 ${x.toFixed(2)} ${y.toFixed(2)}" fill="none" stroke=${this.color} stroke-width="16" stroke-linecap="round" />`}
      <text x="100" y="92" text-anchor="middle" class="value ${this.text.length > 6 ? 'long' : ''}">${this.value === null ? '–' : this.text || fmtPct(this.value)}</text>
      <text x="100" y="114" text-anchor="middle" class="label">${this.label}</text>
    </svg>`;
  }
}
customElements.define('nem-gauge', NemGauge);

declare global {
  interface HTMLElementTagNameMap {
    'nem-gauge': NemGauge;
  }
}
