import { describe, expect, it } from 'vitest';
import { StoreError } from './db.ts';
import { Fields, MmsFormatError, MmsParser, type MmsTable, TimeColumn, parseNumber } from './mms.ts';

interface Parsed {
  tables: { name: string; columns: string[]; line: number }[];
  rows: { table: string; line: number; values: string[] }[];
  skipped: Record<string, number>;
}

/** Parses text fed in chunks of `chunk` bytes; sinks take every table except those named in `skip`. */
function parse(text: string, opts: { chunk?: number; skip?: string[] } = {}): Parsed {
  const out: Parsed = { tables: [], rows: [], skipped: {} };
  const parser = new MmsParser('test.csv', (t: MmsTable) => {
    const name = `${t.category} ${t.report}`.trim();
    out.tables.push({ name, columns: t.columns, line: t.line });
    if (opts.skip?.includes(name)) return null;
    return (f, line) => {
      const values: string[] = [];
      for (let i = 4; i < f.count; i++) values.push(f.get(i));
      out.rows.push({ table: name, line, values });
    };
  });
  const bytes = Buffer.from(text, 'latin1');
  const step = opts.chunk ?? bytes.length;
  for (let p = 0; p < bytes.length; p += step) parser.push(bytes.subarray(p, p + step));
  parser.end();
  out.skipped = Object.fromEntries(parser.skipped);
  return out;
}

function fails(text: string): MmsFormatError {
  try {
    parse(text);
  } catch (err) {
    expect(err).toBeInstanceOf(MmsFormatError);
    return err as MmsFormatError;
  }
  throw new Error('expected the parser to reject the text');
}

const TWO_TABLES = [
  'C,NEMP.WORLD,TRADINGIS,AEMO,PUBLIC,2024/03/03,13:30:11,0000000412683134,TRADINGIS,0000000412683133',
  'I,TRADING,INTERCONNECTORRES,2,SETTLEMENTDATE,RUNNO,INTERCONNECTORID,PERIODID,METEREDMWFLOW,MWFLOW,MWLOSSES,LASTCHANGED',
  'D,TRADING,INTERCONNECTORRES,2,"2024/03/03 13:35:00",1,N-Q-MNSP1,163,36.2,17,1.36,"2024/03/03 13:30:04"',
  'I,TRADING,PRICE,3,SETTLEMENTDATE,RUNNO,REGIONID,PERIODID,RRP',
  'D,TRADING,PRICE,3,"2024/03/03 13:35:00",1,NSW1,163,-40.01',
  'D,TRADING,PRICE,3,"2024/03/03 13:35:00",1,QLD1,163,-38.5',
  'C,"END OF REPORT",7',
  '',
].join('\n');

