// `npm run soak -- --sockets N --duration S [--url …] [--json FILE] [--ramp S] [--seed K] [--procs P] [--spawn]`
// Exit 0 only when no socket saw an unexpected error and the server's sessions and connections went back down.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseSoakArgs, UsageError, USAGE } from './args.ts';
import { formatSoak, verdict } from './report.ts';
import { ensureDemoStore } from './demo-store.ts';
import { runSoak } from './run.ts';
import { spawnServer, type SpawnedServer } from './spawn-server.ts';

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseSoakArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`soak: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (opts.help) {
    console.log(USAGE);
    return 0;
  }
  const abort = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nsoak: stopping early (SIGINT); closing sockets and reporting\n');
    abort.abort();
  });

  let server: SpawnedServer | undefined;
  let url = opts.url;
  if (opts.spawn) {
    await ensureDemoStore(resolve(opts.spawn.dataDir), opts.spawn.demoDays, (m) => console.error(`soak: ${m}`));
    console.error(`soak: starting a server on ${resolve(opts.spawn.dataDir)}…`);
    server = await spawnServer({
      ...opts.spawn,
      dataDir: resolve(opts.spawn.dataDir),
      cacheDir: resolve(opts.spawn.cacheDir),
    });
    url = server.url;
  }
  const tty = process.stderr.isTTY;
  let lastPrinted = 0;
  try {
    const report = await runSoak({
      ...opts,
      url,
      signal: abort.signal,
      onProgress: (line) => {
        // One line rewritten in place on a terminal; a line every 10 s in a CI log.
        if (tty) process.stderr.write(`\r\x1b[2K${line}`);
        else if (Date.now() - lastPrinted >= 10_000) {
          lastPrinted = Date.now();
          process.stderr.write(`${line}\n`);
        }
      },
    });
    if (tty) process.stderr.write('\r\x1b[2K');
    console.log(formatSoak(report));
    if (opts.json) {
      mkdirSync(dirname(resolve(opts.json)), { recursive: true });
      writeFileSync(opts.json, JSON.stringify(report, null, 2) + '\n');
    }
    const why = verdict(report);
    for (const w of why) console.error(`soak: FAIL: ${w}`);
    if (report.interrupted) {
      console.error(
        `soak: interrupted after ${report.wallS} s of ${report.durationS} s: the figures cover only that part`,
      );
      return why.length === 0 ? 130 : 1;
    }
    if (why.length === 0)
      console.log('soak: PASS (no unexpected errors; sessions and DuckDB connections back to where they started)');
    return why.length === 0 ? 0 : 1;
  } finally {
    if (server) {
      const code = await server.stop();
      if (code !== 0) console.error(`soak: the spawned server exited with ${code}\n${server.tail()}`);
    }
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`soak: ${(err as Error).message}`);
    process.exit(1);
  },
);
