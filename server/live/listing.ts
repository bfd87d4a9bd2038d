// Reads a NEMWEB-style directory listing: the IIS page with one <a href> per file, as served at
// https://nemweb.com.au/Reports/Current/<Feed>/. Only links to report files (.zip/.csv) count; the parent-directory
// link, sort links and anything else are ignored.
import { isReportName } from './complete.ts';

export interface ListedFile {
  /** The file name, URL-decoded (NEMWEB's archive names hold '#', linked as %23). */
  name: string;
  /** Absolute URL to download it from. */
  url: string;
}

const HREF = /<a\s[^>]*?href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))/gi;

/** Report files linked from a listing page, in name order, each once. */
export function parseListing(html: string, pageUrl: string): ListedFile[] {
  const byName = new Map<string, ListedFile>();
  for (const m of html.matchAll(HREF)) {
    const href = decodeEntities(m[1] ?? m[2] ?? m[3] ?? '');
    let url: URL;
    try {
      url = new URL(href, pageUrl);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const last = url.pathname.split('/').pop() ?? '';
    let name: string;
    try {
      name = decodeURIComponent(last);
    } catch {
      name = last;
    }
    if (!isReportName(name) || name.includes('/')) continue;
    url.hash = '';
    byName.set(name, { name, url: url.href });
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function decodeEntities(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));
}
