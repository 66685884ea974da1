// How a PNG, WebP, TIFF or AVIF file says its stored raster is to be turned to be seen upright, read from the
// container, and the turn applied to decoded pixels. PNG keeps EXIF in an eXIf chunk, WebP in an EXIF chunk of its
// RIFF; a TIFF is itself the structure EXIF borrows, with the Orientation tag in its first image's IFD;
// AVIF (MIAF) says it with the primary item's irot and imir properties, applied in the order the file lists them,
// and its Exif must not say it (MIAF 7.3.6.7; Chrome ignores it), so it is not read. A JPEG's orientation is read
// as mozjpeg's decoder (@jsquash/jpeg) reads it, and applied only to pixels mozjpeg decoded (jimp turns its own).
// Anything unreadable here means "upright": the decoder has the last word on whether the file is whole.
import type { Bitmap } from './decode';

/** EXIF orientation 1..8 (TIFF tag 0x0112): 1 upright, 2 mirrored left-right, 3 turned 180°, 4 mirrored top-bottom,
 *  5 transposed, 6 to be turned 90° clockwise, 7 transversed, 8 to be turned 90° anticlockwise. */
type Orientation = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** Where each format keeps its orientation (TIFF: the file is the structure EXIF borrows). JPEG: jpegOrientation. */
const readers: Record<string, (bytes: Uint8Array) => Orientation[]> = {
  png: (b) => pngOrientation(b),
  webp: (b) => webpOrientation(b),
  tiff: (b) => [tiffOrientation(b)],
  avif: (b) => avifTransforms(b),
};

/** The turns that show the stored raster upright, in order (none when it is upright or the file says nothing). */
export function orientationsOf(format: string, bytes: Uint8Array): Orientation[] {
  try {
    const o = readers[format]?.(bytes) ?? [];
    return o.filter((t) => t !== 1);
  } catch {
    return []; // a container cut short: the decoder says what is wrong with it
  }
}

/** The pixels as seen: `bitmap` turned by each orientation in turn. */
export function applyOrientations(bitmap: Bitmap, orientations: readonly Orientation[]): Bitmap {
  return orientations.reduce(orient, bitmap);
}

/** Rows of the turned picture done together when it is transposed (orientations 5 to 8): its pixels along a row
 *  come from one column of the stored raster, so 64 rows at a time read whole cache lines of the stored rows. */
const BAND = 64;

function orient(b: Bitmap, o: Orientation): Bitmap {
  const { width: w, height: h } = b;
  const swap = o >= 5;
  const W = swap ? h : w;
  const H = swap ? w : h;
  // the stored pixel seen at (x, y) is first + x * dx + y * dy
  const steps: Record<Orientation, [first: number, dx: number, dy: number]> = {
    1: [0, 1, w],
    2: [w - 1, -1, w],
    3: [h * w - 1, -1, -w],
    4: [(h - 1) * w, 1, -w],
    5: [0, w, 1],
    6: [(h - 1) * w, -w, 1],
    7: [h * w - 1, -w, -1],
    8: [w - 1, w, -1],
  };
  const [first, dx, dy] = steps[o];
  const pixels = b.data.byteOffset % 4 === 0 ? b.data : b.data.slice(); // a Uint32Array view needs 4-byte alignment
  const src = new Uint32Array(pixels.buffer, pixels.byteOffset, w * h);
  const data = new Uint8Array(W * H * 4);
  const dst = new Uint32Array(data.buffer);
  if (!swap) {
    for (let y = 0, d = 0; y < H; y++) for (let x = 0, s = first + y * dy; x < W; x++, s += dx) dst[d++] = src[s];
  } else {
    for (let y0 = 0; y0 < H; y0 += BAND) {
      const y1 = Math.min(H, y0 + BAND);
      for (let x = 0; x < W; x++) for (let y = y0, s = first + x * dx + y0 * dy; y < y1; y++, s += dy) dst[y * W + x] = src[s];
    }
  }
  return { width: W, height: H, data };
}

/**
 * A JPEG's turn as @jsquash/jpeg would apply it when asked to (its preserveOrientation, which turns the pixels in
 * the decoder's heap with two more full copies there): the first APP1 "Exif" segment before the scan whose IFD0
 * has an Orientation entry other than 0 decides; 2 to 8 turn, any other value leaves the raster as stored.
 */
export function jpegOrientation(b: Uint8Array): Orientation[] {
  if (b[0] !== 0xff || b[1] !== 0xd8) return [];
  for (const s of jpegHeaderSegments(b)) {
    if (s.marker !== 0xe1 || ascii(s.body, 0, 6) !== 'Exif\0\0') continue;
    const o = ifd0Orientation(s.body.subarray(6));
    if (o > 0) return o >= 2 && o <= 8 ? [o as Orientation] : [];
  }
  return [];
}

/** The marker segments after SOI up to the scan (SOS) or EOI, found as libjpeg finds them: bytes between segments
 *  are skipped to the next 0xFF, runs of 0xFF are fill, 0xFF 0x00 is no marker; RSTn and TEM have no length. */
function* jpegHeaderSegments(b: Uint8Array): Generator<{ marker: number; body: Uint8Array }> {
  const v = view(b);
  for (let at = 2; at < b.length;) {
    while (at < b.length && b[at] !== 0xff) at++;
    while (at < b.length && b[at] === 0xff) at++;
    if (at >= b.length) return;
    const marker = b[at++];
    if (marker === 0) continue;
    if (marker === 0xda || marker === 0xd9 || marker === 0xd8) return;
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    if (at + 2 > b.length) return;
    const length = v.getUint16(at);
    if (length < 2) return;
    yield { marker, body: b.subarray(at + 2, at + length) };
    at += length;
  }
}

