// The open sessions by id, and the count of DuckDB connections they hold (what /healthz and /metrics report).
import type { Session } from './session.ts';

export class Sessions {
  private readonly byId = new Map<string, Session>();
  private held = 0;
  private readonly waiters = new Set<() => void>();

  get size(): number {
    return this.byId.size;
  }
  /** Connections sessions hold right now: opened and not yet closed (a closing session's counts until it closes). */
  get connections(): number {
    return this.held;
  }

  add(session: Session): void {
    this.byId.set(session.id, session);
  }
  delete(session: Session): void {
    if (this.byId.get(session.id) === session) this.byId.delete(session.id);
    this.wake();
  }
  get(id: string): Session | undefined {
    return this.byId.get(id);
  }
  values(): IterableIterator<Session> {
    return this.byId.values();
  }

  connectionOpened(): void {
    this.held++;
  }
  connectionReleased(): void {
    this.held--;
    this.wake();
  }

  /** Resolves when no session is open and no connection is held (shutdown waits on it). */
  drained(): Promise<void> {
    if (this.byId.size === 0 && this.held === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.byId.size === 0 && this.held === 0) {
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const fn of [...this.waiters]) fn();
  }
}
