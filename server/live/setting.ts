// What a LIVE value says: which feed driver, with its argument. The one reading of LIVE: server/config.ts refuses a
// value this cannot read, so the feed (server/live/feed.ts) only ever sees ones it can.

type FeedKind = 'off' | 'demo' | 'watch' | 'http';

/** AEMO's site; NEMWEB_URL replaces it (a mirror, or a test server laid out the same way). */
export const NEMWEB_URL = 'https://nemweb.com.au';
/**
 * LIVE=nemweb: the Current folders whose files the store takes (../shared/NEMWEB-LAYOUT.md): dispatch prices, regional
 * sums and flows; unit SCADA; rooftop PV; yesterday's per-unit dispatch and availability; the emission factors; the
 * market notices (one small text file each, server/alerts/notices.ts).
 */
export const NEMWEB_FOLDERS = [
  'DispatchIS_Reports',
  'Dispatch_SCADA',
  'ROOFTOP_PV/ACTUAL',
  'Next_Day_Dispatch',
  'Next_Day_Intermittent_Gen_Scada',
  'CDEII',
  'Market_Notice',
] as const;

/** Which driver a LIVE value selects, with its argument. Throws on a value that selects none. */
export function parseLive(live: string, nemwebUrl = NEMWEB_URL): { kind: FeedKind; dir?: string; urls?: string[] } {
  if (live === 'off') return { kind: 'off' };
  if (live === 'demo') return { kind: 'demo' };
  if (live === 'nemweb') {
    const base = nemwebUrl.replace(/\/+$/, '');
    return { kind: 'http', urls: NEMWEB_FOLDERS.map((f) => `${base}/Reports/Current/${f}/`) };
  }
  if (/^watch:.+/.test(live)) return { kind: 'watch', dir: live.slice('watch:'.length) };
  const urls = live
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length > 0 && urls.every((u) => /^https?:\/\/\S+$/.test(u))) return { kind: 'http', urls };
  throw new Error('must be demo, nemweb, off, watch:/path or an http(s):// URL (several URLs separated by commas)');
}
