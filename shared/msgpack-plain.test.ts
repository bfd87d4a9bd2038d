// decode() reads plain msgpack only, within limits, before msgpackr builds anything; encode() is unchanged.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { PlainMsgpackError, type PlainProblem } from './msgpack-plain.ts';
import { CLIENT_FRAME_LIMITS, decode, encode } from './protocol.ts';
import { rng } from './rng.ts';

/** The frame that froze the server: {t: an array of k elements, each a reference back to the array}. */
function cyclicFrame(k: number): Uint8Array {
  return Uint8Array.from([
    0x81,
    0xa1,
    0x74,
    0xd6,
    0x69,
    0,
    0,
    0,
    1,
    0xdc,
    0,
    k,
    ...Array.from({ length: k }, () => [0xd6, 0x70, 0, 0, 0, 1]).flat(),
  ]);
}

function problemOf(bytes: Uint8Array, limits = CLIENT_FRAME_LIMITS): PlainProblem | 'none' {
  try {
    decode(bytes, limits);
    return 'none';
  } catch (err) {
    if (err instanceof PlainMsgpackError) return err.problem;
    throw err;
  }
}

describe('decode', () => {
  it('refuses msgpackr structured-clone references (the 612-byte frame) before reading them', () => {
    expect(cyclicFrame(100).length).toBe(612);
    expect(() => decode(cyclicFrame(100), CLIENT_FRAME_LIMITS)).toThrow(/extension type 0xd6/);
    expect(() => decode(cyclicFrame(3))).toThrow(PlainMsgpackError); // server frames too
  });

  it('refuses every extension type, whichever msgpackr feature writes it', () => {
    const clone = new Packr({ structuredClone: true, moreTypes: true });
    const records = new Packr({ useRecords: true });
    const shared = { a: 1 };
    const exotic = [
      clone.pack({ x: shared, y: shared }),
      clone.pack({ s: new Set([1, 2]) }),
      clone.pack({ r: /x/g }),
      clone.pack({ e: new Error('boom') }),
      clone.pack({ f: new Float64Array([1, 2]) }),
      records.pack([{ a: 1 }, { a: 2 }]),
      encode({ d: new Date(0) }),
      new Packr({ useBigIntExtension: true }).pack({ b: 2n ** 70n }),
    ];
    for (const bytes of exotic) expect(problemOf(bytes), Buffer.from(bytes).toString('hex')).toBe('malformed');
    // Each extension header byte, with payloads of the right length.
    for (const head of [
      [0xd4, 1, 0],
      [0xd4, 0, 1],
      [0xd5, 1, 0, 0],
      [0xd6, 0x69, 0, 0, 0, 0],
      [0xd7, 0xff, ...new Array(8).fill(0)],
      [0xd8, 1, ...new Array(16).fill(0)],
      [0xc7, 1, 5, 0],
      [0xc8, 0, 1, 5, 0],
      [0xc9, 0, 0, 0, 1, 5, 0],
    ]) {
      expect(problemOf(Uint8Array.from([0x91, ...head])), head.join(',')).toBe('malformed');
    }
  });

  it('reads msgpackr undefined (fixext 1, type 0), which JS clients put in optional fields', () => {
    expect(decode(encode({ t: 'query', params: undefined }), CLIENT_FRAME_LIMITS)).toEqual({
      t: 'query',
      params: undefined,
    });
  });

  it('refuses malformed bytes: truncated, trailing, reserved, empty, lengths past the end', () => {
    for (const bytes of [
      [0x82, 0xa1],
      [0x80, 0x01],
      [0xc1],
      [],
      [0xdb, 0xff, 0xff, 0xff, 0xff],
      [0xdd, 0xff, 0xff, 0xff, 0xff],
      [0xc6, 0, 0, 0, 9, 1],
      [0xcb, 0],
    ]) {
      expect(problemOf(Uint8Array.from(bytes)), bytes.join(',')).toBe('malformed');
    }
  });

  it('bounds depth and the number of values, stopping at the limit', () => {
    const nested = (levels: number) => {
      let v: unknown = 1;
      for (let i = 0; i < levels; i++) v = [v];
      return encode({ v });
    };
    expect(problemOf(nested(7))).toBe('none'); // the scalar sits at depth 8
    expect(problemOf(nested(8))).toBe('too_deep');
    expect(problemOf(Uint8Array.from([...new Array(50_000).fill(0x91), 1]))).toBe('too_deep');
    const wide = encode({ t: 'query', params: { a: new Array(60_000).fill(0) } });
    expect(wide.length).toBeLessThan(65_536); // fits in one client frame
    expect(problemOf(wide)).toBe('too_many');
    expect(problemOf(encode({ a: new Array(1000).fill(0) }))).toBe('none');
    // A declared length far beyond the bytes costs nothing either.
    expect(problemOf(Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 1]), { maxDepth: 8, maxValues: Infinity })).toBe(
      'malformed',
    );
  });

  it('reads back every plain value encode writes, as msgpackr itself does', () => {
    const rand = rng(20261206);
    const value = (depth: number): unknown => {
      const r = rand();
      if (depth > 3 || r < 0.5)
        return [
          null,
          true,
          false,
          0,
          -1,
          127,
          128,
          -33,
          65_536,
          2 ** 40,
          -(2 ** 40),
          1.5,
          NaN,
          '',
          'é'.repeat(Math.floor(rand() * 300)),
          new Uint8Array(3),
        ][Math.floor(rand() * 16)];
      if (r < 0.75) return Array.from({ length: Math.floor(rand() * 8) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rand() * 8) }, (_, i) => [`k${i}`, value(depth + 1)]));
    };
    const reference = new Packr({
      useRecords: false,
      moreTypes: false,
      int64AsType: 'number',
      mapsAsObjects: true,
      bundleStrings: false,
    });
    for (let i = 0; i < 300; i++) {
      const v = value(0);
      const bytes = encode(v);
      expect(decode(bytes)).toEqual(reference.unpack(bytes));
    }
  });
});

describe('encode', () => {
  it('writes the same bytes as before decoding was made strict', () => {
    const frame = {
      t: 'result',
      id: 7,
      kind: 'prices.current',
      meta: { cache: 'lru', ms: 0.25, watermark: '2026-11-01T00:00:00+10:00' },
      data: {
        time: [1775000000, 1775000300],
        series: { SA1: [101.5, null], x: [-3, 2 ** 40] },
        unit: '$/MWh',
        ok: true,
        none: undefined,
      },
    };
    expect(Buffer.from(encode(frame)).toString('hex')).toBe(
      'de0005a174a6726573756c74a2696407a46b696e64ae7072696365732e63757272656e74a46d657461de0003a56361636865a36c7275a26d73cb3fd0000000000000' +
        'a977617465726d61726bb9323032362d31312d30315430303a30303a30302b31303a3030a464617461de0005a474696d6592ce69cc59c0ce69cc5aeca6736572696573' +
        'de0002a353413192cb4059600000000000c0a17892fdcb4270000000000000a4756e6974a5242f4d5768a26f6bc3a46e6f6e65d40000',
    );
  });
});
