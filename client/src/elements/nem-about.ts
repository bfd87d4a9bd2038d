// "How this is computed": the kind's own `about` sentence (shared/kinds/<family>.ts), behind an ⓘ beside a panel's
// heading. A <details> so it opens by keyboard and click without script, and reads as a disclosure to screen readers.
import { LitElement, css, html } from 'lit';
import { shared } from '../styles.ts';

export class NemAbout extends LitElement {
  static override properties = { text: { type: String } };
  declare text: string;

  constructor() {
    super();
    this.text = '';
  }

  static override styles = [
    shared,
    css`
      :host {
        position: relative;
        display: inline-block;
      }
      summary {
        list-style: none;
        cursor: pointer;
        color: var(--muted);
        font-size: 12px;
        border: 1px solid var(--border);
        border-radius: 999px;
        width: 18px;
        height: 18px;
        line-height: 16px;
        text-align: center;
      }
      summary::-webkit-details-marker {
        display: none;
      }
      summary:hover,
      details[open] summary {
        color: var(--fg);
        border-color: var(--muted);
      }
      p {
        position: absolute;
        z-index: 5;
        top: 24px;
        left: 0;
        width: min(360px, 80vw);
        margin: 0;
        padding: 8px 10px;
        font-size: 12px;
        line-height: 1.45;
        text-transform: none;
        background: var(--surface);
        border: 1px solid var(--border);
        border-radius: 8px;
        box-shadow: 0 4px 14px rgb(0 0 0 / 0.18);
      }
    `,
  ];

  override render() {
    return html`<details>
      <summary title="How this is computed" aria-label="How this is computed">i</summary>
      <p role="note">${this.text}</p>
    </details>`;
  }
}
customElements.define('nem-about', NemAbout);

declare global {
  interface HTMLElementTagNameMap {
    'nem-about': NemAbout;
  }
}
