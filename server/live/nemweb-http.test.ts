// The HTTP poller against a NEMWEB-style listing served by node:http on loopback, into a real store.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpFeed } from './nemweb-http.ts';
import { MAX_LISTING_BYTES } from './http-get.ts';
import { badDispatchIs, dispatchIs } from '../../bench/nemweb/files.ts';
import { nemwebSite as nemweb, type NemwebSite as Nemweb } from '../../bench/nemweb/site.ts';
import { storeHarness, type Harness } from '../../test/util/live-store.ts';
import { until } from '../../test/util/wait.ts';

const T0 = 1775000100;

let h: Harness;
let web: Nemweb;
beforeEach(async () => {
  h = await storeHarness();
  web = await nemweb();
});
afterEach(async () => {
  await web.close();
  h.close();
});

const fast = { retryBaseMs: 5, timeoutMs: 2000 };
const logged = (msg: string) => h.lines.filter((l) => l.msg === msg);

describe('HttpFeed', () => {
  it('downloads and ingests the files of a listing it has not taken, once, with conditional listing requests', async () => {
    const a = dispatchIs(T0);
    const b = dispatchIs(T0 + 300);
    web.feeds.set('DispatchIS_Reports', [a, b]);
    const feed = new HttpFeed([`${web.base}/DispatchIS_Reports/`], h.intake, h.log, fast);
    expect(await feed.poll()).toEqual([a.name, b.name]);
    expect(h.batches).toHaveLength(1);
    expect(await h.watermark()).toBe(T0 + 300);

    expect(await feed.poll()).toEqual([]);
    const c = dispatchIs(T0 + 600);
    web.feeds.get('DispatchIS_Reports')!.push(c);
    expect(await feed.poll()).toEqual([c.name]);
    expect(web.requests).toEqual([
      'GET /DispatchIS_Reports/',
      `GET /DispatchIS_Reports/${a.name}`,
      `GET /DispatchIS_Reports/${b.name}`,
      'GET /DispatchIS_Reports/ (conditional)', // answered 304: nothing new
      'GET /DispatchIS_Reports/ (conditional)',
      `GET /DispatchIS_Reports/${c.name}`,
    ]);
  });

  it('retries a 500 and a timeout with backoff, logging each retry, and still ingests', async () => {
    const a = dispatchIs(T0);
    web.feeds.set('f', [a]);
    web.fail(/^\/f\/$/, 1);
    web.hang(/\.zip$/, 1);
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, { ...fast, timeoutMs: 100 });
    expect(await feed.poll()).toEqual([a.name]);
    const retries = logged('live: request failed; retrying');
    expect(retries.map((l) => l.err)).toEqual([`HTTP 500 from ${web.base}/f/`, 'timed out after 100 ms']);
    expect(retries.every((l) => l.level === 40)).toBe(true);
    expect(logged('live: source down: ' + `${web.base}/f/`)).toHaveLength(0);
  });

  it('says once when a source is down, keeps polling, and says when it is back', async () => {
    const a = dispatchIs(T0);
    web.feeds.set('f', [a]);
    web.fail(/^\/f\/$/, 6); // three tries per poll: two polls fail
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, fast);
    expect(await feed.poll()).toEqual([]);
    expect(await feed.poll()).toEqual([]);
    const down = h.lines.filter((l) => /^live: source down/.test(l.msg));
    expect(down).toHaveLength(1);
    expect(down[0]).toMatchObject({ level: 40, url: `${web.base}/f/` });
    expect(down[0].msg).toContain('HTTP 500');
    expect(await feed.poll()).toEqual([a.name]);
    expect(h.lines.filter((l) => /^live: source is back/.test(l.msg))).toHaveLength(1);
  });

  it('does not chase files of a listing it cannot reach any more', async () => {
    const a = dispatchIs(T0);
    web.feeds.set('f', [a]);
    web.fail(/\.zip$/, 3); // the download fails all three tries
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, fast);
    expect(await feed.poll()).toEqual([]);
    expect(logged('live: download failed; will try again next poll').map((l) => l.url)).toEqual([
      `${web.base}/f/${a.name}`,
    ]);
    web.fail(/^\/f\/$/, 3); // then the listing goes down too
    const before = web.requests.length;
    expect(await feed.poll()).toEqual([]);
    expect(web.requests.slice(before)).toEqual(Array(3).fill('GET /f/ (conditional)'));
    expect(await feed.poll()).toEqual([a.name]); // both back
  });

  it('reports a refused connection as the source being down', async () => {
    await web.close();
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, { ...fast, retries: 0 });
    expect(await feed.poll()).toEqual([]);
    expect(h.lines.find((l) => /^live: source down/.test(l.msg))?.msg).toMatch(/ECONNREFUSED/);
    web = await nemweb(); // for afterEach
  });

  it('polls several listings and ingests their new files as one batch, in name order', async () => {
    const a = dispatchIs(T0);
    const b = dispatchIs(T0 + 300);
    web.feeds.set('one', [b]);
    web.feeds.set('two', [a]);
    const feed = new HttpFeed([`${web.base}/one/`, `${web.base}/two/`], h.intake, h.log, fast);
    expect(await feed.poll()).toEqual([a.name, b.name]);
    expect(h.batches).toHaveLength(1);
  });

  it('skips a bad file and takes the good ones; looks only at the newest `window` files', async () => {
    const files = [dispatchIs(T0), dispatchIs(T0 + 300), badDispatchIs(T0 + 600), dispatchIs(T0 + 900)];
    web.feeds.set('f', files);
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, { ...fast, window: 3 });
    expect(await feed.poll()).toEqual([files[1].name, files[3].name]);
    expect(logged('live: bad file skipped').map((l) => l.file)).toEqual([files[2].name]);
    expect(await feed.poll()).toEqual([]); // the bad file is not fetched again
    expect(web.requests.filter((r) => r.includes('999999999'))).toHaveLength(1);
    expect(await h.watermark()).toBe(T0 + 900);
  });

  it('runs on its own timer and stops promptly, even mid-request', async () => {
    web.feeds.set('f', [dispatchIs(T0)]);
    web.hang(/\.zip$/, 1);
    // A request timeout far beyond the test's own: only stop() aborting the download lets this test finish.
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, { ...fast, pollMs: 20, timeoutMs: 600_000 });
    feed.start();
    for (let i = 0; i < 200 && !web.requests.some((r) => r.endsWith('.zip')); i++)
      await new Promise((r) => setTimeout(r, 10));
    await feed.stop();
    expect(h.batches).toHaveLength(0);
    expect(logged('live: download failed; will try again next poll')).toHaveLength(0); // a stop is not a failure
  });

  it("follows AEMO's rhythm: takes a newly listed interval within fastMs, then rests until the next is due", async () => {
    // T0 is on the 5-minute grid; the wall clock runs from just after the interval ending T0 + 600 ends.
    const start = performance.now();
    const wall = { now: () => (T0 + 600 + 8) * 1000 + performance.now() - start };
    web.feeds.set('f', [dispatchIs(T0), dispatchIs(T0 + 300)]);
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, {
      ...fast,
      pollMs: 60_000,
      fastMs: 40,
      now: wall.now,
    });
    feed.start();
    try {
      await until(() => h.batches.length === 1, 'the first listing taken');
      const before = web.requests.length;
      await new Promise((r) => setTimeout(r, 300));
      const asked = web.requests.length - before;
      expect(asked).toBeGreaterThan(2); // the next interval is due: asked often (conditional listings)
      const c = dispatchIs(T0 + 600);
      web.feeds.get('f')!.push(c);
      // Taken long before a pollMs (60 s, beyond until's 20 s): by the fast rhythm.
      await until(() => h.batches.length === 2, 'the new interval taken');
      expect(await h.watermark()).toBe(T0 + 600);
      // Now nothing is due until T0 + 900 ends, minutes away: no more requests.
      const rested = web.requests.length;
      await new Promise((r) => setTimeout(r, 300));
      expect(web.requests.length).toBe(rested);
    } finally {
      await feed.stop();
    }
  });

  it('stops reading a file without a length once it passes maxBytes, instead of buffering it until the timeout', async () => {
    const a = dispatchIs(T0);
    web.feeds.set('f', [a]);
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024);
    // The zip never ends (no content-length): 16 MB as fast as it is read, then silence.
    const endless: typeof fetch = async (input, init) => {
      if (!String(input).endsWith('.zip')) return globalThis.fetch(input, init);
      const body = new ReadableStream<Uint8Array>({
        start: (c) => init?.signal?.addEventListener('abort', () => c.error(init.signal!.reason)),
        pull: (c) => {
          if (pulled >= 16 * 1024 * 1024) return new Promise<void>(() => undefined);
          pulled += chunk.length;
          c.enqueue(chunk);
        },
      });
      return new Response(body, { status: 200 });
    };
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, {
      ...fast,
      timeoutMs: 5000,
      retries: 0,
      maxBytes: 1024 * 1024,
      fetch: endless,
    });
    const t0 = performance.now();
    expect(await feed.poll()).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(pulled).toBeLessThanOrEqual(1024 * 1024 + 2 * chunk.length);
    expect(logged('live: download failed; will try again next poll')[0].err).toMatch(/over the 1048576 byte limit/);
  });

  it('stops reading a listing that never ends at MAX_LISTING_BYTES', async () => {
    let pulled = 0;
    const chunk = new TextEncoder().encode('<a href="x">x</a>'.repeat(4096));
    const endless: typeof fetch = async (_input, init) =>
      new Response(
        new ReadableStream<Uint8Array>({
          start: (c) => init?.signal?.addEventListener('abort', () => c.error(init.signal!.reason)),
          pull: (c) => {
            if (pulled >= 2 * MAX_LISTING_BYTES) return new Promise<void>(() => undefined);
            pulled += chunk.length;
            c.enqueue(chunk);
          },
        }),
        { status: 200 },
      );
    const feed = new HttpFeed([`${web.base}/f/`], h.intake, h.log, {
      ...fast,
      timeoutMs: 10_000,
      retries: 0,
      fetch: endless,
    });
    const t0 = performance.now();
    expect(await feed.poll()).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(pulled).toBeLessThanOrEqual(MAX_LISTING_BYTES + 2 * chunk.length);
    expect(h.lines.find((l) => /^live: source down/.test(l.msg))?.msg).toMatch(/over the 33554432 byte limit/);
  });
});
