// The boot warmup of a single server (server/app.ts) and of a cluster's supervisor alike: it runs in the background
// after listening and logs its summary, or its failure (answers are then computed on first request).
import type { Logger } from '../log.ts';
import type { AnswerPath } from '../answer-path.ts';
import { runWarmup, type WarmupSummary } from './run.ts';
import { type WarmQuery, uniqueQueries, warmList } from './list.ts';

/**
 * Resolves with the summary; undefined when the warmup failed or `signal` stopped it (a shutdown). `asked`: the
 * questions clients asked before the restart (hot-list.ts), computed after the fixed list.
 */
export function bootWarmup(
  path: AnswerPath,
  signal: AbortSignal,
  log: Logger,
  asked: readonly WarmQuery[] = [],
): Promise<WarmupSummary | undefined> {
  const list = uniqueQueries([...warmList(), ...asked]);
  return runWarmup(path, { signal, list }).then(
    (summary) => {
      if (signal.aborted) return undefined;
      log.info({ ...summary }, 'cache warmed');
      return summary;
    },
    (err: unknown) => {
      log.error({ err }, 'warmup failed; answers are computed on first request');
      return undefined;
    },
  );
}
