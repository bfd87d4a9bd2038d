// What <nem-chart> is given: columnar data (x plus named columns) and how to draw it.
import type { Column } from '../../../shared/kinds/series.ts';

export interface ChartSeries {
  label: string;
  color: string;
  values: Column;
  /** 2 puts the series on the right-hand axis (config.unit2). */
  axis?: 1 | 2;
  dash?: number[];
  width?: number;
  /** Stacked charts: draw this series as a line over the stack instead of stacking it (demand over generation). */
  over?: boolean;
  /** Line charts: shade under this series. */
  fill?: boolean;
  /** Starts hidden (the legend can show it): for secondary lines such as limits. */
  hidden?: boolean;
  /** Series sharing a group get one legend entry that shows or hides them together (e.g. "Limits"). */
  group?: string;
}

export interface ChartData {
  /** Epoch seconds for time charts; hours 0–23 for time-of-day charts. */
  x: number[];
  series: ChartSeries[];
  /** Points whose values are partly estimated: the readout of one of these x says `text` after its time. */
  marks?: { x: number[]; text: string };
}

export interface ChartConfig {
  type?: 'line' | 'stacked';
  x?: 'time' | 'hour';
  unit: string;
  unit2?: string;
  height?: number;
  /** Charts with the same key share the cursor (stacked panels of one tab). */
  sync?: string;
  /** File name stem for CSV downloads. */
  csvName?: string;
}
