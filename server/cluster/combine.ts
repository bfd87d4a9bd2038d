// One /metrics for the whole deployment: the supervisor's registry and every worker's, summed by name and labels
// (prom-client's aggregate), except where summing would lie.
import { AggregatorRegistry, type Aggregator } from 'prom-client';

type MetricJson = { name: string; aggregator?: Aggregator; values: { labels: Record<string, unknown> }[] };

/** Per name, when the sum of the processes' values is not the deployment's value. */
const AGGREGATORS: Record<string, Aggregator> = {
  // The oldest process's start (prom-client omits it in clusters).
  process_start_time_seconds: 'min',
  process_max_fds: 'first',
  nodejs_version_info: 'first',
};

/**
 * `supervisor` first: its LMDB gauge is the one kept (every process sees the same LMDB file; summing would count
 * it once per process). Everything else is summed (sessions, frames, cache hits, process memory and CPU).
 */
export async function combineMetrics(supervisor: unknown[], workers: unknown[][]): Promise<string> {
  const fix = (json: unknown[], keepLmdb: boolean): MetricJson[] =>
    (json as MetricJson[]).map((m) => {
      const aggregator = AGGREGATORS[m.name] ?? m.aggregator;
      const values =
        m.name === 'nemlive_cache_bytes' && !keepLmdb ? m.values.filter((v) => v.labels.tier !== 'lmdb') : m.values;
      return { ...m, aggregator, values };
    });
  const all = [fix(supervisor, true), ...workers.map((w) => fix(w, false))];
  return AggregatorRegistry.aggregate(all).metrics();
}
