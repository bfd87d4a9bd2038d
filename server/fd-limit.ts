// The process's open-files limit (RLIMIT_NOFILE) and what follows from it. Every socket is a file descriptor; when
// they run out, uWS's accept() fails with EMFILE on a listen socket that stays readable, and its loop spins on it
// (~90% CPU, /healthz unanswered) until one closes. server/listener.ts stops listening before that; here: the
// limit, the session cap it allows, and a few descriptors held in reserve.
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Descriptors a server uses besides its sockets: DuckDB files and temp files, LMDB, logs, static files, pipes. */
const BASE_FDS = 128;

/**
 * The soft open-files limit, from /proc/self/limits; undefined where there is none to read (not Linux) or unlimited.
 */
export function openFilesLimit(path = '/proc/self/limits'): number | undefined {
  try {
    const line = readFileSync(path, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
    return soft && /^\d+$/.test(soft) ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

/** Descriptors held back while listening, handed to the rest of the process once accept() has taken the others. */
export function reserveSize(limit: number): number {
  return Math.min(64, Math.max(8, Math.floor(limit / 32)));
}

/**
 * Free descriptors needed (besides the reserve) before listening again, so one reconnecting burst does not refill them.
 */
export function resumeMargin(limit: number): number {
  return Math.min(1024, Math.max(16, Math.floor(limit / 16)));
}

/** The most sessions this process can hold with `limit` descriptors, leaving room for everything else. */
export function sessionsWithin(limit: number): number {
  return Math.max(1, limit - BASE_FDS - reserveSize(limit) - resumeMargin(limit));
}

/** `maxSessions` lowered to what the open-files limit allows (unchanged when it fits or no limit is known). */
export function sessionCap(maxSessions: number, limit = openFilesLimit()): number {
  return limit === undefined ? maxSessions : Math.min(maxSessions, sessionsWithin(limit));
}

/** Descriptors on /dev/null, held so they can be given back when the process runs out. */
export class FdReserve {
  private held: number[] = [];

  get size(): number {
    return this.held.length;
  }

  /** Opens up to `n` more; false when the process ran out first (those opened are kept). */
  fill(n: number): boolean {
    while (this.held.length < n) {
      const fd = tryOpen();
      if (fd === undefined) return false;
      this.held.push(fd);
    }
    return true;
  }

  /** Closes all but `keep`. */
  release(keep = 0): void {
    for (const fd of this.held.splice(keep)) closeSync(fd);
  }
}

/** True when the process cannot open one more descriptor now. */
export function outOfFds(): boolean {
  const fd = tryOpen();
  if (fd === undefined) return true;
  closeSync(fd);
  return false;
}

function tryOpen(): number | undefined {
  try {
    return openSync('/dev/null', 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EMFILE' || (err as NodeJS.ErrnoException).code === 'ENFILE')
      return undefined;
    throw err;
  }
}
