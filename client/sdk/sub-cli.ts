// `npm run sub -- KIND [...]`: a headless subscriber. NDJSON on stdout (one line per result and push; for `alerts`,
// one per event), connection news on stderr, exit 0 on SIGINT/SIGTERM, 2 on a usage error or a refused subscription.
import WebSocket from 'ws';
import type { ResultOf } from '../../shared/kinds.ts';
import { NemClient } from './client.ts';
import { parseSubArgs, USAGE, UsageError, type SubArgs } from './sub-args.ts';

function main(): void {
  let args: SubArgs;
  try {
    args = parseSubArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`${err.message ? `sub: ${err.message}\n` : ''}${USAGE}\n`);
    process.exit(err.message ? 2 : 0);
  }
  const client = new NemClient({ url: args.url, WebSocket });
  const note = (line: string) => process.stderr.write(`sub: ${line}\n`);
  let everOpen = false;
  client.onState((s) => {
    if (s.state === 'open') {
      note(
        `${everOpen ? 'reconnected to' : 'connected to'} ${args.url} (session ${client.hello?.session}, watermark ${client.hello?.watermark})`,
      );
      everOpen = true;
    } else if (s.state === 'reconnecting') {
      note(
        `${everOpen && s.attempt === 1 ? 'connection lost' : 'cannot connect'} (${s.reason ?? 'no reason'}); retrying in ${s.delayMs} ms (attempt ${s.attempt})`,
      );
    }
  });

  let written = 0;
  let started = false;
  const stop = (code: number) => {
    client.close();
    process.exitCode = code;
  };
  // A closed pipe (`| head -1`) is a normal way for a reader to say it has enough.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? stop(0) : stop(1)));
  process.once('SIGINT', () => stop(0));
  process.once('SIGTERM', () => stop(0));

  const line = (value: object) => {
    process.stdout.write(`${JSON.stringify(value)}\n`);
    if (args.count !== undefined && ++written >= args.count) stop(0);
  };
  client.sub(args.kind, args.params, {
    onUpdate: (u) => {
      // An alerts stream prints one line per event (replayed or new), so a script can act on each: page someone.
      // The first answer's events happened before the command started: only later ones (pushed, or replayed after a
      // reconnect) are printed.
      if (args.kind === 'alerts') {
        const { events, complete } = u.data as ResultOf['alerts'];
        if (!started) return void (started = true);
        if (!complete) note('some events were missed (the server no longer holds them): see alerts.history');
        for (const e of events) if (written < (args.count ?? Infinity)) line(e);
        return;
      }
      line({ type: u.kind, kind: args.kind, watermark: u.meta.watermark, meta: u.meta, data: u.data });
    },
    onError: (err) => {
      note(`subscription refused: ${err.message}`);
      stop(2);
    },
  });
}

main();
