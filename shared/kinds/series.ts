// The columnar shapes many kinds answer with. Times are epoch seconds. A 5-minute point is stamped with its interval
// END (AEMO's convention); a 30-minute point with its bucket's end; a daily point with the NEM-midnight (UTC+10)
// start of its day. `null` marks a gap.
import type { Resolution } from './window.ts';

export type Column = (number | null)[];

/** Columnar and uPlot-ready: one x array, one array per named series, all the same length. */
export interface Series<Name extends string = string> {
  time: number[];
  series: Record<Name, Column>;
  unit: string;
  resolution: Resolution;
}

/** Hour-of-day profile: `hours` is 0..23 in NEM time, hour h covering intervals ending after h:00 up to (h+1):00. */
export interface TimeOfDay<Name extends string = string> {
  hours: number[];
  series: Record<Name, Column>;
  unit: string;
}

/**
 * Answers whose values hold rooftop solar: the stamps of the points that hold a rooftop value carried forward from
 * the region's previous half hour because AEMO has not published this one yet (the live edge), replaced when it comes.
 * Absent when there are none.
 */
export interface RooftopMark {
  rooftopEstimated?: number[];
}