describe('MmsParser', () => {
  it('reads several tables per file, with columns named by each I row', () => {
    const p = parse(TWO_TABLES);
    expect(p.tables.map((t) => [t.name, t.line])).toEqual([
      ['TRADING INTERCONNECTORRES', 2],
      ['TRADING PRICE', 4],
    ]);
    expect(p.tables[1].columns).toEqual(['SETTLEMENTDATE', 'RUNNO', 'REGIONID', 'PERIODID', 'RRP']);
    expect(p.rows).toEqual([
      {
        table: 'TRADING INTERCONNECTORRES',
        line: 3,
        values: ['2024/03/03 13:35:00', '1', 'N-Q-MNSP1', '163', '36.2', '17', '1.36', '2024/03/03 13:30:04'],
      },
      { table: 'TRADING PRICE', line: 5, values: ['2024/03/03 13:35:00', '1', 'NSW1', '163', '-40.01'] },
      { table: 'TRADING PRICE', line: 6, values: ['2024/03/03 13:35:00', '1', 'QLD1', '163', '-38.5'] },
    ]);
  });

  it('gives the same rows for CRLF, LF and any chunking (lines split across chunks)', () => {
    const lf = parse(TWO_TABLES);
    expect(parse(TWO_TABLES.replace(/\n/g, '\r\n'))).toEqual(lf);
    for (const chunk of [1, 2, 3, 7, 64]) {
      expect(parse(TWO_TABLES, { chunk })).toEqual(lf);
      expect(parse(TWO_TABLES.replace(/\n/g, '\r\n'), { chunk })).toEqual(lf);
    }
  });

  it('counts the rows of skipped tables, including legacy tables with an empty report field', () => {
    const text = [
      'I,DREGION,,3,SETTLEMENTDATE,REGIONID,RRP',
      'D,DREGION,,3,"2024/03/15 19:45:00",NSW1,88.88002',
      'I,TINT,,1,SETTLEMENTDATE,X',
      'D,TINT,,1,"2024/03/15 19:45:00",1',
      'D,TINT,,1,"2024/03/15 19:45:00",2',
      'C,"END OF REPORT",6',
    ].join('\r\n');
    const p = parse(text, { skip: ['TINT'] });
    expect(p.rows).toEqual([{ table: 'DREGION', line: 2, values: ['2024/03/15 19:45:00', 'NSW1', '88.88002'] }]);
    expect(p.skipped).toEqual({ TINT: 2 });
  });

  it('accepts a footer whose row count disagrees with the file (MMSDM extracts keep the original footer)', () => {
    expect(parse(TWO_TABLES.replace('"END OF REPORT",7', '"END OF REPORT",4375306')).rows).toHaveLength(3);
  });

  it('follows a D row back to an earlier table by its own CATEGORY,REPORT,VERSION', () => {
    const lines = TWO_TABLES.split('\n');
    lines.splice(6, 0, 'D,TRADING,INTERCONNECTORRES,2,"2024/03/03 13:35:00",1,V-SA,163,1,2,3,"2024/03/03 13:30:04"');
    const p = parse(lines.join('\n'));
    expect(p.rows.map((r) => [r.table, r.line])).toEqual([
      ['TRADING INTERCONNECTORRES', 3],
      ['TRADING PRICE', 5],
      ['TRADING PRICE', 6],
      ['TRADING INTERCONNECTORRES', 7],
    ]);
  });

  it('rejects a D row before any I row, naming the file and line', () => {
    const e = fails(
      [
        'C,x',
        'D,DISPATCH,UNIT_SCADA,1,"2026/04/01 00:05:00",AGLHAL,0,"2026/04/01 00:00:18"',
        'C,"END OF REPORT",3',
      ].join('\n'),
    );
    expect(e.message).toBe('test.csv: line 2: D row for DISPATCH UNIT_SCADA 1 before its I row');
  });

  it('rejects a row whose width differs from its I row', () => {
    const e = fails(TWO_TABLES.replace('163,-38.5', '163,-38.5,extra'));
    expect(e.line).toBe(6);
    expect(e.message).toMatch(/^test\.csv: line 6: expected 9 fields as in the I row at line 4, got 10$/);
  });

  it('rejects an unterminated quote and text after a closing quote', () => {
    expect(fails(TWO_TABLES.replace('"2024/03/03 13:35:00",1,QLD1', '"2024/03/03 13:35:00,1,QLD1')).message).toMatch(
      /line 6: unterminated quoted field/,
    );
    expect(fails(TWO_TABLES.replace('"2024/03/03 13:35:00",1,QLD1', '"2024/03/03 13:35:00"x,1,QLD1')).message).toMatch(
      /line 6: text after a closing quote/,
    );
  });

  it('rejects lines that are not C, I or D rows', () => {
    expect(
      fails(
        TWO_TABLES.replace(
          'D,TRADING,PRICE,3,"2024/03/03 13:35:00",1,QLD1',
          'X,TRADING,PRICE,3,"2024/03/03 13:35:00",1,QLD1',
        ),
      ).message,
    ).toMatch(/line 6: not an MMS row/);
    expect(fails('<html>404 Not Found</html>\n').message).toMatch(/line 1: not an MMS row/);
  });

  it('rejects a file cut off mid-row, and one that ends without its footer', () => {
    const cut = TWO_TABLES.slice(0, TWO_TABLES.indexOf('QLD1') + 2);
    expect(fails(cut).message).toBe(
      'test.csv: line 6: truncated: its last line is cut off mid-row (expected 9 fields as in the I row at line 4, got 7)',
    );
    const cutAtComma = TWO_TABLES.slice(0, TWO_TABLES.indexOf('-38.5'));
    expect(fails(cutAtComma).message).toBe('test.csv: line 6: truncated: its last line is cut off mid-row');
    const noFooter = TWO_TABLES.slice(0, TWO_TABLES.indexOf('C,"END'));
    expect(fails(noFooter).message).toBe('test.csv: line 6: truncated: it ends without its C,"END OF REPORT" footer');
    expect(fails('').message).toMatch(/truncated/);
  });

  it('rejects rows after the footer (two files glued together)', () => {
    expect(fails(TWO_TABLES + TWO_TABLES).message).toMatch(/line 8: data after the END OF REPORT footer \(line 7\)/);
  });

  it('reports a sink error at the row that caused it', () => {
    const parser = new MmsParser('x.csv', () => (f) => {
      if (f.get(6) === 'QLD1') throw new Error('no QLD today');
    });
    expect(() => parser.push(Buffer.from(TWO_TABLES))).toThrow('x.csv: line 6: no QLD today');
  });

  it('passes a store failure under a sink on unchanged: the file is not to blame', () => {
    const failure = new StoreError('staging price', new Error('could not write to disk'));
    const parser = new MmsParser('x.csv', () => () => {
      throw failure;
    });
    let thrown: unknown;
    try {
      parser.push(Buffer.from(TWO_TABLES));
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBe(failure);
    expect(thrown).not.toBeInstanceOf(MmsFormatError);
  });
});

describe('Fields', () => {
  it('splits quoted fields, keeping commas and doubled quotes inside them', () => {
    const f = new Fields();
    const line = 'D,X,Y,1,"a,b","say ""hi""",,"",plain,';
    f.scan(`junk\n${line}\njunk`, 5, 5 + line.length);
    expect(Array.from({ length: f.count }, (_, i) => f.get(i))).toEqual([
      'D',
      'X',
      'Y',
      '1',
      'a,b',
      'say "hi"',
      '',
      '',
      'plain',
      '',
    ]);
    expect(f.equals(4, 'a,b')).toBe(true);
    expect(f.equals(4, 'a,c')).toBe(false);
    expect(f.equals(5, 'say "hi"')).toBe(false); // escaped fields are compared by get()
  });
});

describe('TimeColumn', () => {
  const at = (s: string) => {
    const f = new Fields();
    f.scan(s, 0, s.length);
    return f;
  };
  it('reads AEMO times as NEM time (UTC+10), quoted or not, to epoch seconds', () => {
    const t = new TimeColumn('SETTLEMENTDATE');
    const want = Date.UTC(2026, 3, 1, 0, 5) / 1000 - 36000;
    expect(t.parse(at('2026/04/01 00:05:00'), 0)).toBe(want);
    expect(t.parse(at('"2026/04/01 00:05:00"'), 0)).toBe(want);
    expect(t.parse(at('2026/04/01 00:10:00'), 0)).toBe(want + 300);
  });
  it('rejects anything else', () => {
    const t = new TimeColumn('SETTLEMENTDATE');
    for (const bad of ['2026-04-01 00:05:00', '2026/13/01 00:05:00', '2026/04/01 25:00:00', '', '2026/04/01']) {
      expect(() => t.parse(at(bad), 0)).toThrow(/SETTLEMENTDATE: not a date/);
    }
  });
});

describe('parseNumber', () => {
  it('reads numbers; blank is null; anything else throws', () => {
    expect(parseNumber('74.2', 'MW')).toBe(74.2);
    expect(parseNumber('-1e3', 'MW')).toBe(-1000);
    expect(parseNumber('0', 'MW')).toBe(0);
    expect(parseNumber('', 'MW')).toBeNull();
    expect(parseNumber('  ', 'MW')).toBeNull();
    for (const bad of ['12.3x', 'NaN', 'Infinity', '1,2'])
      expect(() => parseNumber(bad, 'MW')).toThrow(/MW: not a number/);
  });
});
