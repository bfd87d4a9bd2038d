// Bounds on what one file may cost to read, so a decompression bomb or a file without line breaks is rejected as
// bad after a bounded amount of work and memory instead of exhausting both (and being retried as a store failure).

export interface IngestLimits {
  /**
   * Most bytes inflated from one file's zip members, nested zips included. AEMO's largest imported files (a month of
   * full-NEM DISPATCH_UNIT_SCADA) inflate to ~330 MB, and a zip member can declare at most 4 GiB (ZIP64 is refused);
   * 4 GiB leaves ten times headroom over real data while bounding a bomb's cost to a few minutes of streaming CPU
   * (memory stays flat either way).
   */
  maxInflatedBytes: number;
  /** Longest line, in bytes. AEMO's rows are < 2 KB; a stream of zeros (the classic bomb) has no line breaks at all. */
  maxLineBytes: number;
  /** Largest zip held in memory when nested in another zip (NEMWEB daily archives hold zips of a few KB to MB). */
  maxNestedZipBytes: number;
}

export const DEFAULT_LIMITS: IngestLimits = {
  maxInflatedBytes: 4 * 2 ** 30,
  maxLineBytes: 2 ** 20,
  maxNestedZipBytes: 256 * 2 ** 20,
};

/** A file past one of the limits: bad (it is skipped until it changes), never a store failure. */
export class FileLimitError extends Error {
  readonly code = 'bad_file';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** 3 MB, 12 KB, 100 bytes. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 20) return `${Math.round(n / 2 ** 20).toLocaleString('en-AU')} MB`;
  return n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} bytes`;
}

/** Counts the bytes inflated from one file; throws once they pass the limit. */
export class InflateBudget {
  private used = 0;
  constructor(
    readonly file: string,
    private readonly max: number,
  ) {}

  take(n: number): void {
    this.used += n;
    if (this.used > this.max) {
      throw new FileLimitError(this.file, `inflates to more than ${formatBytes(this.max)} (a zip bomb?); rejected`);
    }
  }
}

/**
 * Watches the line lengths of a byte stream, chunk by chunk, without decoding it: throws when a line passes the
 * limit, before the parser has buffered it.
 */
export class LineGuard {
  /** Bytes since the last line break. */
  private run = 0;
  constructor(
    readonly file: string,
    private readonly max: number,
  ) {}

  check(chunk: Uint8Array): void {
    const first = chunk.indexOf(10);
    if (first < 0) {
      this.run += chunk.length;
    } else {
      if (this.run + first > this.max) this.fail();
      // Inner lines can only be too long in a chunk longer than the limit; chunks are usually far smaller.
      if (chunk.length - first > this.max) {
        for (let p = first, next = chunk.indexOf(10, p + 1); next >= 0; p = next, next = chunk.indexOf(10, p + 1)) {
          if (next - p - 1 > this.max) this.fail();
        }
      }
      this.run = chunk.length - 1 - chunk.lastIndexOf(10);
    }
    if (this.run > this.max) this.fail();
  }

  private fail(): never {
    throw new FileLimitError(
      this.file,
      `a line longer than ${formatBytes(this.max)} (not an AEMO CSV, or a zip bomb); rejected`,
    );
  }
}
