// The query mix both servers answer in the round-trip benchmark: what dashboards ask most (every tab over the
// common regions and ranges, the current price and mix). Fixed, so the two servers see the same requests.
import type { Kind } from '../shared/kinds.ts';
import { REGION_CHOICES } from '../shared/nem.ts';

export interface MixQuery {
  kind: Kind;
  params: Record<string, unknown>;
}

export function queryMix(): MixQuery[] {
  const mix: MixQuery[] = [{ kind: 'prices.current', params: {} }];
  for (const region of REGION_CHOICES) {
    mix.push({ kind: 'tab.nem', params: { region } });
    mix.push({ kind: 'generation.mix', params: { region } });
    for (const range of ['24h', '7d']) mix.push({ kind: 'tab.generation', params: { region, range } });
  }
  for (const range of ['24h', '7d', '30d']) mix.push({ kind: 'tab.prices', params: { range } });
  return mix;
}
