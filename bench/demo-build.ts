// Demo build benchmark: registry import + a DEMO_DAYS demo (the store's own builder) into a scratch dir, timed
// per stage. CPU seconds are reported beside wall time because the cores may be shared with other work.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DB_FILE, openStore } from '../server/store/db.ts';
import { buildDemo } from '../server/store/demo.ts';
import { loadRegistry, SEED_REGISTRY } from '../server/store/registry.ts';
import type { BenchContext, BenchResult } from './types.ts';

export async function run(ctx: BenchContext): Promise<BenchResult[]> {
  const days = process.env.DEMO_DAYS ? Number(process.env.DEMO_DAYS) : ctx.demoDays;
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`DEMO_DAYS must be a whole number ≥ 1, got ${process.env.DEMO_DAYS}`);
  const { instance, path } = await openStore({ dataDir: ctx.scratchDir });
  const stages: string[] = [];
  let res: Awaited<ReturnType<typeof buildDemo>>;
  const cpu0 = process.cpuUsage();
  try {
    const conn = await instance.connect();
    try {
      await loadRegistry(conn, SEED_REGISTRY);
      ctx.log(`demo-build: ${days} days into ${ctx.scratchDir}`);
      res = await buildDemo(conn, {
        days,
        onProgress: (stage, s) => {
          stages.push(`${stage} ${s.toFixed(1)} s`);
          ctx.log(`demo-build: ${stage} ${s.toFixed(1)} s`);
        },
      });
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
  const cpu = process.cpuUsage(cpu0);
  const mb = statSync(path).size / 1e6;
  const wal = join(ctx.scratchDir, `${DB_FILE}.wal`);
  const walMb = existsSync(wal) ? statSync(wal).size / 1e6 : 0; // usually gone after the final checkpoint
  const full = days === 365;
  return [
    {
      name: `demo build, ${days} days (${ctx.cores} cores)`,
      value: round(res.seconds, 1),
      unit: 's',
      goal: full ? '≤ 45 s' : undefined,
      note: stages.join('; '),
    },
    {
      name: `demo build CPU time, ${days} days`,
      value: round((cpu.user + cpu.system) / 1e6, 1),
      unit: 's',
      note: 'all threads; wall ≈ this ÷ cores when the cores are free',
    },
    { name: `demo SCADA rows, ${days} days`, value: res.rows.scada, unit: 'rows' },
    { name: `demo store on disk, ${days} days`, value: round(mb + walMb, 1), unit: 'MB' },
  ];
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
