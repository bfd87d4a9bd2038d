// <nem-app>: the shell. Owns the socket client, the view (mirrored in the URL, restored on back/forward) and
// the open tab's subscription; renders the header, tablist, controls, connection banner and the active tab.
import { LitElement, html, css, nothing } from 'lit';
import { NemClient, type ConnectionState, type StateChange } from '../../sdk/client.ts';
import { shared } from '../styles.ts';
import { isoToEpoch } from '../nem-time.ts';
import { effectiveTheme, setTheme } from '../theme.ts';
import { TabFeed } from '../tab-feed.ts';
import { DEFAULT_VIEW, TABS, parseView, tabRequest, viewToSearch, type TabId, type ViewState } from '../url-state.ts';
import { REGION_NAMES } from '../../../shared/nem.ts';
import './nem-controls.ts';
import './live-indicator.ts';
import '../elements/nem-alerts.ts';
import '../tabs/tab-nem.ts';
import '../tabs/tab-generation.ts';
import '../tabs/tab-prices.ts';
import '../tabs/tab-stations.ts';
import '../tabs/tab-generators.ts';
import '../tabs/tab-curtailment.ts';
import '../tabs/tab-batteries.ts';

/** What "reset to defaults" restores: everything but the region, which the user keeps across tabs. */
const { region: _region, ...RESET_VIEW } = DEFAULT_VIEW;

export class NemApp extends LitElement {
  static override properties = {
    view: { state: true },
    conn: { state: true },
    now: { state: true },
    flash: { state: true },
  };
  declare view: ViewState;
  declare conn: StateChange & { retryAt?: number };
  declare now: number;
  declare flash: boolean;

  readonly client = new NemClient({ backoff: { initialMs: 400, maxMs: 5000 } });
  readonly feed = new TabFeed(this, this.client);
  private everOpen = false;
  private lastPushes = 0;
  private lastPushAt = 0;
  private clock: ReturnType<typeof setInterval> | undefined;
  private offState: (() => void) | undefined;
  private readonly onPop = () => this.show(parseView(location.search));

  constructor() {
    super();
    this.view = parseView(location.search);
    this.conn = { state: 'idle', attempt: 0 };
    this.now = Date.now() / 1000;
    this.flash = false;
  }

