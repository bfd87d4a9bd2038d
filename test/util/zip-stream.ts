// Builds a one-member zip by deflating its content as a stream, so a test can make a zip bomb (hundreds of MB of
// zeros in a few hundred KB) or a large valid file without ever holding the inflated bytes.
import { crc32, createDeflateRaw } from 'node:zlib';

export interface StreamZipOptions {
  /** What the headers claim the member inflates to (default: the truth), to build a zip that lies. */
  declaredSize?: number;
}

/** `parts` may repeat one buffer many times: it is deflated as it is read. */
export async function streamZip(
  name: string,
  parts: Iterable<Uint8Array>,
  opts: StreamZipOptions = {},
): Promise<Buffer> {
  const deflate = createDeflateRaw({ level: 6 });
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  let crc = 0;
  let size = 0;
  for (const p of parts) {
    crc = crc32(p, crc);
    size += p.length;
    if (!deflate.write(p)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  const data = Buffer.concat(out);
  const declared = opts.declaredSize ?? size;
  const fileName = Buffer.from(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(8, 8); // deflate
  local.writeUInt32LE(crc >>> 0, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(declared, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(8, 10);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(declared, 24);
  central.writeUInt16LE(fileName.length, 28);
  central.writeUInt32LE(0, 42); // local header offset
  const cdOffset = local.length + fileName.length + data.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + fileName.length, 12);
  eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, eocd]);
}

/** `total` zero bytes as repeated views of one small buffer: a bomb's content without allocating it. */
export function* zeros(total: number, chunk = 1 << 20): Generator<Uint8Array> {
  const z = new Uint8Array(chunk);
  for (let left = total; left > 0; left -= chunk) yield left >= chunk ? z : z.subarray(0, left);
}
