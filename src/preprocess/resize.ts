// RGBA resize, value for value jimp's default (Grant Galitz's two-pass resizer in @jimp/plugin-resize: a box
// filter weighted by alpha when shrinking, linear interpolation when growing, float32 between the passes), so
// the model sees the pixels it saw when jimp resized them. Two things jimp cannot do: only the region a crop
// keeps is computed (both passes skip the rows and columns no kept pixel reads), and no per-call validation
// or copies of the source. The passes keep jimp's arithmetic (its positions in channel units, float32
// accumulators) because a different rounding order would move some pixels by one level. The intermediate holds
// only the kept columns, and the second pass adds whole rows of it one tap at a time (memory read in order, not
// one column's taps rows apart): the same sums in the same order, 5–15 % less time. Shrinking both ways (a photo
// to a model's input) runs in WebAssembly SIMD where it can (wasm/resize.wat: the same sums, 2–3× less time);
// these loops stay the reference the tests compare it with, and run the other cases.

import type { Bitmap } from './decode';
import { resizeKernel } from './wasm/resize';

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

/** Pass one along one source row (`s`: its first byte) into one row of `pass` (`o`: its first float), columns x0..x1. */
function alongRow(px: Uint8Array, s: number, pass: Float32Array, o: number, cols: AxisPlan, x0: number, x1: number, alphaScale: number): void {
  const start = cols.start,
    src = cols.src,
    weight = cols.weight;
  if (cols.kind === 'box') {
    for (let x = x0; x < x1; x++) {
      let cr = 0,
        cg = 0,
        cb = 0,
        ca = 0,
        seen = 0;
      for (let t = start[x], b = start[x + 1]; t < b; t++) {
        const i = s + src[t] * 4;
        const al = px[i + 3];
        // a transparent tap adds 0 to every sum (jimp multiplies its colour by 0), so it is skipped
        if (al) {
          const m = weight[t];
          cr = Math.fround(cr + px[i] * m);
          cg = Math.fround(cg + px[i + 1] * m);
          cb = Math.fround(cb + px[i + 2] * m);
          ca = Math.fround(ca + al * m);
          seen += m;
        }
      }
      const k = seen ? 1 / seen : 0;
      const q = o + x * 4;
      pass[q] = cr * k;
      pass[q + 1] = cg * k;
      pass[q + 2] = cb * k;
      pass[q + 3] = ca * alphaScale;
    }
    return;
  }
  for (let x = x0; x < x1; x++) {
    const a = start[x],
      q = o + x * 4;
    const i = s + src[a] * 4;
    if (start[x + 1] - a === 1) {
      pass[q] = px[i];
      pass[q + 1] = px[i + 1];
      pass[q + 2] = px[i + 2];
      pass[q + 3] = px[i + 3];
    } else {
      const j = s + src[a + 1] * 4;
      const m = weight[a],
        n = weight[a + 1];
      pass[q] = px[i] * m + px[j] * n;
      pass[q + 1] = px[i + 1] * m + px[j + 1] * n;
      pass[q + 2] = px[i + 2] * m + px[j + 2] * n;
      pass[q + 3] = px[i + 3] * m + px[j + 3] * n;
    }
  }
}

/**
 * Pass two for output row `y` (`o`: its first byte), `n` pixels from column x0, out of `pass` (rows from source row
 * r0, `pw` floats each, starting at column x0). A box sums whole rows of `pass` one tap at a time into `acc` (a
 * Float32Array: each store rounds to float32 as jimp's accumulators do) and `seen`, reading memory in order.
 */
