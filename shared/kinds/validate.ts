// Checks raw params against a kind's contract and makes them canonical (defaults filled, lists in schema order,
// names sorted), so equal queries give equal cache keys. Refusals name the parameter and what it accepts.
import type { Contract, ParamSpec } from './contract.ts';

type Checked = { ok: true; params: Record<string, unknown> } | { ok: false; message: string };

const MAX_SPAN_S = 20 * 365 * 86400;
const MIN_EPOCH = 946684800; // 2000-01-01: the NEM has no 5-minute data before it
const MAX_EPOCH = 4102444800; // 2100-01-01

export function checkParams(kind: string, contract: Contract, raw: unknown): Checked {
  const schema = contract.params;
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, message: 'params must be a map' };
  const input = raw as Record<string, unknown>;
  for (const name of Object.keys(input)) {
    if (!Object.hasOwn(schema, name)) {
      const known = Object.keys(schema);
      return {
        ok: false,
        message: `unknown parameter "${name.slice(0, 40)}" for ${kind}; expected ${known.length ? known.join(', ') : 'none'}`,
      };
    }
  }
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(schema).sort()) {
    const spec = schema[name];
    const value = input[name];
    const checked = checkValue(name, spec, value);
    if (checked instanceof ParamError) return { ok: false, message: checked.message };
    if (checked !== undefined) out[name] = checked;
  }
  const crossError = checkWindow(out) ?? contract.check?.(out);
  if (crossError) return { ok: false, message: crossError };
  return { ok: true, params: out };
}

class ParamError {
  constructor(readonly message: string) {}
}

function checkValue(name: string, spec: ParamSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'enum':
      if (value === undefined) return spec.default;
      if (typeof value !== 'string' || !spec.values.includes(value))
        return new ParamError(`${name} must be one of ${spec.values.join(' ')}`);
      return value;
    case 'enumList': {
      if (value === undefined) return [...spec.default];
      const list = typeof value === 'string' ? [value] : value;
      if (!Array.isArray(list) || list.length === 0 || list.length > spec.values.length * 2)
        return new ParamError(`${name} must be a non-empty list drawn from ${spec.values.join(' ')}`);
      for (const v of list)
        if (typeof v !== 'string' || !spec.values.includes(v))
          return new ParamError(`${name} must only contain ${spec.values.join(' ')}`);
      // Canonical order is the schema's own order, so ["SA1","NSW1"] and ["NSW1","SA1"] share a cache entry.
      return spec.values.filter((v) => list.includes(v));
    }
    case 'epoch':
      if (value === undefined) return undefined;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < MIN_EPOCH || value > MAX_EPOCH)
        return new ParamError(`${name} must be whole epoch seconds between ${MIN_EPOCH} and ${MAX_EPOCH}`);
      return value;
    case 'int':
      if (value === undefined) return spec.default;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max)
        return new ParamError(`${name} must be a whole number from ${spec.min} to ${spec.max}`);
      return value;
    case 'string':
      if (value === undefined) return spec.default;
      if (typeof value !== 'string' || value.length > spec.maxLength)
        return new ParamError(`${name} must be a string of at most ${spec.maxLength} characters`);
      return value.trim();
    case 'custom': {
      const parsed = spec.parse(value);
      return parsed.ok ? parsed.value : new ParamError(`${name}: ${parsed.message}`);
    }
  }
}

/** The rules of an explicit from/to window, for every kind that takes one. */
function checkWindow(p: Record<string, unknown>): string | undefined {
  if ('from' in p || 'to' in p) {
    if (p.from === undefined || p.to === undefined) return 'from and to must be given together';
    if ((p.from as number) >= (p.to as number)) return 'from must be before to';
    if ((p.to as number) - (p.from as number) > MAX_SPAN_S) return 'from..to spans more than 20 years';
    delete p.range; // an explicit window replaces the relative preset
  }
  return undefined;
}
