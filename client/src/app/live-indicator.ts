// The live indicator: connection state, the data watermark in NEM time, and how old it is. What the data is comes
// from the server's hello: a demo replay (stepping at its own pace) is called a replay, never live or stale, and a
// server with no feed shows its data as static.
import { LitElement, html, css } from 'lit';
import { shared } from '../styles.ts';
import { fmtAge, fmtNemDateTime, isoToEpoch } from '../nem-time.ts';
import type { ConnectionState } from '../../sdk/client.ts';
import type { FeedInfo } from '../../../shared/protocol.ts';

/** Older than this and the data is called stale: two missed 5-minute intervals. */
const STALE_S = 15 * 60;

export class LiveIndicator extends LitElement {
  static override properties = {
    state: { type: String },
    watermark: { type: String },
    now: { type: Number },
    flash: { type: Boolean },
    lastPush: { type: Number },
    feed: { attribute: false },
    sources: { state: true },
  };
  declare state: ConnectionState;
  declare watermark: string | null;
  /** Wall-clock seconds, ticked by the shell so the age stays current. */
  declare now: number;
  /** Briefly true when a push arrives. */
  declare flash: boolean;
  /** Wall-clock seconds of the last push (0: none yet). A replay of older data is live while it keeps moving. */
  declare lastPush: number;
  /** From the hello; undefined before it (or from an older server): judged by age alone. */
  declare feed: FeedInfo | undefined;
  /** With AEMO data: each source's "as of" from /healthz, read when the pointer rests on the indicator. */
  declare sources: string;

  constructor() {
    super();
    this.sources = '';
    this.addEventListener('mouseenter', this.loadSources);
  }

  protected override willUpdate(): void {
    this.title = this.sources ? `Each source's newest interval:\n${this.sources}` : '';
  }

  private readonly loadSources = async (): Promise<void> => {
    if (this.feed?.source !== 'aemo') return;
    try {
      const h = (await (await fetch('/healthz', { cache: 'no-store' })).json()) as {
        sources?: Record<string, { asOf: string | null; lagS: number | null; late: boolean }>;
      };
      this.sources = Object.entries(h.sources ?? {})
        .map(([name, s]) =>
          s.asOf === null
            ? `${name}: none yet`
            : `${name}: to ${fmtNemDateTime(isoToEpoch(s.asOf))} NEM (${fmtAge(s.lagS ?? 0)})${s.late ? ' · late' : ''}`,
        )
        .join('\n');
    } catch {
      this.sources = '';
    }
  };

  static override styles = [
    shared,
    css`
      :host {
        display: inline-flex;
        align-items: center;
        gap: 8px;
        font-size: 12px;
        color: var(--muted);
        white-space: nowrap;
      }
      .dot {
        width: 9px;
        height: 9px;
        border-radius: 50%;
        background: var(--muted);
        flex: none;
      }
      .dot.live {
        background: var(--ok);
        box-shadow: 0 0 0 0 var(--ok);
      }
      .dot.live.flash {
        animation: ping 1s ease-out;
      }
      .dot.stale {
        background: var(--warn);
      }
      .dot.down {
        background: var(--spike);
      }
      .state {
        color: var(--fg);
        font-weight: 600;
      }
      @keyframes ping {
        from {
          box-shadow: 0 0 0 0 color-mix(in srgb, var(--ok) 70%, transparent);
        }
        to {
          box-shadow: 0 0 0 10px transparent;
        }
      }
    `,
  ];

  override render() {
    const wm = isoToEpoch(this.watermark);
    const age = Number.isFinite(wm) ? Math.max(0, this.now - wm) : NaN;
    const open = this.state === 'open';
    const source = this.feed?.source;
    const moving = this.lastPush > 0 && this.now - this.lastPush <= STALE_S;
    const stale = open && source !== 'replay' && source !== 'off' && age > STALE_S && !moving;
    const cls = open
      ? stale
        ? 'stale'
        : source === 'off'
          ? ''
          : `live${this.flash ? ' flash' : ''}`
      : this.state === 'connecting' && !this.watermark
        ? ''
        : 'down';
    const label = open
      ? stale
        ? 'Stale'
        : source === 'replay'
          ? 'Demo replay'
          : source === 'off'
            ? 'Static'
            : source === 'demo'
              ? 'Live demo'
              : 'Live'
      : this.state === 'connecting'
        ? 'Connecting…'
        : 'Offline';
    const every = this.feed?.everySeconds ?? 300;
    const pace =
      every < 120 ? `${every} s` : every < 7200 ? `${Math.round(every / 60)} min` : `${Math.round(every / 3600)} h`;
    return html`<span class="dot ${cls}" aria-hidden="true"></span>
      <span role="status" aria-live="polite"><span class="state">${label}</span>${
        Number.isFinite(wm)
          ? html` · data to <time datetime=${this.watermark!}>${fmtNemDateTime(wm)} NEM</time> · <span class="age">${source === 'replay' ? `one interval every ${pace}` : fmtAge(age)}</span>`
          : ''
      }</span>`;
  }
}
customElements.define('live-indicator', LiveIndicator);

declare global {
  interface HTMLElementTagNameMap {
    'live-indicator': LiveIndicator;
  }
}
