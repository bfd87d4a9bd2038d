// Polling for a condition a test cannot be told about: a frame arriving, a counter moving, a process ready.

/** Polls `read` until `ok` holds (or throws after `timeoutMs`, with the last value). */
export async function waitFor<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls until `ok()` (or throws after `timeoutMs`, naming what was awaited). */
export async function until(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  try {
    await waitFor(ok, Boolean, timeoutMs);
  } catch (err) {
    throw new Error(`waiting for ${what}: ${(err as Error).message}`, { cause: err });
  }
}
