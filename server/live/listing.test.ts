import { describe, expect, it } from 'vitest';
import { parseListing } from './listing.ts';

// The shape of https://nemweb.com.au/Reports/Current/DispatchIS_Reports/ (IIS directory browsing).
const IIS = `<html><head><title>nemweb.com.au - /Reports/Current/DispatchIS_Reports/</title></head><body>
<H1>nemweb.com.au - /Reports/Current/DispatchIS_Reports/</H1><hr>
<pre><A HREF="/Reports/Current/">[To Parent Directory]</A><br><br>
 Saturday, March 2, 2024  9:40 AM        26001 <A HREF="/Reports/Current/DispatchIS_Reports/PUBLIC_DISPATCHIS_202403020945_0000000412363093.zip">PUBLIC_DISPATCHIS_202403020945_0000000412363093.zip</A><br>
 Saturday, March 2, 2024  9:35 AM        25990 <A HREF="/Reports/Current/DispatchIS_Reports/PUBLIC_DISPATCHIS_202403020940_0000000412362870.zip">PUBLIC_DISPATCHIS_202403020940_0000000412362870.zip</A><br>
 Saturday, March 2, 2024  9:35 AM        &lt;dir&gt; <A HREF="/Reports/Current/DispatchIS_Reports/DUPLICATE/">DUPLICATE</A><br>
</pre><hr></body></html>`;

describe('parseListing', () => {
  it('lists the report files of an IIS page as absolute URLs, in name order, without the parent link', () => {
    expect(parseListing(IIS, 'https://nemweb.com.au/Reports/Current/DispatchIS_Reports/')).toEqual([
      {
        name: 'PUBLIC_DISPATCHIS_202403020940_0000000412362870.zip',
        url: 'https://nemweb.com.au/Reports/Current/DispatchIS_Reports/PUBLIC_DISPATCHIS_202403020940_0000000412362870.zip',
      },
      {
        name: 'PUBLIC_DISPATCHIS_202403020945_0000000412363093.zip',
        url: 'https://nemweb.com.au/Reports/Current/DispatchIS_Reports/PUBLIC_DISPATCHIS_202403020945_0000000412363093.zip',
      },
    ]);
  });

  it('resolves relative and quoted-differently links, decodes names, skips temporary and foreign-scheme links', () => {
    const html = `<a href='a/PUBLIC_X_1.CSV'>x</a> <a class=f href=PUBLIC_Y_2.zip>y</a>
      <a href="PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip">z</a>
      <a href="PUBLIC_Z.zip.part">p</a> <a href="mailto:a@b.c">m</a> <a href="?C=N;O=D">sort</a>
      <a href="PUBLIC_Y_2.zip">again</a>`;
    expect(parseListing(html, 'http://127.0.0.1:8080/feed/')).toEqual([
      {
        name: 'PUBLIC_ARCHIVE#DISPATCHPRICE#FILE01#202604010000.zip',
        url: 'http://127.0.0.1:8080/feed/PUBLIC_ARCHIVE%23DISPATCHPRICE%23FILE01%23202604010000.zip',
      },
      { name: 'PUBLIC_X_1.CSV', url: 'http://127.0.0.1:8080/feed/a/PUBLIC_X_1.CSV' },
      { name: 'PUBLIC_Y_2.zip', url: 'http://127.0.0.1:8080/feed/PUBLIC_Y_2.zip' },
    ]);
  });

  it('finds nothing in a page without report links', () => {
    expect(parseListing('<html><body>Service Unavailable</body></html>', 'http://x/')).toEqual([]);
  });
});
