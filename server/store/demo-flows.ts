// Interconnector flows for the demo, one wide row per interval (demo_flow), from the pre-trade balance in demo_a.
//
// Each region has an unmet need x (MW it cannot cover at comfortable prices; negative = surplus) and a capacity
// c to flex; its tightness is x / c and the price is a rising function of it (demo-sql.ts). Trade equalises
// tightness across the radial network QLD – NSW – VIC – {SA, TAS} until a link reaches its limit, as a market
// clearing does: an unconstrained link ends with the same tightness (so the same price, bar losses) on both
// ends, a binding one leaves the importer tighter (dearer). Either way power flows toward the dearer region.
// Solved exactly enough in closed form: leaves are clamped and the shared tightness recomputed twice; if
// VIC1-NSW1 then binds, the north (NSW+QLD) and south (VIC+SA+TAS) are solved separately.
import { IC_PARAMS } from './demo-params.ts';

const IC = Object.fromEntries(IC_PARAMS.map((i) => [i.col, i]));
/** A number as a SQL literal; the demo's parameters must be finite. */
export const NUM = (n: number) => {
  if (!Number.isFinite(n)) throw new Error(`demo: not a finite number: ${n}`);
  return String(n);
};

/** Each region's net import from the six links (fixed order, so the sum is bit-identical every run). */
export const NET_IMPORT = `(CASE a.region WHEN 'NSW1' THEN f.vn - f.qni - f.dl WHEN 'QLD1' THEN f.qni + f.dl
  WHEN 'VIC1' THEN f.bl - f.vn - f.vsa - f.ml WHEN 'SA1' THEN f.vsa + f.ml WHEN 'TAS1' THEN -f.bl ELSE 0 END)`;

/**
 * Marginal losses: an importing region's price sits above its exporter's by ~6% at full flow (AEMO's loss
 * factors do this), chained along the network from VIC.
 */
export const LOSS_FACTOR = `(CASE a.region WHEN 'VIC1' THEN 0
  WHEN 'NSW1' THEN 0.06 * f.vn / ${NUM(IC.vn.exportLimit)}
  WHEN 'QLD1' THEN 0.06 * f.vn / ${NUM(IC.vn.exportLimit)} + 0.06 * (f.qni + f.dl) / ${NUM(IC.qni.exportLimit + IC.dl.exportLimit)}
  WHEN 'SA1' THEN 0.06 * (f.vsa + f.ml) / ${NUM(IC.vsa.exportLimit + IC.ml.exportLimit)}
  WHEN 'TAS1' THEN -0.06 * f.bl / ${NUM(IC.bl.exportLimit)} ELSE 0 END)`;

const clamp = (x: string, lo: string, hi: string) => `demo_clamp(${x}, ${lo}, ${hi})`;
const outside = (x: string, lo: string, hi: string) => `(${x} < ${lo} OR ${x} > ${hi})`;

interface Leaf {
  k: string; // region key in the pivot (x_k, c_k)
  lo: string;
  hi: string;
}
const LEAVES: Record<string, Leaf> = {
  q: { k: 'q', lo: 'q_lo', hi: 'q_hi' },
  s: { k: 's', lo: 's_lo', hi: 's_hi' },
  t: { k: 't', lo: 't_lo', hi: 't_hi' },
};

/**
 * Shared tightness of a group (core regions + leaves not clamped at `prev`), given a fixed import into the
 * core: tau = (Σ x over the group + Σ flows into clamped leaves + import) / Σ c over the group.
 */
function tau(core: string[], leaves: Leaf[], prev: string | null, imp: string): string {
  const num = [...core.map((k) => `x_${k}`)];
  const den = [...core.map((k) => `c_${k}`)];
  for (const l of leaves) {
    if (prev === null) {
      num.push(`x_${l.k}`);
      den.push(`c_${l.k}`);
      continue;
    }
    const want = `(x_${l.k} - c_${l.k} * ${prev})`;
    num.push(`(CASE WHEN ${outside(want, l.lo, l.hi)} THEN ${clamp(want, l.lo, l.hi)} ELSE x_${l.k} END)`);
    den.push(`(CASE WHEN ${outside(want, l.lo, l.hi)} THEN 0 ELSE c_${l.k} END)`);
  }
  return `((${num.join(' + ')} + ${imp}) / (${den.join(' + ')}))`;
}

