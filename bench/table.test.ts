import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../soak/spawn-server.ts';
import { formatMarkdown, formatTable } from './table.ts';

const rows = [
  {
    name: 'cached throughput vs baseline',
    value: 41234.5,
    unit: 'queries/s',
    baseline: 1520,
    ratio: 27.13,
    goal: '≥ 10×',
  },
  { name: 'memory per idle session', value: 23.456, unit: 'KB', note: 'a | b' },
];

describe('bench output', () => {
  it('prints aligned rows with baseline and ratio side by side', () => {
    const lines = formatTable(rows).split('\n');
    expect(lines[0]).toMatch(/^benchmark\s+value\s+baseline\s+ratio\s+goal$/);
    expect(lines[2]).toMatch(/cached throughput vs baseline\s+41,235 queries\/s\s+1,520 queries\/s\s+27\.1×\s+≥ 10×/);
    expect(lines[3]).toMatch(/memory per idle session\s+23\.5 KB$/);
    expect(lines[2].length).toBe(lines[0].length); // right-aligned columns end together
  });

  it('writes Markdown with escaped cells', () => {
    const md = formatMarkdown(rows);
    expect(md.split('\n')).toHaveLength(4);
    expect(md).toContain('| a \\| b |');
  });

  it('runs one module, skips absent ones, and writes the JSON of CONTRACT §1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nemlive-bench-'));
    try {
      const file = join(dir, 'bench.json');
      const out = spawnSync(
        process.execPath,
        ['--import', 'tsx', 'bench/cli.ts', '--quick', '--only', 'codec', '--json', file],
        { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
      );
      expect(out.stderr).not.toMatch(/FAIL/);
      expect(out.status).toBe(0);
      expect(out.stdout).toMatch(/2 cores|\d+ cores/);
      const j = JSON.parse(readFileSync(file, 'utf8'));
      expect(j.machine.cores).toBeGreaterThan(0);
      expect(j.results.map((r: { name: string }) => r.name)).toEqual(
        expect.arrayContaining([expect.stringMatching(/^codec: encode/), expect.stringMatching(/^codec: decode/)]),
      );
      for (const r of j.results) {
        expect(typeof r.value).toBe('number');
        expect(typeof r.unit).toBe('string');
        expect(r.ratio).toBeCloseTo(r.baseline / r.value, 0); // every codec ratio is JSON ÷ msgpack
      }
      const bad = spawnSync(process.execPath, ['--import', 'tsx', 'bench/cli.ts', '--only', 'nope'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/no benchmark named nope/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
