// The printed benchmark table: one row per result, numbers aligned, baseline and ratio side by side.
import type { BenchResult } from './types.ts';

function fmt(x: number | undefined): string {
  if (x === undefined) return '';
  if (!Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return x.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

export function formatTable(results: readonly BenchResult[]): string {
  const rows = [
    ['benchmark', 'value', 'baseline', 'ratio', 'goal'],
    ...results.map((r) => [
      r.name,
      `${fmt(r.value)} ${r.unit}`,
      r.baseline === undefined ? '' : `${fmt(r.baseline)} ${r.unit}`,
      r.ratio === undefined ? '' : `${fmt(r.ratio)}×`,
      r.goal ?? '',
    ]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

/** The same table as Markdown, for docs/benchmarks.md and the README. */
export function formatMarkdown(results: readonly BenchResult[]): string {
  const esc = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| benchmark | value | baseline | ratio | goal | note |',
    '| --- | ---: | ---: | ---: | --- | --- |',
    ...results.map(
      (r) =>
        `| ${esc(r.name)} | ${fmt(r.value)} ${r.unit} | ${r.baseline === undefined ? '' : `${fmt(r.baseline)} ${r.unit}`} | ${r.ratio === undefined ? '' : `${fmt(r.ratio)}×`} | ${r.goal ?? ''} | ${esc(r.note ?? '')} |`,
    ),
  ].join('\n');
}