export function flowSql(s: string): string {
  const lim = (col: string) => `(0.92 + 0.08 * demo_vn(${s}, 'lim${col}', ts / 86400.0))`;
  const piv = [
    ['n', 'NSW1'],
    ['q', 'QLD1'],
    ['v', 'VIC1'],
    ['s', 'SA1'],
    ['t', 'TAS1'],
  ]
    .map(([k, r]) => `max(xr) FILTER (region = '${r}') AS x_${k}, max(cap_t) FILTER (region = '${r}') AS c_${k}`)
    .join(',\n    ');
  const limits = IC_PARAMS.map((i) => {
    // VIC1-NSW1's northward limit is far below its rating in practice: ~700-800 MW at night, 300-400 by day (FACTS §4)
    const derate = i.col === 'vn' ? ' * (0.47 - 0.25 * demo_bump(h, 12.5, 3.0))' : '';
    return `round(${NUM(i.exportLimit)} * ${lim(i.col)}${derate}, 3) AS ${i.col}_hi, round(-${NUM(i.importLimit)} * ${lim(i.col)}, 3) AS ${i.col}_lo`;
  }).join(',\n    ');
  const q = LEAVES.q;
  const sl = LEAVES.s;
  const t = LEAVES.t;
  return `
CREATE OR REPLACE TEMP TABLE demo_flow AS
WITH piv AS (SELECT ts, any_value(h) AS h, ${piv} FROM demo_a GROUP BY ts),
lim AS (SELECT *,
    ${limits}
  FROM piv),
cor AS (SELECT *, qni_hi + dl_hi AS q_hi, qni_lo + dl_lo AS q_lo, vsa_hi + ml_hi AS s_hi, vsa_lo + ml_lo AS s_lo,
    -bl_lo AS t_hi, -bl_hi AS t_lo FROM lim),
a0 AS (SELECT *, ${tau(['n', 'v'], [q, sl, t], null, '0')} AS ta0 FROM cor),
a1 AS (SELECT *, ${tau(['n', 'v'], [q, sl, t], 'ta0', '0')} AS ta1 FROM a0),
a2 AS (SELECT *, ${tau(['n', 'v'], [q, sl, t], 'ta1', '0')} AS ta2 FROM a1),
a3 AS (SELECT *,
    ${clamp('x_q - c_q * ta2', 'q_lo', 'q_hi')} AS fq_a,
    ${clamp('x_s - c_s * ta2', 's_lo', 's_hi')} AS fs_a,
    ${clamp('x_t - c_t * ta2', 't_lo', 't_hi')} AS ft_a
  FROM a2),
a4 AS (SELECT *, x_n - c_n * ta2 + fq_a AS vn_a FROM a3),
-- if VIC1-NSW1 binds, solve north and south on their own with the link at its limit
b0 AS (SELECT *, ${clamp('vn_a', 'vn_lo', 'vn_hi')} AS vn_b FROM a4),
b1 AS (SELECT *, ${tau(['n'], [q], null, '-vn_b')} AS tn0, ${tau(['v'], [sl, t], null, 'vn_b')} AS tso0 FROM b0),
b2 AS (SELECT *, ${tau(['v'], [sl, t], 'tso0', 'vn_b')} AS tso1 FROM b1),
fin AS (SELECT ts, q_hi, q_lo, s_hi, s_lo, ${IC_PARAMS.map((i) => `${i.col}_hi, ${i.col}_lo`).join(', ')},
    CASE WHEN vn_a = vn_b THEN fq_a ELSE ${clamp('x_q - c_q * tn0', 'q_lo', 'q_hi')} END AS fq,
    CASE WHEN vn_a = vn_b THEN fs_a ELSE ${clamp('x_s - c_s * tso1', 's_lo', 's_hi')} END AS fs,
    CASE WHEN vn_a = vn_b THEN ft_a ELSE ${clamp('x_t - c_t * tso1', 't_lo', 't_hi')} END AS ft,
    vn_b AS vn
  FROM b2)
-- parallel links share a corridor's flow in proportion to their limits in that direction
SELECT ts,
  round(fq * CASE WHEN fq >= 0 THEN qni_hi / q_hi ELSE qni_lo / q_lo END, 3) AS qni,
  round(fq * CASE WHEN fq >= 0 THEN dl_hi / q_hi ELSE dl_lo / q_lo END, 3) AS dl,
  round(vn, 3) AS vn,
  round(fs * CASE WHEN fs >= 0 THEN vsa_hi / s_hi ELSE vsa_lo / s_lo END, 3) AS vsa,
  round(fs * CASE WHEN fs >= 0 THEN ml_hi / s_hi ELSE ml_lo / s_lo END, 3) AS ml,
  round(-ft, 3) AS bl,
  ${IC_PARAMS.map((i) => `${i.col}_hi, ${i.col}_lo`).join(', ')}
FROM fin ORDER BY ts;
`;
}
