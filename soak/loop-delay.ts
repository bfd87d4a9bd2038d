// Event-loop delay as Node measures it (monitorEventLoopDelay, and prom-client's nodejs_eventloop_lag_* built on
// it): a timer every `resolution` ms records the time between its runs, so an idle loop reads about the resolution
// itself (10.1–10.2 ms at 10 ms on this machine). What a request waits is the part beyond it, reported here.
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** prom-client's default eventLoopMonitoringPrecision, ms. */
export const PROM_CLIENT_RESOLUTION_MS = 10;

/** Event-loop delay p99 beyond the timer's own period, ms, from a histogram value in ms. */
export const beyondResolution = (p99Ms: number, resolutionMs: number): number => Math.max(0, p99Ms - resolutionMs);

/** Starts measuring this process's event-loop delay; `p99Ms()` reads the p99 beyond the resolution so far. */
export function watchLoopDelay(resolutionMs = 10): { p99Ms(): number; stop(): void } {
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  return { p99Ms: () => beyondResolution(h.percentile(99) / 1e6, resolutionMs), stop: () => h.disable() };
}
