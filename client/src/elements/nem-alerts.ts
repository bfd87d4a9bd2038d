// <nem-alerts>: the market's events as they happen. An `alerts` subscription (rules below) fills a panel behind the
// header's bell; each event pushed after the first answer shows a toast and, when the user turned them on (the
// browser asks for permission on that click, never before), a desktop notification.
import { LitElement, css, html, nothing } from 'lit';
import { PRICE_LEVELS, type AlertEvent } from '../../../shared/kinds/alerts.ts';
import type { NemClient, Subscription } from '../../sdk/client.ts';
import { fmtNemDateTime } from '../nem-time.ts';
import { shared } from '../styles.ts';

/** What the dashboard watches: prices from $1,000, records, administered pricing, suspension, LOR notices. */
export const DASHBOARD_RULES = [
  ...PRICE_LEVELS.filter((l) => l >= 1000).map((l) => `NEM:price.above:${l}`),
  'NEM:price.record',
  'NEM:demand.record',
  'NEM:market.administered',
  'NEM:market.suspended',
  'NEM:notice.lor:1',
];
/** Events the panel keeps (newest first). */
const KEEP = 100;
/** How long a toast stays, ms. */
const TOAST_MS = 8000;
/** Toasts shown at once (a burst of events shows the newest). */
const MAX_TOASTS = 4;

const ICON: Record<AlertEvent['type'], string> = {
  'price.above': '▲',
  'price.negative': '▼',
  'price.record': '★',
  'demand.record': '★',
  'market.administered': '⚠',
  'market.suspended': '⛔',
  notice: '✉',
};

export class NemAlerts extends LitElement {
  static override properties = {
    client: { attribute: false },
    open: { type: Boolean, reflect: true },
    events: { state: true },
    toasts: { state: true },
    desktop: { state: true },
  };

  client!: NemClient;
  open = false;
  events: AlertEvent[] = [];
  toasts: AlertEvent[] = [];
  /** Desktop notifications: off, asked (waiting for the browser), on, or refused by the user or the browser. */
  desktop: 'off' | 'asking' | 'on' | 'denied' | 'unsupported' =
    typeof Notification === 'undefined' ? 'unsupported' : Notification.permission === 'denied' ? 'denied' : 'off';
  /** Pushed events seen (tests read it). */
  pushed = 0;
  private sub: Subscription<'alerts'> | null = null;
  private seen = new Set<string>();
  private started = false;

