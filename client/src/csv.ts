// CSV downloads of what a chart or table shows: times in NEM time (ISO, +10:00), raw values, RFC 4180 quoting.
import { toNemIso } from '../../shared/nem.ts';

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/** Columnar series → CSV: one row per x, x formatted as NEM time (or hour of day). */
export function seriesCsv(
  x: readonly number[],
  xKind: 'time' | 'hour',
  columns: readonly { label: string; values: readonly (number | null)[] }[],
): string {
  const header = [xKind === 'time' ? 'time_nem' : 'hour_nem', ...columns.map((c) => c.label)];
  const rows = x.map((t, j) => [xKind === 'time' ? toNemIso(t) : t, ...columns.map((c) => c.values[j])]);
  return toCsv(header, rows);
}

export function downloadText(filename: string, text: string, type = 'text/csv;charset=utf-8'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** A file-name-safe stem: "generation-NSW1-7d". */
export function fileStem(...parts: (string | null | undefined)[]): string {
  return parts
    .filter(Boolean)
    .join('-')
    .replace(/[^A-Za-z0-9._-]+/g, '_');
}
