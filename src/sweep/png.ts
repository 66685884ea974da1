// A PNG encoder for the sweep's pictures, which the workers draw for every mistake: one row filter for the
// whole picture and a fast deflate. pngjs (through jimp) compresses at level 9 with a copy of each row per
// filter; on the demo's pictures that was most of a mistake's drawing time for a few percent fewer bytes.
import { deflateSync } from 'node:zlib';

/** PNG's row filters used here: none, or each byte less the byte above (smooth pictures: the heat maps). */
export type RowFilter = 'none' | 'up';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types by channels: grey, RGBA. */
const COLOR_TYPE = { 1: 0, 4: 6 } as const;

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** An 8-bit PNG of `data` (width × height pixels of `channels` bytes: grey or RGBA, not premultiplied). */
export function encodePng(width: number, height: number, channels: 1 | 4, data: Uint8Array | Uint8ClampedArray, filter: RowFilter): Buffer {
  const row = width * channels;
  if (data.length !== row * height) throw new RangeError(`${data.length} bytes are not ${width}×${height} pixels of ${channels}`);
  const rows = new Uint8Array((row + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (row + 1),
      s = y * row;
    if (filter === 'up' && y > 0) {
      rows[o] = 2;
      for (let i = 0; i < row; i++) rows[o + 1 + i] = (data[s + i] - data[s - row + i]) & 0xff;
    } else rows.set(data.subarray(s, s + row), o + 1); // filter byte 0: none (the first row of 'up' is the same)
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, COLOR_TYPE[channels], 0, 0, 0], 8);
  return Buffer.concat([SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(rows, { level: 6 })), chunk('IEND', new Uint8Array(0))]);
}