  static override styles = [
    shared,
    css`
      :host {
        position: relative;
        display: inline-block;
      }
      button svg {
        width: 13px;
        height: 13px;
        vertical-align: -2px;
      }
      .count {
        display: inline-block;
        min-width: 18px;
        padding: 0 5px;
        border-radius: 9px;
        background: var(--spike);
        color: #fff;
        font-size: 11px;
        text-align: center;
      }
      .panel {
        position: absolute;
        right: 0;
        top: calc(100% + 6px);
        width: min(420px, 90vw);
        max-height: 60vh;
        overflow: auto;
        z-index: 20;
        box-shadow: 0 8px 24px rgb(0 0 0 / 18%);
      }
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        display: grid;
        grid-template-columns: 18px 1fr;
        gap: 2px 8px;
        padding: 7px 0;
        border-top: 1px solid var(--border);
        font-size: 13px;
      }
      li .when {
        grid-column: 2;
        color: var(--muted);
        font-size: 11px;
      }
      .toasts {
        position: fixed;
        right: 16px;
        bottom: 16px;
        display: flex;
        flex-direction: column;
        gap: 8px;
        z-index: 30;
      }
      .toast {
        display: grid;
        grid-template-columns: 18px 1fr auto;
        gap: 2px 8px;
        align-items: start;
        width: min(380px, 90vw);
        padding: 10px 12px;
        border-radius: 8px;
        background: var(--surface);
        border: 1px solid var(--border);
        border-left: 4px solid var(--spike);
        box-shadow: 0 8px 24px rgb(0 0 0 / 20%);
        font-size: 13px;
      }
      .toast .when {
        grid-column: 2;
        color: var(--muted);
        font-size: 11px;
      }
      .toast button {
        border: 0;
        background: none;
        cursor: pointer;
        color: var(--muted);
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    this.sub = this.client.sub('alerts', { rules: DASHBOARD_RULES } as never, {
      onUpdate: (u) => {
        const first = !this.started;
        this.started = true;
        const fresh = u.data.events.filter((e) => !this.seen.has(e.key));
        for (const e of fresh) this.seen.add(e.key);
        if (fresh.length === 0) return;
        this.events = [...fresh.reverse(), ...this.events].slice(0, KEEP);
        // The first answer is what happened before the page opened: listed, not announced. Later ones (pushes, and
        // what a reconnect replays) are.
        if (!first) this.announce(fresh);
      },
    });
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.sub?.close();
    this.sub = null;
  }

  /** `fresh`: newest first. */
  private announce(fresh: AlertEvent[]): void {
    this.pushed += fresh.length;
    this.toasts = [...fresh, ...this.toasts].slice(0, MAX_TOASTS);
    for (const e of fresh) setTimeout(() => this.dismiss(e), TOAST_MS);
    if (this.desktop === 'on')
      for (const e of fresh.slice(0, MAX_TOASTS))
        new Notification(`NEM Live: ${e.text}`, { tag: e.key, body: when(e) });
  }

  private dismiss(e: AlertEvent): void {
    this.toasts = this.toasts.filter((t) => t !== e);
  }

  /** Asks the browser on this click (browsers only allow asking from a user gesture). */
  private async toggleDesktop(): Promise<void> {
    if (this.desktop === 'on') return void (this.desktop = 'off');
    if (typeof Notification === 'undefined') return void (this.desktop = 'unsupported');
    this.desktop = 'asking';
    const answer = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
    this.desktop = answer === 'granted' ? 'on' : answer === 'denied' ? 'denied' : 'off';
  }

  override render() {
    const n = this.events.length;
    return html`
      <button class="btn" aria-expanded=${this.open ? 'true' : 'false'} aria-controls="alerts-panel" @click=${() => (this.open = !this.open)} title="Market alerts: prices from $1,000, records, administered pricing, suspension, LOR notices">
        <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1z" fill="currentColor" /></svg>
        Alerts ${n ? html`<span class="count">${n}</span>` : nothing}
      </button>
      ${this.open ? this.panel() : nothing}
      <div class="toasts" role="status" aria-live="polite">
        ${this.toasts.map(
          (e) =>
            html`<div class="toast" data-key=${e.key}>
              <span aria-hidden="true">${ICON[e.type]}</span><strong>${e.text}</strong
              ><button aria-label="Dismiss" @click=${() => this.dismiss(e)}>✕</button>
              <span class="when">${when(e)}</span>
            </div>`,
        )}
      </div>
    `;
  }

  private panel() {
    const label = {
      off: 'Desktop notifications: off — turn on',
      asking: 'Asking the browser…',
      on: 'Desktop notifications: on — turn off',
      denied: 'Desktop notifications are blocked for this site (browser settings)',
      unsupported: 'This browser has no desktop notifications',
    }[this.desktop];
    return html`<section class="panel" id="alerts-panel" aria-label="Market alerts">
      <div class="panel-head">
        <h2>Market alerts</h2>
        <button class="btn desktop" ?disabled=${this.desktop === 'denied' || this.desktop === 'unsupported' || this.desktop === 'asking'} @click=${this.toggleDesktop}>${label}</button>
      </div>
      <p class="note">Prices at $1,000, $5,000, $10,000 and the cap; price and demand records; administered pricing; suspension; AEMO's lack-of-reserve notices. Each event once, as its interval commits.</p>
      ${
        this.events.length === 0
          ? html`<p class="note">No events yet.</p>`
          : html`<ul>
            ${this.events.map(
              (e) =>
                html`<li data-key=${e.key}><span aria-hidden="true">${ICON[e.type]}</span><span>${e.text}</span><span class="when">${when(e)}</span></li>`,
            )}
          </ul>`
      }
    </section>`;
  }
}

const when = (e: AlertEvent) => `${fmtNemDateTime(e.time)} NEM time`;

customElements.define('nem-alerts', NemAlerts);
