// Emission factors, t CO2-e per MWh sent out, per unit. AEMO's CDEII file (CO2EII_AVAILABLE_GENERATORS.CSV) gives
// one per genset; a store without it (the demo) uses a factor per technology. `unit_factor` (a view) is the one
// place queries read a unit's factor from: CDEII's where imported, else its technology's, and says which.

/**
 * Factors by technology, for units CDEII does not list. First match wins: `tech` is tested against the registry's
 * technology text ("<technology descriptor> / <fuel descriptor>", e.g. "Steam Sub-Critical / Brown Coal"), lower-cased.
 * Values are typical of what CDEII publishes for such units (e.g. Bayswater BW01 black coal 0.91, Appin coal mine
 * gas 0.563; Loy Yang and Yallourn brown coal 1.1–1.3; combined-cycle gas about 0.4, open-cycle 0.55–0.7); wind,
 * solar, hydro and batteries emit nothing where they send out, and biomass is counted as AEMO counts it, at zero.
 */
/** Coal or gas whose technology the registry does not say: the commonest kind's factor. */
const SUBCRITICAL_COAL = 0.93;
const OPEN_CYCLE_GAS = 0.62;

const TECHNOLOGY_FACTORS: readonly { tech: RegExp; factor: number }[] = [
  { tech: /brown coal/, factor: 1.2 }, // brown coal steam
  { tech: /super critical.*black coal|black coal.*super critical/, factor: 0.83 }, // black coal, supercritical
  { tech: /black coal/, factor: SUBCRITICAL_COAL },
  { tech: /coal seam methane|coal mine gas|ethane/, factor: 0.56 }, // coal seam or mine gas
  { tech: /combined cycle/, factor: 0.4 }, // gas, combined cycle
  { tech: /diesel|kerosene|fuel oil/, factor: 0.8 }, // liquid fuel
  { tech: /reciprocating.*natural gas|natural gas.*reciprocating/, factor: 0.55 }, // gas engine
  { tech: /steam.*natural gas/, factor: 0.6 }, // gas, steam
  { tech: /natural gas|ocgt|open cycle/, factor: OPEN_CYCLE_GAS },
];

/**
 * The technology factor of a unit as a SQL expression over `units` (aliased `u`): coal or gas without a known
 * technology gets the common kind's factor, anything else without a match 0.
 */
function technologySql(): string {
  const arms = TECHNOLOGY_FACTORS.map(
    (f) =>
      `WHEN regexp_matches(lower(coalesce(u.technology, '')), '${f.tech.source.replace(/'/g, "''")}') THEN ${f.factor}`,
  );
  // Only fossil fuels have a technology factor: a biomass unit "Steam Sub-Critical / Bagasse" must not match coal.
  return `CASE WHEN u.fuel NOT IN ('Coal', 'Gas', 'Other') THEN 0 ${arms.join(' ')}
    WHEN u.fuel = 'Coal' THEN ${SUBCRITICAL_COAL} WHEN u.fuel = 'Gas' THEN ${OPEN_CYCLE_GAS} ELSE 0 END`;
}

/**
 * SQL: t CO2-e per hour of a unit running at `mw` with `factor` t/MWh (a 5-minute interval's tonnes are this × 5/60).
 * Only what it sends out counts: a battery charging or a unit drawing auxiliary load emits nothing here.
 */
export const emissionRateSql = (mw: string, factor: string) => `greatest(${mw}, 0) * ${factor}`;

export const EMISSION_SCHEMA_SQL = `
-- CDEII: t CO2-e per MWh sent out, the mean over a DUID's gensets, as published.
CREATE TABLE IF NOT EXISTS emission_factors (duid VARCHAR PRIMARY KEY, factor DOUBLE NOT NULL, gensets INTEGER NOT NULL);
CREATE OR REPLACE VIEW unit_factor AS
  SELECT u.duid, coalesce(e.factor, ${technologySql()}) AS factor,
         CASE WHEN e.factor IS NULL THEN 'technology' ELSE 'CDEII' END AS source
  FROM units u LEFT JOIN emission_factors e USING (duid);
`;
