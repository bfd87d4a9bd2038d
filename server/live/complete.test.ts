import { readFileSync } from 'node:fs';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { csvHasEndMarker, isReportName, zipLooksComplete } from './complete.ts';

const REAL = '/work/shared/data/aemo-real/';
const csv = new TextEncoder().encode('C,NEMP.WORLD,X\r\nI,A,B,1,X\r\nD,A,B,1,2\r\nC,"END OF REPORT",4\r\n');

describe('zipLooksComplete', () => {
  const zip = zipSync({ 'PUBLIC_X.CSV': csv }, { comment: 'hello' });
  it('accepts a whole zip, with or without a trailing comment', () => {
    expect(zipLooksComplete(zip)).toBe(true);
    expect(zipLooksComplete(zipSync({ 'a.csv': csv }))).toBe(true);
  });
  it('rejects every truncation of it: the central directory comes last', () => {
    for (let n = 0; n < zip.length; n++) expect(zipLooksComplete(zip.subarray(0, n)), `first ${n} bytes`).toBe(false);
  });
  it('rejects bytes that are not a zip', () => {
    expect(zipLooksComplete(csv)).toBe(false);
  });
});

describe('csvHasEndMarker', () => {
  it("sees AEMO's footer row, CRLF or LF, quoted or not", () => {
    expect(csvHasEndMarker(csv)).toBe(true);
    expect(csvHasEndMarker(new TextEncoder().encode('D,1\nC,END OF REPORT,2\n'))).toBe(true);
    expect(csvHasEndMarker(readFileSync(REAL + 'PUBLIC_TRADINGIS_202403031335_0000000412683134.CSV'))).toBe(true);
  });
  it('does not see it in a file cut short', () => {
    expect(csvHasEndMarker(csv.subarray(0, csv.length - 24))).toBe(false);
  });
});

describe('isReportName', () => {
  it('takes zips and CSVs, never temporary or hidden names', () => {
    expect(['A.zip', 'B.CSV', 'c.csv'].map(isReportName)).toEqual([true, true, true]);
    expect(['A.zip.part', 'B.CSV.tmp', '.C.zip', '~D.csv', 'E.txt', 'F.zip.crdownload'].map(isReportName)).toEqual([
      false,
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
