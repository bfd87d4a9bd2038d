// What every tab element shares: its panels (the tab kind's answer), the view, the loading flag, and a way to
// ask the app for a new view (an event the shell turns into URL + subscription).
import { LitElement, css, html, nothing } from 'lit';
import { shared } from '../styles.ts';
import { fileStem } from '../csv.ts';
import type { ViewState } from '../url-state.ts';

export class TabBase<P> extends LitElement {
  static override properties = {
    panels: { attribute: false },
    view: { attribute: false },
    loading: { type: Boolean },
  };
  declare panels: P | null;
  declare view: ViewState;
  declare loading: boolean;

  constructor() {
    super();
    this.panels = null;
    this.loading = false;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: block;
      }
      .layout {
        display: grid;
        gap: 14px;
        grid-template-columns: minmax(0, 1fr);
      }
      .two {
        display: grid;
        gap: 14px;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr));
      }
      .stack {
        display: grid;
        gap: 14px;
        align-content: start;
      }
      .kpis {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(140px, 1fr));
        gap: 10px;
      }
      .kpi {
        border: 1px solid var(--border);
        border-radius: 8px;
        padding: 8px 10px;
      }
      .kpi b {
        display: block;
        font-size: 20px;
        font-weight: 650;
        font-variant-numeric: tabular-nums;
      }
      .title {
        display: flex;
        gap: 10px;
        align-items: baseline;
        flex-wrap: wrap;
      }
      @media (min-width: 1100px) {
        .side {
          grid-template-columns: minmax(0, 2fr) minmax(360px, 1fr);
        }
      }
      @media (min-width: 1800px) {
        .side {
          grid-template-columns: minmax(0, 3fr) minmax(380px, 1fr);
        }
      }
    `,
  ];

  /** Asks the shell to change the view (it updates the URL and the subscription). */
  protected navigate(patch: Partial<ViewState>): void {
    this.dispatchEvent(new CustomEvent('nem-view', { detail: patch, bubbles: true, composed: true }));
  }

  /** A figure tile (in a `.kpis` grid): its label, the value, and an optional note under it. */
  protected kpi(label: string, value: string, note = '') {
    return html`<div class="kpi"><span class="note">${label}</span><b>${value}</b>${note ? html`<span class="note">${note}</span>` : nothing}</div>`;
  }

  /** CSV file stem naming the panel and the view it came from. */
  protected stem(name: string, region: string = this.view.region): string {
    const when = this.view.range === 'custom' ? `${this.view.from}-${this.view.to}` : this.view.range;
    return fileStem(name, region, when);
  }
}
