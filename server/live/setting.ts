// What a LIVE value says: which feed driver, with its argument. The one reading of LIVE: server/config.ts refuses a
// value this cannot read, so the feed (server/live/feed.ts) only ever sees ones it can.

type FeedKind = 'off' | 'demo' | 'watch' | 'http';

/** Which driver a LIVE value selects, with its argument. Throws on a value that selects none. */
export function parseLive(live: string): { kind: FeedKind; dir?: string; urls?: string[] } {
  if (live === 'off') return { kind: 'off' };
  if (live === 'demo') return { kind: 'demo' };
  if (/^watch:.+/.test(live)) return { kind: 'watch', dir: live.slice('watch:'.length) };
  const urls = live
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (urls.length > 0 && urls.every((u) => /^https?:\/\/\S+$/.test(u))) return { kind: 'http', urls };
  throw new Error('must be demo, off, watch:/path or an http(s):// URL (several URLs separated by commas)');
}
