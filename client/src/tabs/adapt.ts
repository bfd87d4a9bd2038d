// Server results → <nem-chart> data and table cells: fuel and region colours from shared/nem.ts, fixed stacking
// order, and empty fuels dropped so legends list only what is there.
import { html } from 'lit';
import {
  FUELS,
  FUEL_COLOURS,
  REGIONS,
  REGION_COLOURS,
  REGION_NAMES,
  type Region,
  type RegionChoice,
} from '../../../shared/nem.ts';
import type { DemandSeries } from '../../../shared/kinds/demand.ts';
import type { InterconnectorFlows } from '../../../shared/kinds/interconnectors.ts';
import type { Column, RooftopMark, Series, TimeOfDay } from '../../../shared/kinds/series.ts';
import type { ChartData, ChartSeries } from '../chart/types.ts';
import type { TableColumn } from '../elements/nem-table.ts';

/** "NSW", "SA", "NEM": region ids without AEMO's trailing 1, for chips and legends. */
export const shortRegion = (r: RegionChoice): string => r.replace(/1$/, '');

/** A region with its colour swatch and full name. */
export const regionCell = (r: Region) =>
  html`<span class="swatch" style="background:${REGION_COLOURS[r]}"></span> ${REGION_NAMES[r]}`;

/** The Region column of a per-region table, sorted in REGIONS order. */
export const REGION_COLUMN: TableColumn = {
  key: 'region',
  label: 'Region',
  format: (v) => regionCell(v as Region),
  sortValue: (r) => REGIONS.indexOf(r.region as Region),
};

const hasValues = (c: Column | undefined): c is Column => !!c && c.some((v) => v !== null && v !== 0);

/** Stack order is FUELS order (baseload at the bottom); fuels the answer lacks or that are all zero are left out. */
export function fuelSeries(series: Record<string, Column>): ChartSeries[] {
  return FUELS.filter((f) => hasValues(series[f])).map((f) => ({
    label: f,
    color: FUEL_COLOURS[f],
    values: series[f],
  }));
}

function regionSeries(series: Record<string, Column>): ChartSeries[] {
  return REGIONS.filter((r) => series[r]).map((r) => ({
    label: shortRegion(r),
    color: REGION_COLOURS[r],
    values: series[r],
  }));
}

/** The chart marks of an answer holding rooftop values carried forward (not yet published): "rooftop estimated". */
export const rooftopMarks = (a: RooftopMark): Pick<ChartData, 'marks'> =>
  a.rooftopEstimated ? { marks: { x: a.rooftopEstimated, text: 'rooftop estimated' } } : {};

export const fuelChart = (s: (Series & RooftopMark) | TimeOfDay): ChartData => ({
  x: 'time' in s ? s.time : s.hours,
  series: fuelSeries(s.series),
  ...('time' in s ? rooftopMarks(s) : {}),
});
export const regionChart = (s: Series | TimeOfDay): ChartData => ({
  x: 'time' in s ? s.time : s.hours,
  series: regionSeries(s.series),
});

/** Demand's line colour: apart from every fuel's, legible on both themes. */
export const DEMAND_COLOUR = '#d61f8c';

/**
 * A generation stack with demand drawn over it. The stack holds rooftop solar and net imports, so its top is
 * underlying demand (plus losses): that line is shown; operational demand (what AEMO's TOTALDEMAND reports, rooftop
 * left out) is one legend click away. Both kinds answer on the same time axis for the same window.
 */
export function withDemand(stack: ChartData, demand: Series<DemandSeries>): ChartData {
  const line = (label: string, values: Column, hidden: boolean): ChartSeries => ({
    label,
    color: DEMAND_COLOUR,
    values,
    over: true,
    width: 1.75,
    hidden,
    ...(hidden ? { dash: [5, 4] } : {}),
  });
  return {
    ...stack,
    series: [
      ...stack.series,
      line('Demand (underlying)', demand.series.underlying, false),
      line('Demand (operational)', demand.series.operational, true),
    ],
  };
}

/** The price line's colour: the region's own, or a neutral slate for the NEM (legible on both themes). */
export function priceColour(r: Region | 'NEM'): string {
  return r === 'NEM' ? '#7f8c9b' : REGION_COLOURS[r];
}

const LINK_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2'];

/** Flows solid; export and import limits dashed in the same colour, behind one "Limits" legend toggle (shown by
 * default only when one or two links are drawn, so the whole-NEM view stays readable). */
export function flowsChart(f: InterconnectorFlows): ChartData {
  const ids = Object.keys(f.series);
  const many = ids.length > 2;
  const series: ChartSeries[] = [];
  ids.forEach((id, i) => {
    const color = LINK_COLOURS[i % LINK_COLOURS.length];
    series.push({ label: id, color, values: f.series[id], width: 1.75 });
    const link = f.links?.[id];
    if (link && hasValues(link.exportLimit))
      series.push({
        label: `${id} export limit`,
        color,
        values: link.exportLimit,
        dash: [4, 4],
        width: 1,
        hidden: many,
        group: 'Limits',
      });
    if (link && hasValues(link.importLimit))
      series.push({
        label: `${id} import limit`,
        color,
        values: link.importLimit,
        dash: [2, 3],
        width: 1,
        hidden: many,
        group: 'Limits',
      });
  });
  return { x: f.time, series };
}
