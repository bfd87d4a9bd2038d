// Builds uPlot options for a <nem-chart>: NEM-time axis, theme-aware colours read at draw time, aligned axis
// widths (so stacked charts line up), and stacking with negatives via bands.
import type uPlot from 'uplot';
import { fmtAxis } from '../format.ts';
import { fmtNemClock, fmtNemDay, fmtNemMonth, nemTzDate } from '../nem-time.ts';
import { currentPalette } from '../theme.ts';
import { stackColumns, type Layer } from './stack.ts';
import type { ChartConfig, ChartData } from './types.ts';

export const AXIS_WIDTH = 58;
const FONT = '11px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

export interface Built {
  opts: uPlot.Options;
  aligned: uPlot.AlignedData;
  /** For each uPlot series after x: the input series it draws. */
  layers: Layer[];
}

/** The data in uPlot's shape; stacked charts get cumulative layers. Used for both create and setData. */
export function alignData(
  config: ChartConfig,
  data: ChartData,
  hidden: ReadonlySet<number>,
): { aligned: uPlot.AlignedData; layers: Layer[]; bands: uPlot.Band[] } {
  if (config.type === 'stacked') {
    const over = new Set(data.series.flatMap((d, i) => (d.over ? [i] : [])));
    const s = stackColumns(
      data.series.map((d) => d.values),
      hidden,
      over,
    );
    return { aligned: [data.x, ...s.columns] as uPlot.AlignedData, layers: s.layers, bands: s.bands };
  }
  const layers = data.series.map((_, src) => ({ src, sign: 1 as const }));
  return { aligned: [data.x, ...data.series.map((d) => d.values)] as uPlot.AlignedData, layers, bands: [] };
}

function axis(scale: string, side: 1 | 3 | 0 | 2, unit: string): uPlot.Axis {
  return {
    scale,
    side,
    size: AXIS_WIDTH,
    font: FONT,
    stroke: () => currentPalette().muted,
    grid: { show: side === 3, stroke: () => currentPalette().grid, width: 1 },
    ticks: { show: false },
    values: (_u, splits) =>
      splits.map((v) =>
        v === null
          ? ''
          : unit === '$/MWh'
            ? `${v < 0 ? '−' : ''}$${fmtAxis(Math.abs(v))}`
            : unit === '%'
              ? `${fmtAxis(v)}%`
              : fmtAxis(v),
      ),
  };
}

/**
 * Time-axis labels in NEM time, 24-hour: "06:00", with the day under the first tick of each day; whole days as
 * "Tue 14 Apr"; months as "Apr 2026". Tick positions come from uPlot using `tzDate`, so they fall on NEM hours.
 */
function timeValues(_u: uPlot, splits: number[], _axis: number, _space: number, incr: number): string[] {
  let lastDay = '';
  return splits.map((t) => {
    if (incr >= 28 * 86400) return fmtNemMonth(t);
    const day = fmtNemDay(t);
    if (incr >= 86400) return day;
    const label = day !== lastDay ? `${fmtNemClock(t)}\n${day}` : fmtNemClock(t);
    lastDay = day;
    return label;
  });
}

/** Stacked charts always show zero; lines get a little headroom. */
function yRange(includeZero: boolean): uPlot.Range.Function {
  return (_u, min, max) => {
    if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
    if (includeZero) {
      min = Math.min(0, min);
      max = Math.max(0, max);
    }
    const span = max - min || Math.abs(max) || 1;
    return [min < 0 || !includeZero ? min - span * 0.05 : 0, max + span * 0.05];
  };
}

export function buildOptions(config: ChartConfig, data: ChartData, hidden: ReadonlySet<number>, width: number): Built {
  const { aligned, layers, bands } = alignData(config, data, hidden);
  const stacked = config.type === 'stacked';
  const isTime = (config.x ?? 'time') === 'time';
  const series: uPlot.Series[] = [{}];
  for (let k = 0; k < layers.length; k++) {
    const src = data.series[layers[k].src];
    const firstOfSign = k === 0 || layers[k - 1].sign !== layers[k].sign;
    const fills = stacked && !layers[k].over;
    series.push({
      label: src.label,
      scale: src.axis === 2 ? 'y2' : 'y',
      stroke: src.color,
      // Stacked layers are drawn as fills only: a stroke would outline every layer, even empty ones on top.
      width: fills ? 0 : (src.width ?? 1.5),
      dash: src.dash,
      fill: fills ? src.color + 'd9' : src.fill ? src.color + '33' : undefined,
      fillTo: fills && firstOfSign ? 0 : undefined,
      show: !hidden.has(layers[k].src),
      points: { show: false },
      spanGaps: src.spanGaps ?? false,
    });
  }
  const hasY2 = data.series.some((s) => s.axis === 2);
  const axes: uPlot.Axis[] = [
    {
      font: FONT,
      stroke: () => currentPalette().muted,
      grid: { stroke: () => currentPalette().grid, width: 1 },
      ticks: { show: false },
      space: isTime ? 70 : 30,
      ...(isTime
        ? { values: timeValues }
        : {
            values: (_u: uPlot, splits: number[]) => splits.map((h) => `${String(h).padStart(2, '0')}:00`),
            incrs: [1, 2, 3, 6],
          }),
    },
    axis('y', 3, config.unit),
  ];
  if (hasY2) axes.push(axis('y2', 1, config.unit2 ?? ''));

  const opts: uPlot.Options = {
    width,
    height: config.height ?? 260,
    tzDate: nemTzDate,
    // Room on the right for the last tick's label, centred on the plot's edge.
    padding: [10, hasY2 ? 0 : 30, 0, 0],
    legend: { show: false },
    scales: {
      x: { time: isTime, ...(isTime ? {} : { range: [0, 23] as uPlot.Range.MinMax }) },
      // Filled series (stacks, output areas) need their zero baseline in view.
      y: { range: yRange(stacked || data.series.some((s) => s.fill && s.axis !== 2)) },
      ...(hasY2 ? { y2: { range: yRange(false) } } : {}),
    },
    axes,
    series,
    bands,
    cursor: {
      sync: config.sync ? { key: config.sync, setSeries: false } : undefined,
      drag: { x: isTime, y: false, setScale: true },
      points: { size: 6 },
      focus: { prox: -1 },
    },
  };
  return { opts, aligned, layers };
}
