// nginx in front of the replicas, with the config the repo ships (deploy/nginx/nem-live.conf) filled in: started as
// an ordinary process (`daemon off`, its prefix, pid, logs and temp files under a temp dir, a loopback port), never
// touching the machine's own nginx setup. Debian's `nginx` package provides the binary (.ci/run installs it).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../soak/spawn-server.ts';

export const SHIPPED_CONF = join(ROOT, 'deploy/nginx/nem-live.conf');

/**
 * The shipped config's `fail_timeout` (ms): how long nginx keeps a replica it saw fail out of the rotation. A rolling
 * restart waits this long after a replica is healthy again before stopping the next one: with every replica still
 * marked failed, nginx answers 502 (no live upstreams) even though all of them are up.
 */
export function failTimeoutMs(template = readFileSync(SHIPPED_CONF, 'utf8')): number {
  const m = /fail_timeout=(\d+)s/.exec(template);
  if (!m) throw new Error(`${SHIPPED_CONF}: no fail_timeout=<n>s on the upstream server line`);
  return Number(m[1]) * 1000;
}

/** The shipped config with its placeholders filled: `listen` and one upstream `server` line per replica. */
export function renderConf(listen: string, replicas: readonly string[], template = readFileSync(SHIPPED_CONF, 'utf8')) {
  if (replicas.length === 0) throw new Error('no replicas to proxy to');
  return template
    .split('\n')
    .flatMap((line) => {
      if (line.trimStart().startsWith('#') || !line.includes('@REPLICA@')) return [line];
      return replicas.map((r) => line.replace('@REPLICA@', r));
    })
    .join('\n')
    .replace(/@LISTEN@/g, listen);
}

/** nginx.conf's main context for a private instance under `prefix`, including the rendered site config. */
function mainConf(prefix: string, site: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(prefix, 'temp', t)};`)
    .join('\n');
  // Run as root, nginx hands its workers to `nobody`, who cannot use a private temp dir: keep them as this user.
  const user = process.getuid?.() === 0 ? `user ${userInfo().username};\n` : '';
  return `${user}worker_processes 1;
worker_rlimit_nofile 65536;
worker_shutdown_timeout 10s;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 32768; }
http {
  access_log off;
${temp}
  include ${site};
}
`;
}

export interface Nginx {
  /** http://127.0.0.1:PORT */
  base: string;
  wsUrl: string;
  port: number;
  proc: ChildProcess;
  stop(): Promise<void>;
}

/** The nginx binary: $NGINX, else nginx on PATH, else Debian's /usr/sbin/nginx. */
export function nginxBinary(): string {
  if (process.env.NGINX) return process.env.NGINX;
  const onPath = (process.env.PATH ?? '').split(':').find((d) => d && existsSync(join(d, 'nginx')));
  return onPath ? join(onPath, 'nginx') : '/usr/sbin/nginx';
}

/** Starts nginx on 127.0.0.1:`port` in front of `replicas` (host:port each); resolves once it accepts connections. */
export async function startNginx(prefix: string, port: number, replicas: readonly string[]): Promise<Nginx> {
  mkdirSync(join(prefix, 'temp'), { recursive: true });
  const site = join(prefix, 'nem-live.conf');
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(site, renderConf(`127.0.0.1:${port}`, replicas));
  writeFileSync(conf, mainConf(prefix, site));
  // -e: Debian's build would otherwise open its compiled-in error log before reading the config.
  const args = ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', conf, '-g', 'daemon off;'];
  const proc = spawn(nginxBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', (err) => (stderr += `${err.message}\n`));
  const end = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (proc.exitCode !== null || proc.signalCode !== null || Date.now() > end) {
      proc.kill('SIGKILL');
      const log = existsSync(join(prefix, 'error.log')) ? readFileSync(join(prefix, 'error.log'), 'utf8') : '';
      throw new Error(`nginx did not start (${nginxBinary()} ${args.join(' ')}):\n${stderr}${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    base: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    port,
    proc,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
