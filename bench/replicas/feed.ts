// The source every replica follows: the NEMWEB-like site (../nemweb/site.ts) laid out as AEMO's /Reports/Current/,
// with a new DISPATCHIS interval published on a clock. Replicas poll it with LIVE=nemweb and NEMWEB_URL, the real
// live path. The intervals start a day before the wall clock and move on one per `periodMs`, so they stay in the
// past: the poller's rhythm (server/live/rhythm.ts) never waits for a future interval's end, and lists every
// LIVE_POLL_S instead.
import { NEMWEB_FOLDERS } from '../../server/live/setting.ts';
import { dispatchIs } from '../nemweb/files.ts';
import { nemwebSite, type NemwebSite } from '../nemweb/site.ts';

const DISPATCH = 'Reports/Current/DispatchIS_Reports';

export interface ClockedSite {
  /** NEMWEB_URL for the replicas. */
  base: string;
  site: NemwebSite;
  /** Interval ends published so far (epoch s), ascending. */
  readonly published: readonly number[];
  /** Publishes the next interval now. */
  step(): number;
  /** Stops (or restarts) publishing on the clock; step() still works. */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** The k-th interval's base price (NSW1; each next region +1, as dispatchIs writes it): answers differ per interval. */
export const priceOf = (k: number) => 40 + ((k * 37) % 90);

export async function clockedSite(o: { history: number; periodMs: number; nowS?: number }): Promise<ClockedSite> {
  const site = await nemwebSite();
  // The folders this feed does not carry are listed, empty: polling them is not a source that is down.
  for (const folder of NEMWEB_FOLDERS) site.feeds.set(`Reports/Current/${folder}`, []);
  const start = Math.floor(((o.nowS ?? Date.now() / 1000) - 86_400) / 300) * 300;
  const published: number[] = [];
  const step = () => {
    const ts = start + published.length * 300;
    site.feeds.get(DISPATCH)!.push(dispatchIs(ts, priceOf(published.length)));
    published.push(ts);
    return ts;
  };
  for (let i = 0; i < o.history; i++) step();
  let timer: ReturnType<typeof setInterval> | undefined;
  const resume = () => {
    clearInterval(timer);
    timer = setInterval(step, o.periodMs);
  };
  resume();
  return {
    base: site.base,
    site,
    published,
    step,
    pause: () => clearInterval(timer),
    resume,
    close: () => {
      clearInterval(timer);
      return site.close();
    },
  };
}
