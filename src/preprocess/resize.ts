// RGBA resize, value for value jimp's default (Grant Galitz's two-pass resizer in @jimp/plugin-resize: a box
// filter weighted by alpha when shrinking, linear interpolation when growing, float32 between the passes), so
// the model sees the pixels it saw when jimp resized them. Two things jimp cannot do: only the region a crop
// keeps is computed (both passes skip the rows and columns no kept pixel reads), and no per-call validation
// or copies of the source. The passes keep jimp's arithmetic (its positions in channel units, float32
// accumulators) because a different rounding order would move some pixels by one level.

import type { Bitmap } from './decode';

/** A rectangle of the resized image: the pixels wanted. */
export interface Region {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * One axis of a pass: for each output index, the source indices it reads and their weights. `box`: shrinking
 * (weights sum to the ratio; colours weighted by alpha); `lerp`: growing (one or two taps); `same`: no change.
 */
interface AxisPlan {
  readonly kind: 'box' | 'lerp' | 'same';
  /** taps of output i: src[start[i] .. start[i+1]), weight[...] */
  readonly start: Int32Array;
  readonly src: Int32Array;
  readonly weight: Float64Array;
}

/**
 * The taps jimp's pass takes along an axis of `from` → `to` pixels. `unit` is the distance between two source
 * pixels in the units jimp counts positions in (4 channels across a row, a whole pass-one row down a column):
 * its floating-point positions, and so its weights, depend on it.
 */
function axisPlan(from: number, to: number, unit: number): AxisPlan {
  const start = new Int32Array(to + 1);
  const src: number[] = [];
  const weight: number[] = [];
  if (from === to) {
    for (let i = 0; i < to; i++) {
      start[i + 1] = i + 1;
      src.push(i);
      weight.push(1);
    }
    return { kind: 'same', start, src: Int32Array.from(src), weight: Float64Array.from(weight) };
  }
  const ratio = from / to;
  if (ratio < 1) {
    // _resizeWidthInterpolatedRGBChannels / resizeHeightInterpolated
    let i = 0,
      w = 0;
    const tap = (s: number, k: number) => {
      src.push(s);
      weight.push(k);
    };
    for (; w < 1 / 3 && i < to; i++, w += ratio) {
      tap(0, 1);
      start[i + 1] = src.length;
    }
    w -= 1 / 3;
    for (; w < from - 1 && i < to; i++, w += ratio) {
      const second = w % 1;
      tap(Math.floor(w), 1 - second);
      tap(Math.floor(w) + 1, second);
      start[i + 1] = src.length;
    }
    for (; i < to; i++) {
      tap(from - 1, 1);
      start[i + 1] = src.length;
    }
    return { kind: 'lerp', start, src: Int32Array.from(src), weight: Float64Array.from(weight) };
  }
  // _resizeWidthRGBChannels / _resizeHeightRGBChannels: positions in `unit`s, carried from one output to the next
  const end = from * unit;
  let actual = 0,
    current = 0;
  for (let i = 0; i < to; i++) {
    let w = ratio;
    do {
      const toNext = 1 + actual - current;
      src.push(actual / unit);
      weight.push(Math.min(w, toNext));
      if (w >= toNext) {
        actual += unit;
        current = actual;
        w -= toNext;
      } else {
        current += w;
        break;
      }
    } while (w > 0 && actual < end);
    start[i + 1] = src.length;
  }
  return { kind: 'box', start, src: Int32Array.from(src), weight: Float64Array.from(weight) };
}

/** The source range [lo, hi) that outputs [first, last) of a plan read. */
function sourceSpan(p: AxisPlan, first: number, last: number): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (let t = p.start[first]; t < p.start[last]; t++) {
    lo = Math.min(lo, p.src[t]);
    hi = Math.max(hi, p.src[t] + 1);
  }
  return lo < hi ? [lo, hi] : [0, 0];
}

const f32 = Math.fround;

/**
 * `img` resized to `width` × `height` as jimp's `resize({ w, h })` does; only the pixels in `region` are computed
 * (the rest of the returned bitmap is 0).
 */
