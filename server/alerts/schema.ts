// The tables of market status and alerts, created by SCHEMA_SQL's CREATE … IF NOT EXISTS (an older store gets them,
// empty, when opened; no migration: nothing in them can be computed from what such a store holds).
export const ALERT_SCHEMA_SQL = `
-- DISPATCH PRICE's market flags, intervention = 0, per region per interval: apc_flag = administered price cap applied
-- (APCFLAG, 1 on), suspended = MARKETSUSPENDEDFLAG, price_firm = PRICE_STATUS (1 FIRM, 0 NOT FIRM), cumul_price =
-- CUMUL_PRE_AP_ENERGY_PRICE ($, the cumulative price the threshold is compared with). Blank where a version lacks one.
CREATE TABLE IF NOT EXISTS market_status (ts INTEGER NOT NULL, region VARCHAR NOT NULL, apc_flag DOUBLE NOT NULL,
  suspended DOUBLE, price_firm DOUBLE, cumul_price DOUBLE);

-- AEMO market notices (NEMWEB Market_Notice, one text file each): id = Notice ID, created = its Creation Date (epoch s),
-- type_id / type_description / reference / reason as published, and what server/alerts/notices.ts reads from them:
-- region (null: none named), category, LOR level, forecast and cancellation. n = order of arrival in this store.
CREATE SEQUENCE IF NOT EXISTS market_notice_n;
CREATE TABLE IF NOT EXISTS market_notice (id INTEGER PRIMARY KEY, n INTEGER NOT NULL DEFAULT nextval('market_notice_n'),
  created INTEGER NOT NULL, type_id VARCHAR NOT NULL, type_description VARCHAR, reference VARCHAR NOT NULL,
  reason VARCHAR NOT NULL, region VARCHAR, category VARCHAR NOT NULL, lor INTEGER, forecast BOOLEAN NOT NULL,
  cancelled BOOLEAN NOT NULL);

-- Alert events (shared/kinds/alerts.ts AlertEvent), each stored once under its unique key when the interval (or
-- notice) that fired it was committed; seq orders them and is what a subscription's \`since\` names.
CREATE SEQUENCE IF NOT EXISTS alert_event_seq;
CREATE TABLE IF NOT EXISTS alert_event (seq INTEGER PRIMARY KEY DEFAULT nextval('alert_event_seq'),
  key VARCHAR NOT NULL UNIQUE, type VARCHAR NOT NULL, region VARCHAR, time INTEGER NOT NULL, value DOUBLE,
  level DOUBLE, text VARCHAR NOT NULL, notice_id INTEGER);
`;