function alongColumn(
  pass: Float32Array,
  r0: number,
  pw: number,
  rows: AxisPlan,
  y: number,
  out: Uint8Array,
  o: number,
  n: number,
  alphaScale: number,
  acc: Float32Array,
  seen: Float64Array,
): void {
  const a = rows.start[y],
    b = rows.start[y + 1];
  const src = rows.src,
    weight = rows.weight;
  if (rows.kind === 'box') {
    acc.fill(0);
    seen.fill(0);
    for (let t = a; t < b; t++) {
      const row = (src[t] - r0) * pw;
      const m = weight[t];
      for (let x = 0, i = row, q = 0; x < n; x++, i += 4, q += 4) {
        const al = pass[i + 3];
        // a transparent tap adds 0 to every sum (jimp multiplies its colour by 0), so it is skipped
        if (al) {
          acc[q] = acc[q] + pass[i] * m;
          acc[q + 1] = acc[q + 1] + pass[i + 1] * m;
          acc[q + 2] = acc[q + 2] + pass[i + 2] * m;
          acc[q + 3] = acc[q + 3] + al * m;
          seen[x] += m;
        }
      }
    }
    for (let x = 0, q = 0; x < n; x++, q += 4) {
      const k = seen[x] ? 1 / seen[x] : 0;
      out[o + q] = Math.round(acc[q] * k);
      out[o + q + 1] = Math.round(acc[q + 1] * k);
      out[o + q + 2] = Math.round(acc[q + 2] * k);
      out[o + q + 3] = Math.round(acc[q + 3] * alphaScale);
    }
    return;
  }
  const i0 = (src[a] - r0) * pw;
  if (rows.kind === 'same') {
    // jimp truncates when the height is unchanged: the Uint8Array's store does
    for (let x = 0; x < n * 4; x++) out[o + x] = pass[i0 + x];
  } else if (b - a === 1) {
    for (let x = 0; x < n * 4; x++) out[o + x] = Math.round(pass[i0 + x]);
  } else {
    const j0 = (src[a + 1] - r0) * pw;
    const m = weight[a],
      w = weight[a + 1];
    for (let x = 0; x < n * 4; x++) out[o + x] = Math.round(pass[i0 + x] * m + pass[j0 + x] * w);
  }
}

/**
 * `img` resized to `width` × `height` as jimp's `resize({ w, h })` does; only the pixels in `region` are computed
 * (the rest of the returned bitmap is 0).
 */
export function resizeRgba(
  img: Bitmap,
  width: number,
  height: number,
  region: Region = { left: 0, top: 0, width, height },
  /** Shrinking both ways runs in WebAssembly (wasm/resize.ts) where it can; false: in TypeScript (the tests compare the two). */
  wasm = true,
): Bitmap {
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
  const stride = width * 4,
    n = x1 - x0,
    pw = n * 4;
  const alphaScales: [number, number] = [1 / (sw / width), 1 / (sh / height)];
  const [c0, c1] = sourceSpan(cols, x0, x1);
  // The kernel reads only pixels inside the image: a plan whose last tap lands one past the edge (jimp's positions
  // summed in floating point can end there) reads what TypeScript reads there, so it stays in TypeScript.
  if (wasm && resizeKernel && cols.kind === 'box' && rows.kind === 'box' && n > 0 && y1 > y0 && c1 <= sw && r1 <= sh) {
    const out = new Uint8Array(width * height * 4);
    resizeKernel.resize(img.data, sw, cols, rows, { x0, x1, y0, y1, c0, c1, r0, r1 }, alphaScales, out, stride);
    return { width, height, data: out };
  }
  // Pass one (along rows): source rows r0..r1, output columns x0..x1, float32 as jimp keeps them.
  const pass = new Float32Array((r1 - r0) * pw);
  for (let r = r0; r < Math.min(r1, sh); r++) alongRow(img.data, r * sw * 4, pass, (r - r0) * pw - x0 * 4, cols, x0, x1, alphaScales[0]);
  // Pass two (along columns) into bytes: jimp rounds (box, lerp), or truncates when the height is unchanged.
  const out = new Uint8Array(width * height * 4);
  const acc = new Float32Array(pw),
    seen = new Float64Array(n);
  for (let y = y0; y < y1; y++) alongColumn(pass, r0, pw, rows, y, out, y * stride + x0 * 4, n, alphaScales[1], acc, seen);
  return { width, height, data: out };
}