export function resizeRgba(img: Bitmap, width: number, height: number, region: Region = { left: 0, top: 0, width, height }): Bitmap {
  const sw = img.width,
    sh = img.height;
  // Already the size asked for (a 96×96 canvas for a 96×96 model): jimp passes the pixels through unchanged, and
  // so does this, without the two passes (≈ 3 ms of a sweep worker's image).
  if (sw === width && sh === height) return { width, height, data: new Uint8Array(img.data) };
  const cols = axisPlan(sw, width, 4);
  const rows = axisPlan(sh, height, width * 4);
  const x0 = region.left,
    x1 = region.left + region.width,
    y0 = region.top,
    y1 = region.top + region.height;
  const [r0, r1] = sourceSpan(rows, y0, y1);
  // Pass one (along rows): source rows r0..r1, output columns x0..x1, float32 as jimp keeps them.
  const pass = new Float32Array((r1 - r0) * width * 4);
  const px = img.data;
  for (let r = r0; r < Math.min(r1, sh); r++) {
    const s = r * sw * 4,
      o = (r - r0) * width * 4;
    for (let x = x0; x < x1; x++) {
      const a = cols.start[x],
        b = cols.start[x + 1];
      const q = o + x * 4;
      if (cols.kind === 'box') {
        let cr = 0,
          cg = 0,
          cb = 0,
          ca = 0,
          seen = 0;
        for (let t = a; t < b; t++) {
          const i = s + cols.src[t] * 4,
            m = cols.weight[t];
          const al = px[i + 3];
          cr = f32(cr + (al ? px[i] : 0) * m);
          cg = f32(cg + (al ? px[i + 1] : 0) * m);
          cb = f32(cb + (al ? px[i + 2] : 0) * m);
          ca = f32(ca + al * m);
          seen += al ? m : 0;
        }
        const k = seen ? 1 / seen : 0;
        pass[q] = cr * k;
        pass[q + 1] = cg * k;
        pass[q + 2] = cb * k;
        pass[q + 3] = ca * (1 / (sw / width));
      } else if (b - a === 1) {
        const i = s + cols.src[a] * 4;
        for (let c = 0; c < 4; c++) pass[q + c] = px[i + c];
      } else {
        const i = s + cols.src[a] * 4,
          j = s + cols.src[a + 1] * 4;
        const m = cols.weight[a],
          n = cols.weight[a + 1];
        for (let c = 0; c < 4; c++) pass[q + c] = px[i + c] * m + px[j + c] * n;
      }
    }
  }
  // Pass two (along columns) into bytes: jimp rounds (box, lerp), or truncates when the height is unchanged.
  const out = new Uint8Array(width * height * 4);
  const stride = width * 4;
  for (let y = y0; y < y1; y++) {
    const a = rows.start[y],
      b = rows.start[y + 1];
    const o = y * stride;
    for (let x = x0; x < x1; x++) {
      const q = o + x * 4;
      if (rows.kind === 'same') {
        const i = (rows.src[a] - r0) * stride + x * 4;
        for (let c = 0; c < 4; c++) out[q + c] = pass[i + c];
      } else if (rows.kind === 'box') {
        let cr = 0,
          cg = 0,
          cb = 0,
          ca = 0,
          seen = 0;
        for (let t = a; t < b; t++) {
          const i = (rows.src[t] - r0) * stride + x * 4,
            m = rows.weight[t];
          const al = pass[i + 3];
          cr = f32(cr + (al ? pass[i] : 0) * m);
          cg = f32(cg + (al ? pass[i + 1] : 0) * m);
          cb = f32(cb + (al ? pass[i + 2] : 0) * m);
          ca = f32(ca + al * m);
          seen += al ? m : 0;
        }
        const k = seen ? 1 / seen : 0;
        out[q] = Math.round(cr * k);
        out[q + 1] = Math.round(cg * k);
        out[q + 2] = Math.round(cb * k);
        out[q + 3] = Math.round(ca * (1 / (sh / height)));
      } else if (b - a === 1) {
        const i = (rows.src[a] - r0) * stride + x * 4;
        for (let c = 0; c < 4; c++) out[q + c] = Math.round(pass[i + c]);
      } else {
        const i = (rows.src[a] - r0) * stride + x * 4,
          j = (rows.src[a + 1] - r0) * stride + x * 4;
        const m = rows.weight[a],
          n = rows.weight[a + 1];
        for (let c = 0; c < 4; c++) out[q + c] = Math.round(pass[i + c] * m + pass[j + c] * n);
      }
    }
  }
  return { width, height, data: out };
}