  static override styles = [
    shared,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 100vh;
      }
      header {
        display: flex;
        align-items: center;
        gap: 8px 20px;
        flex-wrap: wrap;
        padding: 10px 20px 0;
        border-bottom: 1px solid var(--border);
        background: var(--surface);
      }
      .brand {
        display: flex;
        align-items: center;
        gap: 8px;
        font-weight: 700;
        font-size: 16px;
        padding-bottom: 10px;
      }
      .brand svg {
        width: 20px;
        height: 20px;
      }
      [role='tablist'] {
        display: flex;
        gap: 2px;
        align-self: flex-end;
      }
      [role='tab'] {
        border: 0;
        background: none;
        padding: 9px 14px 11px;
        font-size: 14px;
        font-weight: 550;
        color: var(--muted);
        cursor: pointer;
        border-bottom: 2px solid transparent;
      }
      [role='tab']:hover {
        color: var(--fg);
      }
      [role='tab'][aria-selected='true'] {
        color: var(--fg);
        border-bottom-color: var(--accent);
      }
      .right {
        margin-left: auto;
        display: flex;
        align-items: center;
        gap: 12px;
        padding-bottom: 10px;
      }
      nem-controls {
        padding: 12px 20px;
      }
      .banner {
        margin: 0 20px 12px;
        padding: 10px 14px;
        border-radius: 8px;
        background: var(--warn-bg);
        border: 1px solid var(--warn);
        font-size: 13px;
        display: flex;
        gap: 10px;
        align-items: center;
      }
      .banner.error {
        background: var(--error-bg);
        border-color: var(--spike);
      }
      main {
        padding: 0 20px 20px;
        flex: 1;
      }
      .refused {
        text-align: center;
        padding: 40px;
        color: var(--muted);
      }
      footer {
        padding: 10px 20px 16px;
        color: var(--muted);
        font-size: 12px;
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('popstate', this.onPop);
    this.addEventListener('nem-view', this.onView as EventListener);
    this.offState = this.client.onState((c) => {
      if (c.state === 'open') this.everOpen = true;
      this.conn = { ...c, retryAt: c.delayMs !== undefined ? Date.now() + c.delayMs : undefined };
    });
    this.clock = setInterval(() => (this.now = Date.now() / 1000), 1000);
    history.replaceState(null, '', viewToSearch(this.view) + location.hash);
    this.subscribe();
    this.client.connect().catch(() => {}); // failures surface through onState as reconnect attempts
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPop);
    this.removeEventListener('nem-view', this.onView as EventListener);
    clearInterval(this.clock);
    this.offState?.();
    this.client.close();
  }

  private readonly onView = (e: CustomEvent<Partial<ViewState>>) => {
    e.stopPropagation();
    const next = { ...this.view, ...e.detail };
    if (next.range !== 'custom') Object.assign(next, { from: null, to: null });
    if (viewToSearch(next) === viewToSearch(this.view)) return;
    history.pushState(null, '', viewToSearch(next));
    this.show(next);
  };

  private show(view: ViewState): void {
    this.view = view;
    this.subscribe();
  }

  private subscribe(): void {
    const { kind, params } = tabRequest(this.view);
    this.feed.set(kind, params);
    const tab = TABS.find((t) => t.id === this.view.tab)!;
    document.title = `${tab.label} · ${REGION_NAMES[this.view.region]} · NEM Live`;
  }

  protected override willUpdate(): void {
    if (this.feed.pushes !== this.lastPushes) {
      this.lastPushes = this.feed.pushes;
      if (this.feed.pushes > 0) {
        this.lastPushAt = Date.now() / 1000;
        this.flash = true;
        setTimeout(() => (this.flash = false), 1000);
      }
    }
  }

  override render() {
    const v = this.view;
    const tab = TABS.find((t) => t.id === v.tab)!;
    const watermark = this.feed.meta?.watermark ?? this.client.watermark ?? null;
    return html`
      <header>
        <div class="brand">
          <svg viewBox="0 0 24 24" aria-hidden="true"><path d="M13 2 4 14h7l-1 8 9-12h-7l1-8z" fill="var(--accent)" /></svg>
          NEM Live
        </div>
        <nav role="tablist" aria-label="Views" @keydown=${this.onTabKey}>
          ${TABS.map(
            (t) =>
              html`<button role="tab" id="tab-${t.id}" aria-selected=${t.id === v.tab ? 'true' : 'false'} aria-controls="panel" tabindex=${t.id === v.tab ? 0 : -1} @click=${() => this.go(t.id)}>${t.label}</button>`,
          )}
        </nav>
        <div class="right">
          <nem-alerts .client=${this.client}></nem-alerts>
          <live-indicator .state=${this.conn.state as ConnectionState} .watermark=${watermark} .now=${this.now} .lastPush=${this.lastPushAt} .feed=${this.client.hello?.feed} ?flash=${this.flash}></live-indicator>
          <button class="btn" @click=${this.toggleTheme} title="Switch between light and dark" aria-label="Toggle dark theme">${effectiveTheme() === 'dark' ? '☀ Light' : '☾ Dark'}</button>
        </div>
      </header>
      <nem-controls .view=${v} .watermark=${isoToEpoch(watermark)}></nem-controls>
      ${this.banner()}
      <main role="tabpanel" id="panel" aria-labelledby="tab-${v.tab}">${this.tabElement(tab.id, tab.kind)}</main>
      <footer>Source: AEMO market data (NEM time, UTC+10; intervals are stamped at their end). Drag across a chart to zoom, double-click to reset.</footer>
    `;
  }

  private tabElement(id: TabId, kind: string) {
    const panels = this.feed.kind === kind ? ((this.feed.data as { panels?: unknown } | null)?.panels ?? null) : null;
    const loading = this.feed.loading;
    // A refused view (say, a DUID that does not exist) has nothing to draw: say so instead of loading forever.
    // Stations keeps its finder, so the user can pick another unit from there.
    if (this.feed.error && !panels && id !== 'stations') {
      return html`<section class="panel refused" role="status">
        <p>This view could not be shown.</p>
        <button class="btn" @click=${() => this.go(id, true)}>Reset ${TABS.find((t) => t.id === id)!.label} to its defaults</button>
      </section>`;
    }
    switch (id) {
      case 'nem':
        return html`<tab-nem .panels=${panels} .view=${this.view} ?loading=${loading}></tab-nem>`;
      case 'generation':
        return html`<tab-generation .panels=${panels} .view=${this.view} ?loading=${loading}></tab-generation>`;
      case 'prices':
        return html`<tab-prices .panels=${panels} .view=${this.view} ?loading=${loading}></tab-prices>`;
      case 'stations':
        return html`<tab-stations .panels=${panels} .view=${this.view} .client=${this.client} .error=${this.feed.error} ?loading=${loading}></tab-stations>`;
      case 'generators':
        return html`<tab-generators .panels=${panels} .view=${this.view} ?loading=${loading}></tab-generators>`;
      case 'curtailment':
        return html`<tab-curtailment .panels=${panels} .view=${this.view} ?loading=${loading}></tab-curtailment>`;
      case 'batteries':
        return html`<tab-batteries .panels=${panels} .view=${this.view} .client=${this.client} ?loading=${loading}></tab-batteries>`;
    }
  }

  private banner() {
    if (this.feed.error)
      return html`<div class="banner error" role="alert">This view is not available: ${this.feed.error}</div>`;
    const c = this.conn;
    if (c.state === 'open' || c.state === 'idle' || c.attempt === 0) return nothing;
    const secs = c.retryAt ? Math.max(0, Math.ceil((c.retryAt - this.now * 1000) / 1000)) : 0;
    const retry = c.state === 'connecting' || secs === 0 ? 'reconnecting now…' : `retrying in ${secs} s`;
    return html`<div class="banner" role="alert" data-conn=${c.state}>
      <strong>${this.everOpen ? 'Connection to the NEM Live server lost.' : 'Cannot reach the NEM Live server.'}</strong>
      <span>${retry}${c.attempt > 1 ? ` (attempt ${c.attempt})` : ''}.${this.everOpen ? ' Charts show the last data received and catch up when it is back.' : ''}</span>
    </div>`;
  }

  /** Opens a tab; `reset` also drops the choices that only that tab uses. */
  private go(tab: TabId, reset = false): void {
    const detail: Partial<ViewState> = reset ? { ...RESET_VIEW, tab } : { tab };
    this.onView(new CustomEvent('nem-view', { detail }));
  }

  private onTabKey(e: KeyboardEvent): void {
    const i = TABS.findIndex((t) => t.id === this.view.tab);
    const n = TABS.length;
    const to = { ArrowRight: (i + 1) % n, ArrowLeft: (i - 1 + n) % n, Home: 0, End: n - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.go(TABS[to].id);
    this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#tab-${TABS[to].id}`)?.focus());
  }

  private toggleTheme(): void {
    setTheme(effectiveTheme() === 'dark' ? 'light' : 'dark');
    this.requestUpdate();
  }
}
customElements.define('nem-app', NemApp);

declare global {
  interface HTMLElementTagNameMap {
    'nem-app': NemApp;
  }
}
