// The open tab's subscription, as a Lit controller: one `sub` at a time, swapped when the view changes, with the
// latest answer, loading and error state for the host to render. Pushes replace `data` in place.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Kind } from '../../shared/kinds.ts';
import type { Meta } from '../../shared/protocol.ts';
import { NemError, type NemClient, type Subscription } from '../sdk/client.ts';

/** The server's sentence without the "code: " NemError puts in front (the code itself if there is no sentence). */
const withoutCode = (err: Error): string =>
  err instanceof NemError && err.message.startsWith(`${err.code}: `)
    ? err.message.slice(err.code.length + 2) || err.code
    : err.message;

export class TabFeed implements ReactiveController {
  kind: Kind | null = null;
  data: unknown = null;
  meta: Meta | null = null;
  loading = false;
  error: string | null = null;
  /** Pushes received on this subscription: tests and the live indicator use it. */
  pushes = 0;
  private key = '';
  private sub: Subscription<Kind> | null = null;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly client: NemClient,
  ) {
    host.addController(this);
  }

  /** Follows the view: a different kind or params unsubscribes the old and subscribes the new. */
  set(kind: Kind, params: Record<string, unknown>): void {
    const key = `${kind}|${JSON.stringify(params)}`;
    if (key === this.key) return;
    this.key = key;
    this.stop();
    // Same tab with new params: keep showing the old answer (dimmed) until the new one arrives, so nothing jumps.
    if (kind !== this.kind) {
      this.data = null;
      this.meta = null;
    }
    this.kind = kind;
    this.loading = true;
    this.error = null;
    this.pushes = 0;
    const sub = this.client.sub(kind, params as never, {
      onUpdate: (u) => {
        if (this.sub !== sub) return;
        this.data = u.data;
        this.meta = u.meta;
        this.loading = false;
        this.error = null;
        if (u.kind === 'push') this.pushes++;
        this.host.requestUpdate();
      },
      onError: (err) => {
        if (this.sub !== sub) return;
        this.loading = false;
        this.error = withoutCode(err);
        this.host.requestUpdate();
      },
    });
    this.sub = sub as unknown as Subscription<Kind>;
    this.host.requestUpdate();
  }

  hostDisconnected(): void {
    this.stop();
    this.key = '';
  }

  private stop(): void {
    this.sub?.close();
    this.sub = null;
  }
}
