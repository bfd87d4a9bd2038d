// /healthz's per-source lags with WORKERS=2: the supervisor's feed owns each source's newest interval and tells the
// workers; whichever worker the kernel picks answers with them (lags on its own clock), as HEALTH_PORT does, and a
// late source makes every one of them say `degraded`.
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchIs, dispatchScada, rooftopActual } from '../../bench/nemweb/files.ts';
import { nemwebSite, type NemwebSite } from '../../bench/nemweb/site.ts';
import { NEMWEB_FOLDERS } from '../../server/live/setting.ts';
import { freePort } from '../../server/port.ts';
import { lastWholeInterval, toNemIso } from '../../shared/nem.ts';
import { storeDir, type StoreDir } from '../live/harness.ts';
import { startServer, type Child } from './child.ts';
import { waitFor } from '../util/wait.ts';

interface Sources {
  [name: string]: { asOf: string | null; lagS: number | null; late: boolean };
}
interface HealthView {
  status: string;
  worker?: { id: number };
  sources?: Sources;
}

/** One GET on a fresh connection (so the kernel picks a worker each time). */
function fetchFresh(url: string): Promise<{ status: number; body: HealthView }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as HealthView }));
    });
    req.on('error', reject);
  });
}

// Prices and SCADA of the last whole interval (fresh); rooftop PV of a half hour three hours ago (later than
// SOURCE_LATE_S + 30 minutes).
const T = lastWholeInterval(Date.now());
const ROOF = Math.floor(T / 1800) * 1800 - 3 * 3600;

let web: NemwebSite;
let store: StoreDir;
let child: Child;
let url: string;
let healthPort: number;
beforeAll(async () => {
  web = await nemwebSite();
  for (const f of NEMWEB_FOLDERS) web.feeds.set(`Reports/Current/${f}`, []);
  web.feeds.get('Reports/Current/DispatchIS_Reports')!.push(dispatchIs(T, 50, { demand: { NSW1: 8000 } }));
  web.feeds.get('Reports/Current/Dispatch_SCADA')!.push(dispatchScada(T, { BW01: 600 }));
  web.feeds.get('Reports/Current/ROOFTOP_PV/ACTUAL')!.push(rooftopActual(ROOF, { NSW1: 100 }));
  store = await storeDir(0);
  healthPort = await freePort('127.0.0.1');
  child = startServer(store, {
    WORKERS: '2',
    LIVE: 'nemweb',
    NEMWEB_URL: web.base,
    SOURCE_LATE_S: '900',
    HEALTH_PORT: String(healthPort),
  });
  url = await child.listening();
}, 120_000);
afterAll(async () => {
  child?.proc.kill('SIGTERM');
  await child?.exit;
  await web?.close();
  store?.remove();
});

describe('/healthz sources with WORKERS=2', () => {
  it("every worker lists each source's newest interval and lag, and says degraded for the late one", async () => {
    const seen = new Map<number, { status: number; body: HealthView }>();
    await waitFor(
      async () => {
        const r = await fetchFresh(`${url}/healthz`);
        if (r.body.sources?.prices.asOf === toNemIso(T)) seen.set(r.body.worker!.id, r);
        return seen.size;
      },
      (n) => n === 2,
      60_000,
    );
    for (const { status, body } of seen.values()) {
      expect(status).toBe(503);
      expect(body.status).toBe('degraded');
      const s = body.sources!;
      expect(s.prices).toMatchObject({ asOf: toNemIso(T), late: false });
      expect(s.scada).toMatchObject({ asOf: toNemIso(T), late: false });
      expect(s.prices.lagS).toBeLessThan(900);
      expect(s.rooftop).toMatchObject({ asOf: toNemIso(ROOF), late: true });
      expect(s.rooftop.lagS).toBeGreaterThan(3 * 3600 - 1);
      expect(s.interconnectors).toEqual({ asOf: null, lagS: null, late: false }); // never fed: not counted
    }
  });

  it('HEALTH_PORT (the supervisor) says the same', async () => {
    const r = await fetchFresh(`http://127.0.0.1:${healthPort}/healthz`);
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('degraded');
    expect(r.body.sources!.prices).toMatchObject({ asOf: toNemIso(T), late: false });
    expect(r.body.sources!.rooftop).toMatchObject({ asOf: toNemIso(ROOF), late: true });
  });
});
