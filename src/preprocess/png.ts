// PNG's plainest kind decoded directly: 8 bits a sample, grey, grey + alpha, RGB or RGBA, not interlaced, no
// palette or transparency chunk, no EXIF (orientation.ts turns those after jimp). The sweep's demo canvases (and
// most saved tensors and screenshots) are this kind; through jimp each cost ~1.3 ms (file-type sniffing, a stream
// reader, a copy per row) against ~0.1 ms here, and a sweep's workers need not load jimp at all. The pixels are
// the format's own (PNG is lossless): tests decode every such fixture both ways and compare them byte for byte.
// Anything else, and anything this reader finds wrong (a CRC, the compressed data, a length), gives undefined:
// jimp decodes it as before, or says what is wrong with it.
import { inflateSync } from 'node:zlib';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Samples a pixel by colour type: grey, RGB, grey + alpha, RGBA (palette, 3, is not read here). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };
/** Chunks that change what the pixels mean or where they go: left to jimp and orientation.ts. */
const DECLINED = new Set(['PLTE', 'tRNS', 'eXIf']);
/** The critical chunks read here; another critical one (upper-case first letter) is jimp's to refuse. */
const CRITICAL = new Set(['IHDR', 'IDAT', 'IEND']);

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Uint8Array, from: number, to: number): number {
  let c = 0xffffffff;
  for (let i = from; i < to; i++) c = CRC_TABLE[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** RGBA pixels of a PNG of the plain kind (see the file's head), or undefined: let jimp read it. */
export function decodePlainPng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } | undefined {
  if (bytes.length < 8 + 25 + 12 || SIGNATURE.some((v, i) => bytes[i] !== v)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0,
    height = 0,
    channels = 0,
    ended = false;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length && !ended;) {
    const length = view.getUint32(at);
    const end = at + 12 + length;
    if (end > bytes.length) return undefined;
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (crc32(bytes, at + 4, at + 8 + length) !== view.getUint32(at + 8 + length)) return undefined;
    if (DECLINED.has(type) || (bytes[at + 4] < 0x61 && !CRITICAL.has(type))) return undefined;
    if (at === 8) {
      if (type !== 'IHDR' || length !== 13) return undefined;
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, colour, compression, filter, interlace] = bytes.subarray(at + 16, at + 21);
      channels = CHANNELS[colour] ?? 0;
      if (!width || !height || depth !== 8 || !channels || compression || filter || interlace) return undefined;
    } else if (type === 'IDAT') idat.push(bytes.subarray(at + 8, at + 8 + length));
    else if (type === 'IEND') ended = true;
    at = end;
  }
  if (!ended || !idat.length) return undefined;
  const row = width * channels;
  let raw: Buffer;
  try {
    raw = inflateSync(idat.length === 1 ? idat[0] : Buffer.concat(idat), { maxOutputLength: (row + 1) * height });
  } catch {
    return undefined;
  }
  if (raw.length !== (row + 1) * height) return undefined;
  // Undo each row's filter in place: rows of `row` bytes after their filter byte; the byte a sample back is
  // `channels` back; above the first row all is 0. One loop per filter (a loop that branched per byte cost ~6×).
  const n = channels;
  for (let y = 0; y < height; y++) {
    const o = y * (row + 1) + 1,
      u = o - row - 1;
    const f = raw[o - 1],
      first = y === 0;
    if (f === 0 || (f === 2 && first)) continue;
    if (f === 1 || (f === 4 && first)) for (let i = n; i < row; i++) raw[o + i] = (raw[o + i] + raw[o + i - n]) & 0xff;
    else if (f === 2) for (let i = 0; i < row; i++) raw[o + i] = (raw[o + i] + raw[u + i]) & 0xff;
    else if (f === 3 && first) for (let i = n; i < row; i++) raw[o + i] = (raw[o + i] + (raw[o + i - n] >> 1)) & 0xff;
    else if (f === 3) {
      for (let i = 0; i < n; i++) raw[o + i] = (raw[o + i] + (raw[u + i] >> 1)) & 0xff;
      for (let i = n; i < row; i++) raw[o + i] = (raw[o + i] + ((raw[o + i - n] + raw[u + i]) >> 1)) & 0xff;
    } else if (f === 4) {
      for (let i = 0; i < n; i++) raw[o + i] = (raw[o + i] + raw[u + i]) & 0xff; // Paeth of (0, b, 0) is b
      for (let i = n; i < row; i++) {
        const a = raw[o + i - n],
          b = raw[u + i],
          c = raw[u + i - n];
        const pa = Math.abs(b - c),
          pb = Math.abs(a - c),
          pc = Math.abs(a + b - 2 * c);
        raw[o + i] = (raw[o + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c)) & 0xff;
      }
    } else return undefined;
  }
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const s = y * (row + 1) + 1;
    let d = y * width * 4;
    if (channels === 4) {
      data.set(raw.subarray(s, s + row), d);
      continue;
    }
    for (let x = 0; x < width; x++, d += 4) {
      const i = s + x * channels;
      if (channels === 1) {
        data[d] = data[d + 1] = data[d + 2] = raw[i];
        data[d + 3] = 255;
      } else if (channels === 2) {
        data[d] = data[d + 1] = data[d + 2] = raw[i];
        data[d + 3] = raw[i + 1];
      } else {
        data[d] = raw[i];
        data[d + 1] = raw[i + 1];
        data[d + 2] = raw[i + 2];
        data[d + 3] = 255;
      }
    }
  }
  return { width, height, data };
}
