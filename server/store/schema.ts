// The store's schema. Times are INTEGER epoch seconds (UTC) of the interval END, AEMO's convention, so
// results need no conversion and never become BigInt. Raw tables hold what AEMO publishes; the gen_* and
// unit_1d rollups are maintained at ingest (rollups.ts) so dashboard queries never scan raw unit SCADA.
// No primary keys on the big tables: DuckDB's ART indexes would cost memory and slow bulk loads; ingest
// replaces rows by anti-join instead (see ingest.ts), which keeps re-imports idempotent.
// Versions: 2 added `regionsum`; 3 `unit_dispatch`, `unit_scada_limits`, `emission_factors` and the `unit_factor`
// view; 4 the `unit_curtailment_1d` and `battery_1d` rollups and the gen_* / unit_1d rollups' `co2` column. Older
// stores get new tables from CREATE TABLE IF NOT EXISTS when opened, and migrate.ts adds new columns and recomputes
// the rollups, which fills the new ones. The market status and alert tables (server/alerts/schema.ts) came without a
// version: new tables only, created empty in an older store.
import { ALERT_SCHEMA_SQL } from '../alerts/schema.ts';
import { EMISSION_SCHEMA_SQL } from './emission-factors.ts';

export const SCHEMA_VERSION = 4;

export const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);

-- The DUID registry (AEMO Registration and Exemption List), one row per DUID, fuel already mapped to FUELS.
CREATE TABLE IF NOT EXISTS units (
  duid VARCHAR PRIMARY KEY, station VARCHAR NOT NULL, region VARCHAR NOT NULL, fuel VARCHAR NOT NULL,
  technology VARCHAR, participant VARCHAR, dispatch_type VARCHAR,
  capacity_mw DOUBLE NOT NULL, storage_mwh DOUBLE
);

-- DISPATCH_UNIT_SCADA: MW per unit per 5-minute interval (negative = charging/pumping).
CREATE TABLE IF NOT EXISTS scada (ts INTEGER NOT NULL, duid VARCHAR NOT NULL, mw DOUBLE NOT NULL);

-- DISPATCH PRICE (or legacy DREGION), intervention = 0 only. demand_mw: regionsum.totaldemand where that interval has
-- a regionsum row (kept in step whichever file comes first: see regionsum.ts), else DREGION's TOTALDEMAND or the demo's.
CREATE TABLE IF NOT EXISTS price (ts INTEGER NOT NULL, region VARCHAR NOT NULL, rrp DOUBLE NOT NULL, demand_mw DOUBLE);

-- DISPATCH REGIONSUM, intervention = 0 only, columns named as AEMO names them: demand (TOTALDEMAND is operational
-- demand), net interchange (positive = export), semi-scheduled solar and wind (UIGF = unconstrained forecast,
-- AVAILABILITY, CLEAREDMW) and the batteries' cleared generation and load. Blank where a file's version lacks a column.
CREATE TABLE IF NOT EXISTS regionsum (ts INTEGER NOT NULL, region VARCHAR NOT NULL, totaldemand DOUBLE NOT NULL,
  demand_and_nonschedgen DOUBLE, netinterchange DOUBLE, ss_solar_uigf DOUBLE, ss_wind_uigf DOUBLE,
  ss_solar_clearedmw DOUBLE, ss_wind_clearedmw DOUBLE, ss_solar_availability DOUBLE, ss_wind_availability DOUBLE,
  bdu_clearedmw_gen DOUBLE, bdu_clearedmw_load DOUBLE);

-- DISPATCH UNIT_SOLUTION (NEXT_DAY_DISPATCH) or the Daily report's DUNIT, intervention = 0 only, per unit per interval:
-- totalcleared = the dispatch target (MW), availability = MW the unit could run at, semidispatchcap = 1 when a
-- semi-scheduled unit was capped below its forecast, uigf = the unconstrained forecast of a wind or solar unit (MW),
-- initial_energy_storage / energy_storage = a battery's MWh at the start / end of the interval. Curtailment of a
-- unit is uigf - totalcleared where capped. Blank where a file's version lacks a column (DUNIT has the first two).
CREATE TABLE IF NOT EXISTS unit_dispatch (ts INTEGER NOT NULL, duid VARCHAR NOT NULL, totalcleared DOUBLE NOT NULL,
  availability DOUBLE, semidispatchcap DOUBLE, uigf DOUBLE, initial_energy_storage DOUBLE, energy_storage DOUBLE);

-- DEMAND INTERMITTENT_GEN_SCADA (NEXT_DAY_INTERMITTENT_GEN_SCADA): what a wind or solar unit told the dispatch engine,
-- ts = the run's interval end; type ELAV = MW available from its turbines or inverters, LOCL = a local limit (MW).
CREATE TABLE IF NOT EXISTS unit_scada_limits (ts INTEGER NOT NULL, duid VARCHAR NOT NULL, type VARCHAR NOT NULL,
  mw DOUBLE NOT NULL);

-- TRADING PRICE (30-minute before 5MS, 5-minute since Oct 2021). Kept apart: dashboards use dispatch prices.
CREATE TABLE IF NOT EXISTS trading_price (ts INTEGER NOT NULL, region VARCHAR NOT NULL, rrp DOUBLE NOT NULL);

