// The client build: a hashed, minified module under budget, index.html pointing at it, faithful gzip/brotli
// variants, and ensureClientBuilt rebuilding only when an input changed.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { BUDGET_GZIP_BYTES, buildClient, ensureClientBuilt, staleReason } from './build.ts';

const dir = join(mkdtempSync(join(tmpdir(), 'nemlive-client-')), 'dist');
afterAll(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

describe('client build', () => {
  it('writes a hashed bundle under budget, an index.html that loads it, and exact compressed twins', async () => {
    const { manifest } = await buildClient(dir);
    expect(manifest.entry).toMatch(/^app-[A-Z0-9]{8}\.js$/);
    const html = readFileSync(join(dir, 'index.html'), 'utf8');
    expect(html).toContain(`<script type="module" src="/${manifest.entry}"></script>`);
    expect(html).not.toContain('__ENTRY__');
    for (const [name, info] of Object.entries(manifest.files)) {
      const raw = readFileSync(join(dir, name));
      expect(raw.length).toBe(info.bytes);
      expect(gunzipSync(readFileSync(join(dir, `${name}.gz`))).equals(raw), `${name}.gz`).toBe(true);
      expect(brotliDecompressSync(readFileSync(join(dir, `${name}.br`))).equals(raw), `${name}.br`).toBe(true);
      expect(statSync(join(dir, `${name}.gz`)).size).toBe(info.gzip);
    }
    expect(manifest.files[manifest.entry].gzip).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    const js = readFileSync(join(dir, manifest.entry), 'utf8');
    // Minified: comments gone, local names shortened.
    expect(js.includes("The benchmark's")).toBe(false);
    expect(js.includes('firstChartMarked')).toBe(false);
    expect(manifest.inputs).toContain('client/src/main.ts');
    expect(manifest.inputs).toContain('shared/protocol.ts');
    expect(readdirSync(join(dir, '..')).filter((n) => n.includes('.tmp-') || n.includes('.old-'))).toEqual([]);
  });

  it('rebuilds only when an input is newer than the bundle', async () => {
    expect(await staleReason(dir)).toBeNull();
    const again = await ensureClientBuilt(dir);
    expect(again.rebuilt).toBe(false);

    const input = join(import.meta.dirname, 'src', 'format.ts');
    const { atime, mtime } = statSync(input);
    try {
      const later = new Date(Date.parse(again.manifest.builtAt) + 5000);
      utimesSync(input, later, later);
      expect(await staleReason(dir)).toBe('client/src/format.ts changed');
      const rebuilt = await ensureClientBuilt(dir);
      expect(rebuilt.rebuilt).toBe(true);
    } finally {
      utimesSync(input, atime, mtime);
    }
    rmSync(join(dir, 'index.html'));
    expect(await staleReason(dir)).toBe('index.html is missing');
  });
});
