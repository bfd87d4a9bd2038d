import { describe, expect, it } from 'vitest';
import { fuelChart, rooftopMarks, withDemand } from './adapt.ts';

describe('rooftop marks', () => {
  const gen = {
    time: [300, 600, 900],
    series: { Coal: [1, 2, 3], 'Rooftop Solar': [5, 5, 5] },
    unit: 'MW',
    resolution: '5m' as const,
  };
  const demand = { ...gen, series: { operational: [1, 2, 3], underlying: [6, 7, 8] } };

  it('marks the points holding a carried rooftop value "rooftop estimated", through the demand overlay', () => {
    const chart = withDemand(fuelChart({ ...gen, rooftopEstimated: [600, 900] }), demand);
    expect(chart.marks).toEqual({ x: [600, 900], text: 'rooftop estimated' });
    expect(chart.series.map((s) => s.label)).toEqual([
      'Coal',
      'Rooftop Solar',
      'Demand (underlying)',
      'Demand (operational)',
    ]);
  });

  it('marks nothing when no point holds one', () => {
    expect(fuelChart(gen)).not.toHaveProperty('marks');
    expect(rooftopMarks({})).toEqual({});
  });
});
