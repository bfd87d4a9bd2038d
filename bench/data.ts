// The benchmark store: the one-year demo (or a small one for --quick), built once into a bench data dir and
// reused by every later run, whatever size it turned out to be (its real span is reported).
import { ensureDemoStore } from '../soak/demo-store.ts';

export async function ensureBenchStore(dataDir: string, days: number, log: (m: string) => void): Promise<number> {
  const have = await ensureDemoStore(dataDir, days, (m) => log(`bench: ${m}`));
  if (Math.abs(have - days) > 1)
    log(`bench: note: ${dataDir} holds ${have} days of data, not ${days}; using it as it is`);
  return have;
}
