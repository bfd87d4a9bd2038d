// Errors with a stable wire code (CONTRACT §3). Thrown inside the server, turned into one error frame by the
// router's single `fail` path; the message is written for the client and never carries internals.
import { ERROR_CODES, type ErrorCode } from '../shared/protocol.ts';
import type { Logger } from './log.ts';

export class WireError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WireError';
  }
}

export const badFrame = (message: string) => new WireError('bad_frame', message);
export const badRequest = (message: string) => new WireError('bad_request', message);
export const unknownKind = (message: string) => new WireError('unknown_kind', message);
export const badParams = (message: string) => new WireError('bad_params', message);
export const tooLarge = (message: string) => new WireError('too_large', message);
export const rateLimited = (message: string) => new WireError('rate_limited', message);
export const overloaded = (message: string) => new WireError('overloaded', message);

/** The session closed while work for it was pending: nobody is left to tell, so it is never sent. */
export class SessionClosedError extends Error {
  readonly code = 'session_closed';
  constructor() {
    super('session closed');
    this.name = 'SessionClosedError';
  }
}

export interface Mapped {
  code: ErrorCode;
  message: string;
  /** An unexpected failure: log it with its stack. */
  internal: boolean;
}

/**
 * Anything thrown → the wire code and message. Errors that carry a known wire `code` (e.g. the catalogue's QueryError)
 * keep it.
 */
export function mapError(err: unknown): Mapped {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code) && code !== 'internal') {
    return { code: code as ErrorCode, message: String((err as Error).message ?? code).slice(0, 500), internal: false };
  }
  return { code: 'internal', message: 'the server failed to answer; the error is logged', internal: true };
}

/**
 * Logs a failure as its kind deserves: an unexpected one at error level with its stack; a refusal that carries a
 * wire code (the client's mistake, such as an unknown DUID) at debug, code and message only.
 */
export function logFailure(log: Logger, err: unknown, msg: string, fields: Record<string, unknown> = {}): Mapped {
  const mapped = mapError(err);
  if (mapped.internal) log.error({ ...fields, err }, msg);
  else log.debug({ ...fields, code: mapped.code, message: mapped.message }, msg);
  return mapped;
}