/** The Orientation value of a TIFF structure's IFD0 (an Exif block after its "Exif\0\0", or a TIFF file), or 0 when
 *  it has none: as mozjpeg's decoder reads it, the value's first two bytes whatever the entry's type, and only
 *  entries wholly inside the block. */
function ifd0Orientation(t: Uint8Array): number {
  if (t.length < 8) return 0;
  const order = ascii(t, 0, 2);
  if (order !== 'MM' && order !== 'II') return 0;
  const little = order === 'II';
  const v = view(t);
  if (v.getUint16(2, little) !== 42) return 0;
  const ifd = v.getUint32(4, little);
  if (ifd < 8 || ifd > t.length - 2) return 0;
  const entries = v.getUint16(ifd, little);
  // the count may lie: entries past the block's end are not read
  for (let i = 0, at = ifd + 2; i < entries && at + 12 <= t.length; i++, at += 12) if (v.getUint16(at, little) === 0x0112) return v.getUint16(at + 8, little);
  return 0;
}

const ascii = (b: Uint8Array, at: number, n = 4) => String.fromCharCode(...b.subarray(at, at + n));
const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/** PNG: chunks of (length, type, data, crc) after the 8-byte signature, until IEND. */
function pngOrientation(b: Uint8Array): Orientation[] {
  const v = view(b);
  for (let at = 8; at + 8 <= b.length;) {
    const length = v.getUint32(at);
    const type = ascii(b, at + 4);
    if (type === 'eXIf') return [tiffOrientation(b.subarray(at + 8, at + 8 + length))];
    if (type === 'IEND') break;
    at += 12 + length;
  }
  return [];
}

/** WebP: RIFF chunks of (fourcc, little-endian length, data padded to even) after 'RIFF' size 'WEBP'. */
function webpOrientation(b: Uint8Array): Orientation[] {
  const v = view(b);
  for (let at = 12; at + 8 <= b.length;) {
    const length = v.getUint32(at + 4, true);
    if (ascii(b, at) === 'EXIF') return [tiffOrientation(b.subarray(at + 8, at + 8 + length))];
    at += 8 + length + (length & 1);
  }
  return [];
}

/** The Orientation entry of an Exif block's IFD0 (the block may start with the JPEG APP1 prefix "Exif\0\0"), or of a
 *  TIFF file's first image; upright when it has none or another value. */
function tiffOrientation(exif: Uint8Array): Orientation {
  const o = ifd0Orientation(ascii(exif, 0, 6) === 'Exif\0\0' ? exif.subarray(6) : exif);
  return o >= 1 && o <= 8 ? (o as Orientation) : 1;
}

interface Box {
  readonly type: string;
  /** The box's payload, after its header. */
  readonly body: Uint8Array;
}

/** ISO BMFF boxes laid end to end in `b`. */
function boxes(b: Uint8Array): Box[] {
  const v = view(b);
  const out: Box[] = [];
  for (let at = 0; at + 8 <= b.length;) {
    let size = v.getUint32(at);
    let header = 8;
    if (size === 1) {
      size = Number(v.getBigUint64(at + 8));
      header = 16;
    } else if (size === 0) size = b.length - at;
    if (size < header) break;
    out.push({ type: ascii(b, at + 4), body: b.subarray(at + header, at + size) });
    at += size;
  }
  return out;
}

/** AVIF: the irot and imir properties the primary item is associated with (meta → pitm, iprp → ipco + ipma), as
 *  EXIF orientations in the file's order. irot turns anticlockwise by 90° × angle; imir mode 0 exchanges top and
 *  bottom, 1 left and right (HEIF's 2022 wording, as libavif and Chrome read it). */
function avifTransforms(b: Uint8Array): Orientation[] {
  const meta = boxes(b).find((x) => x.type === 'meta');
  if (!meta) return [];
  const inMeta = boxes(meta.body.subarray(4)); // a full box: version and flags first
  const pitm = inMeta.find((x) => x.type === 'pitm');
  const iprp = inMeta.find((x) => x.type === 'iprp');
  if (!pitm || !iprp) return [];
  const primary = pitm.body[0] === 0 ? view(pitm.body).getUint16(4) : view(pitm.body).getUint32(4);
  const inIprp = boxes(iprp.body);
  const properties = boxes(inIprp.find((x) => x.type === 'ipco')?.body ?? new Uint8Array());
  const out: Orientation[] = [];
  for (const ipma of inIprp.filter((x) => x.type === 'ipma')) {
    const v = view(ipma.body);
    const version = ipma.body[0];
    const wideIndex = (ipma.body[3] & 1) === 1;
    const count = v.getUint32(4);
    let at = 8;
    for (let i = 0; i < count; i++) {
      const item = version < 1 ? v.getUint16(at) : v.getUint32(at);
      at += version < 1 ? 2 : 4;
      const n = ipma.body[at++];
      for (let j = 0; j < n; j++) {
        const index = wideIndex ? v.getUint16(at) & 0x7fff : ipma.body[at] & 0x7f;
        at += wideIndex ? 2 : 1;
        const p = properties[index - 1];
        if (item !== primary || !p) continue;
        if (p.type === 'irot') out.push(([1, 8, 3, 6] as const)[p.body[0] & 3]);
        if (p.type === 'imir') out.push((p.body[0] & 1) === 0 ? 4 : 2);
      }
    }
  }
  return out;
}
