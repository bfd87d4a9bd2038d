// What a kind's contract is written in: a parameter schema (the client's input, validated by validate.ts) and the
// type of its answer. Family modules (prices.ts, generation.ts, …) write one contract per kind with these parts.
import { FUELS, REGIONS, REGION_CHOICES } from '../nem.ts';
import { RANGES, RESOLUTIONS } from './window.ts';

export type ParamSpec =
  | { type: 'enum'; values: readonly string[]; default?: string }
  | { type: 'enumList'; values: readonly string[]; default: readonly string[] }
  | { type: 'epoch' }
  | { type: 'int'; min: number; max: number; default: number }
  | { type: 'string'; maxLength: number; default?: string }
  | { type: 'custom'; parse: (value: unknown) => Parsed<unknown>; describe: string };
/** What a custom parameter's parser gives: the canonical value, or why the raw one is refused. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };
type Schema = Record<string, ParamSpec>;

// The parameters most kinds share, so each is defined (and refused) the same way everywhere.
export const region = { type: 'enum', values: REGION_CHOICES, default: 'NEM' } as const;
export const regions = { type: 'enumList', values: REGIONS, default: REGIONS } as const;
export const fuels = { type: 'enumList', values: FUELS, default: FUELS } as const;
const range = { type: 'enum', values: RANGES, default: '24h' } as const;
const epoch = { type: 'epoch' } as const;
const resolution = { type: 'enum', values: RESOLUTIONS, default: 'auto' } as const;
export const timeParams = { range, from: epoch, to: epoch } as const;
export const seriesParams = { ...timeParams, resolution } as const;
export const unitParams = {
  duid: { type: 'string', maxLength: 32 },
  station: { type: 'string', maxLength: 120 },
} as const;
/** The cross-parameter rule of kinds taking unitParams: exactly one of duid or station. */
export const oneUnit = (p: Record<string, unknown>): string | undefined =>
  !p.duid === !p.station ? 'give exactly one of duid or station' : p.duid === '' ? 'duid must not be empty' : undefined;

/** The canonical value of a parameter of spec S (after validation). */
export type ParamValue<S> = S extends { type: 'enum'; values: readonly (infer V)[] }
  ? V
  : S extends { type: 'enumList'; values: readonly (infer V)[] }
    ? V[]
    : S extends { type: 'epoch' }
      ? number | undefined
      : S extends { type: 'int' }
        ? number
        : S extends { type: 'string'; default: string }
          ? string
          : S extends { type: 'custom'; parse: (value: unknown) => Parsed<infer T> }
            ? T
            : string | undefined;

declare const resultType: unique symbol;
/** A kind's result type, carried for the compiler only: `returns<T>()` is an empty object at run time. */
interface Returns<T> {
  readonly [resultType]?: T;
}
export const returns = <T>(): Returns<T> => ({});
export type ResultIn<C> = C extends { result: Returns<infer T> } ? T : never;

export interface Contract<T = unknown> {
  params: Schema;
  result: Returns<T>;
  /** How the answer is computed, in a sentence or two for the user: the dashboard shows it beside the panel. */
  about: string;
  /** A rule across parameters, given the canonical values; returns the refusal's message. */
  check?: (params: Record<string, unknown>) => string | undefined;
  /**
   * The answer can change without the watermark moving (alerts: a market notice arrives between intervals), so it is
   * never cached: computed each time, a small query over a small table.
   */
  uncached?: true;
}
/** A family's contracts, by kind name. */
export type Contracts = Record<string, Contract>;
