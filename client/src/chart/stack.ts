// Stacked areas with negatives: positive parts stack upward from zero, negative parts (battery charging, net
// export) stack downward from zero, so a fuel that is both appears as two layers and nothing cancels out.
import type uPlot from 'uplot';
import type { Column } from '../../../shared/kinds/series.ts';

export interface Layer {
  /** Index of the input series this layer draws. */
  src: number;
  sign: 1 | -1;
  /** Drawn as its own line over the stack (demand over generation), not stacked. */
  over?: true;
}

export interface Stacked {
  /** One cumulative array per layer, in draw order: positive layers bottom-up, then negative layers top-down. */
  columns: Column[];
  layers: Layer[];
  /** uPlot bands (1-based series indices) filling between each layer and the one it sits on. */
  bands: uPlot.Band[];
}

/** `over`: series drawn as lines over the stack, after its layers; the stack and its gaps ignore them. */
export function stackColumns(
  values: readonly Column[],
  hidden: ReadonlySet<number> = new Set(),
  over: ReadonlySet<number> = new Set(),
): Stacked {
  const n = values[0]?.length ?? 0;
  const visible = values.map((_, i) => i).filter((i) => !hidden.has(i) && !over.has(i));
  // An instant where every visible series is missing is a gap, not a zero.
  const gap = new Array<boolean>(n);
  for (let j = 0; j < n; j++) gap[j] = visible.every((i) => values[i][j] === null || values[i][j] === undefined);

  const layers: Layer[] = [];
  const columns: Column[] = [];
  for (const sign of [1, -1] as const) {
    const acc = new Float64Array(n);
    for (const i of visible) {
      const v = values[i];
      if (!v.some((x) => x !== null && x * sign > 0)) continue;
      const col: Column = new Array(n);
      for (let j = 0; j < n; j++) {
        const x = v[j];
        if (x !== null && x * sign > 0) acc[j] += x;
        col[j] = gap[j] ? null : acc[j];
      }
      layers.push({ src: i, sign });
      columns.push(col);
    }
  }

  const bands: uPlot.Band[] = [];
  for (let k = 1; k < layers.length; k++) {
    if (layers[k].sign !== layers[k - 1].sign) continue; // the first layer of each sign fills to zero instead
    // Series index = layer index + 1 (uPlot's 0 is x). Upward layers sit on the previous; downward hang below it.
    bands.push(layers[k].sign === 1 ? { series: [k + 1, k] } : { series: [k, k + 1] });
  }
  for (const i of over) {
    layers.push({ src: i, sign: 1, over: true });
    columns.push(values[i]);
  }
  return { columns, layers, bands };
}
