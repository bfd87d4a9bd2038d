// Expected refusals of a well-formed query (too many points, unknown DUID). The router maps `code` to the wire
// error of the same name; anything else a handler throws is an internal error.
export class QueryError extends Error {
  readonly code = 'bad_params' as const;
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}