-- DISPATCH INTERCONNECTORRES (intervention = 0): flow positive from the first-named region to the second.
CREATE TABLE IF NOT EXISTS interconnector (
  ts INTEGER NOT NULL, id VARCHAR NOT NULL, mw DOUBLE NOT NULL,
  export_limit DOUBLE, import_limit DOUBLE, losses DOUBLE
);

-- ROOFTOP ACTUAL: 30-minute average MW per region AND sub-region (QLDC, TASN, ...), ts = end of the half hour.
-- type is MEASUREMENT or SATELLITE; rollups prefer MEASUREMENT and use only the five parent regions.
CREATE TABLE IF NOT EXISTS rooftop (ts INTEGER NOT NULL, region VARCHAR NOT NULL, type VARCHAR NOT NULL, mw DOUBLE NOT NULL);

-- Rollup: per region × fuel × 5-minute interval. Includes 'Rooftop Solar' (each half-hour value held over its
-- six intervals) and 'Transmission' (net import). mw = net MW; gen_mw = generation only (charging/pumping and
-- exports excluded: the renewable-share denominator); revenue = Σ unit MW × region RRP × 5/60; co2 = t CO2-e emitted
-- in the interval, Σ max(unit MW, 0) × the unit's factor (unit_factor) × 5/60 (0 for rooftop solar and for imports:
-- their emissions count where they were generated).
CREATE TABLE IF NOT EXISTS gen_5m (ts INTEGER NOT NULL, region VARCHAR NOT NULL, fuel VARCHAR NOT NULL,
  mw DOUBLE NOT NULL, gen_mw DOUBLE NOT NULL, revenue DOUBLE, co2 DOUBLE);
-- The region's rooftop value carried into gen_5m for an interval whose own half hour has none yet (the live edge):
-- from the latest earlier value (source_ts) at most rollups.ts's ROOFTOP_CARRY_S old; replaced when the value comes.
CREATE TABLE IF NOT EXISTS rooftop_carried (ts INTEGER NOT NULL, region VARCHAR NOT NULL, mw DOUBLE NOT NULL,
  source_ts INTEGER NOT NULL);
-- Same at 30 minutes (ts = bucket end) and per NEM day (ts = NEM midnight starting the day): averages of the
-- 5-minute values over n intervals, revenue and co2 summed.
CREATE TABLE IF NOT EXISTS gen_30m (ts INTEGER NOT NULL, region VARCHAR NOT NULL, fuel VARCHAR NOT NULL,
  mw DOUBLE NOT NULL, gen_mw DOUBLE NOT NULL, revenue DOUBLE, n INTEGER NOT NULL, co2 DOUBLE);
CREATE TABLE IF NOT EXISTS gen_1d (ts INTEGER NOT NULL, region VARCHAR NOT NULL, fuel VARCHAR NOT NULL,
  mw DOUBLE NOT NULL, gen_mw DOUBLE NOT NULL, revenue DOUBLE, n INTEGER NOT NULL, co2 DOUBLE);
-- Rollup: per unit per NEM day: energy MWh (net), revenue $, intervals reported, peak MW, t CO2-e.
CREATE TABLE IF NOT EXISTS unit_1d (ts INTEGER NOT NULL, duid VARCHAR NOT NULL,
  mwh DOUBLE NOT NULL, revenue DOUBLE, n INTEGER NOT NULL, max_mw DOUBLE, co2 DOUBLE);
-- Rollup of unit_dispatch's rows with a UIGF (semi-scheduled wind and solar) per unit per NEM day: MWh available
-- (Σ UIGF × 5/60), MWh curtailed (Σ max(UIGF − TOTALCLEARED, 0) × 5/60), intervals capped (SEMIDISPATCHCAP = 1), rows.
CREATE TABLE IF NOT EXISTS unit_curtailment_1d (ts INTEGER NOT NULL, duid VARCHAR NOT NULL,
  available_mwh DOUBLE NOT NULL, curtailed_mwh DOUBLE NOT NULL, capped INTEGER NOT NULL, n INTEGER NOT NULL);
-- Rollup: per battery (fuel Battery) per NEM day, each direction apart: MWh charged (in, positive) and discharged
-- (out), $ paid charging and earned discharging (Σ MW × RRP × 5/60), the MWh of each that had a price, SCADA
-- intervals, and the mean of unit_dispatch's ENERGY_STORAGE (MWh) over the soc_n intervals that have it.
CREATE TABLE IF NOT EXISTS battery_1d (ts INTEGER NOT NULL, duid VARCHAR NOT NULL, in_mwh DOUBLE NOT NULL,
  out_mwh DOUBLE NOT NULL, in_cost DOUBLE, out_revenue DOUBLE, in_priced_mwh DOUBLE, out_priced_mwh DOUBLE,
  n INTEGER NOT NULL, soc_mwh DOUBLE, soc_n INTEGER);
${EMISSION_SCHEMA_SQL}
${ALERT_SCHEMA_SQL}`;

/** SQL expressions that bucket an interval-ending `ts`: 30-minute bucket end, and NEM-day start. */
export const BUCKET_30M = (ts: string) => `((${ts} + 1799) // 1800) * 1800`;
export const BUCKET_1D = (ts: string) => `(((${ts} - 300 + 36000) // 86400) * 86400 - 36000)`;
