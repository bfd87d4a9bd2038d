import { describe, expect, it } from 'vitest';
import { encode, encodeFrameWithData } from '../shared/protocol.ts';
import { typicalTabPayload } from './codec.ts';
import { jsonHead, msgpackHead } from './frame-head.ts';

const meta = { cache: 'lmdb', ms: 0.25, watermark: '2026-04-01T00:00:00+10:00' };
const data = (typicalTabPayload(500) as { data: unknown }).data;

describe('frame heads', () => {
  it('reads t, id, kind and meta of a result frame with a cached payload, without its data', () => {
    const frame = encodeFrameWithData({ t: 'result', id: 1234, kind: 'tab.generation', meta }, encode(data));
    expect(msgpackHead(frame)).toEqual({ t: 'result', id: 1234, kind: 'tab.generation', meta });
    const strId = encodeFrameWithData({ t: 'push', id: 'tab-1', kind: 'tab.nem', meta }, encode({ panels: {} }));
    expect(msgpackHead(strId)).toEqual({ t: 'push', id: 'tab-1', kind: 'tab.nem', meta });
  });

  it('decodes frames without a data entry whole', () => {
    const err = { t: 'error', id: 9, code: 'rate_limited', message: 'slow down' };
    expect(msgpackHead(encode(err))).toEqual(err);
    expect(
      msgpackHead(encode({ t: 'hello', v: 1, session: 's', watermark: 'w', kinds: ['tab.nem'], tabs: [] })),
    ).toMatchObject({ t: 'hello' });
  });

  it('reads the same head from the baseline JSON, small or large', () => {
    const big = JSON.stringify({
      t: 'result',
      id: 77,
      kind: 'tab.generation',
      data,
      meta: { cache: 'db', ms: 12.5, watermark: 'w' },
    });
    expect(big.length).toBeGreaterThan(10_000);
    expect(jsonHead(big)).toEqual({ t: 'result', id: 77, meta: { cache: 'db' } });
    expect(jsonHead(JSON.stringify({ t: 'error', id: 'q1', code: 'bad_params', message: 'x' }))).toMatchObject({
      t: 'error',
      id: 'q1',
      code: 'bad_params',
    });
  });
});
