import { describe, expect, it } from 'vitest';
import { seriesCsv, toCsv, fileStem } from './csv.ts';

describe('csv', () => {
  it('quotes what needs quoting and leaves gaps empty', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          [null, 1.5],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n,1.5\r\n');
  });

  it('writes series with NEM-time stamps', () => {
    const t = Date.UTC(2026, 3, 14, 4, 35) / 1000;
    expect(seriesCsv([t], 'time', [{ label: 'SA ($/MWh)', values: [-12.5] }])).toBe(
      'time_nem,SA ($/MWh)\r\n2026-04-14T14:35:00+10:00,-12.5\r\n',
    );
    expect(seriesCsv([0, 1], 'hour', [{ label: 'Coal', values: [1, null] }])).toBe('hour_nem,Coal\r\n0,1\r\n1,\r\n');
  });

  it('makes file-name-safe stems', () => {
    expect(fileStem('output', 'Big Coal/2', null, '7d')).toBe('output-Big_Coal_2-7d');
  });
});
