// The conv rule's inner loops: per output fixation, the sum over the receptive field's in-bounds taps of
// input × filter for every input channel of its group, the channel with the largest sum, then the tap within it.
// Reads the input channel-last (the receptive field's channels side by side) when enough fixations share it.
import type { Values } from '../../onnx/tensor';
import { derivedValue, planarActivation, type Activation } from '../tensor';
import type { ConvMode } from '../types';
import { convChannelKernel, type ConvChannelKernel } from '../wasm/conv';
import { integerConvKernel } from '../wasm/qconv';
import type { ConvGeometry } from './conv';

/** In-bounds taps of one fixation: t = u·kw + v, the input offset y·W + x it reads, and its channel-last row (kept between calls: the walk is synchronous). */
let inTap = new Int32Array(0);
let tapAt = new Int32Array(0);
let rows = new Int32Array(0);

/** The input positions a layer's fixations read (ascending), each one's rank among them, and the stamps marking them. */
let needed = new Int32Array(0);
let slotOf = new Int32Array(0);
let stamp = new Int32Array(0);
let stampNow = 0;
/** How many planar reads cost as much as copying one value channel-last (measured on ResNet-50's layers). */
const CHANNEL_LAST_GAIN = 8;
/** The same for uint8/int8 inputs of the integer kernel, which copies bytes in WebAssembly (about 0.2 ns a value). */
const INTEGER_CHANNEL_LAST_GAIN = 32;
/** Channels copied together: the writes of one position fill a cache line. */
const CHANNEL_TILE = 16;

/** Input channels per group from which the WebAssembly kernel pays for copying the receptive field into its memory. */
const SIMD_MIN_CHANNELS = 8;
/** Whether float32 and quantized layers use the WebAssembly kernels when they loaded (the tests compare both ways). */
let simdEnabled = true;

/** Turns the WebAssembly channel choice off or on; returns whether it is available at all. */
export function useConvSimd(enabled: boolean): boolean {
  simdEnabled = enabled;
  return convChannelKernel !== undefined;
}

/**
 * The walk reads values of forward pass `key` (an identity): the WebAssembly kernel's memory keeps that pass's
 * channel-last inputs for the next walk over it (a class switch) and lets an earlier pass's go; the transposed
 * filters it keeps do not depend on the pass.
 */
export function convForward(key: object): void {
  convChannelKernel?.forward(key);
  integerConvKernel?.forward(key);
}

/** The input's dequantized values, channel-last, per forward tensor: a class switch reads them again. */
const channelLastCache = new WeakMap<Values, { zero: number; scale: number; values: Float32Array | Float64Array }>();
/** Per forward tensor, the reads (fixations × taps × channels) convs have made planar or from a sparse copy: once they would have paid for a whole copy, the next read copies. */
const readPlanar = new WeakMap<object, number>();

/**
 * One parent per output fixation. `w` holds the filters [Cout, Cin/G, kh, kw]; `channelSign` (optional, per
 * output channel) flips the products where a following BatchNormalization scales by a negative.
 *
 * The sums are those of the plain rule, term for term: value (data − zero)·scale times weight, added in tap
 * order (u, then v) in double precision, then multiplied by the sign. Out-of-bounds taps (zero padding) are
 * skipped, which changes at most the sign of a zero sum: no comparison sees it. Ties go to the lowest channel,
 * then the first tap, as ALGORITHM.md says.
 */
export function backConv(
  geo: ConvGeometry,
  x: Activation,
  w: ArrayLike<number>,
  fix: Int32Array,
  mode: ConvMode,
  channelSign?: ArrayLike<number>,
): { parents: Int32Array; fallbacks: number } {
  const [, cin, H, W] = x.dims;
  const [, cout, OH, OW] = geo.outDims;
  const { h, w: wa } = geo.win;
  const cinG = cin / geo.group;
  const coutG = cout / geo.group;
  const kh = h.kernel,
    kw = wa.kernel;
  const taps = kh * kw;
  const plane = H * W;
  const n = fix.length;
  const parents = new Int32Array(n);
  if (inTap.length < taps) {
    inTap = new Int32Array(taps);
    tapAt = new Int32Array(taps);
    rows = new Int32Array(taps);
  }
  // Reading a plane per channel misses the cache on every value; one channel-last copy (a sequential read and
  // block-wise writes, kept for the next walk on this forward) pays for itself well before the fixations read
  // as many values as the tensor holds. Reads add up over the walks of a forward (a class switch, another conv
  // reading the tensor): the copy is made once they would have paid for it. A switch reads few: the choices of
  // the fixations an earlier walk reached are kept (memo.ts). A copy already made is read whatever the number.
  let last = cachedChannelLast(x);
  const { copy, simd, sparse } = floatLayer(geo, x, w, fix, last);
  // A derived input the WebAssembly kernel does not take is made whole once, and read as a kept one.
  if (x.derived && !simd) x = planarActivation(x);
  // Quantized values and integer filters (the quantized models) go to the integer kernel: read as stored, their
  // products summed exactly in 32-bit integers; the tap choice then reads the values in place.
  // A group of one channel (depthwise) needs no copy: the kernel chooses that channel without reading.
  const integer = (copy || cinG === 1) && !simd && simdEnabled && integerConvKernel?.layer(x, w, cinG, taps) ? integerConvKernel : undefined;
  if (copy && !simd && !integer) last ??= channelLast(x);
  // Where the tap choice reads the channel-last values: at lastAt + position·cin + channel.
  let lastAt = 0;
  let fallbacks = 0;
  for (let k = 0; k < n; k++) {
    const f = fix[k];
    const c = Math.floor(f / (OH * OW)) % cout;
    const g = Math.floor(c / coutG);
    const sign = channelSign && channelSign[c] < 0 ? -1 : 1;
    const oy = Math.floor(f / OW) % OH,
      ox = f % OW;
    const m = windowTaps(geo, oy, ox, H, W);
    const wBase = c * cinG * taps;
    let best: number;
    if (simd) {
      // The sparse copy's row of a position is its rank among the positions read; the tap choice reads in place.
      for (let r = 0; r < m; r++) rows[r] = (sparse ? slotOf[tapAt[r]] : tapAt[r]) * cin + g * cinG;
      best = simd.best(rows, inTap, m, c, sign);
      if (!sparse) {
        last = simd.values;
        lastAt = simd.inputAt;
      }
    } else if (integer) {
      for (let r = 0; r < m; r++) rows[r] = tapAt[r] * cin + g * cinG;
      best = integer.best(rows, inTap, m, c, sign);
    } else
      best = last ? bestChannelLast(last, cin, g * cinG, cinG, w, wBase, taps, m, sign) : bestChannelPlanar(x, plane, g * cinG, cinG, w, wBase, taps, m, sign);
    const ch = g * cinG + best;
    // Only in-bounds taps compete for the position: padding never wins.
    let q = integer && m > 0 && mode !== 'center' ? integer.tap(rows, inTap, m, best, mode === 'activation', sign) : -1;
    if (q < 0 && m > 0 && mode !== 'center') {
      let tv = -Infinity;
      const wc = wBase + best * taps;
      for (let r = 0; r < m; r++) {
        const p = last
          ? last[lastAt + tapAt[r] * cin + ch]
          : x.derived
            ? derivedValue(x.derived, ch, tapAt[r])
            : (x.data[ch * plane + tapAt[r]] - x.zero) * x.scale;
        const val = mode === 'activation' ? p : p * w[wc + inTap[r]] * sign;
        if (val > tv) {
          tv = val;
          q = r;
        }
      }
    }
    let offset: number;
    if (q >= 0) offset = tapAt[q];
    else {
      // `center` mode, or a window with no in-bounds tap: the stride-scaled position, kept in bounds.
      if (m === 0) fallbacks++;
      offset = Math.min(H - 1, Math.max(0, oy * h.stride)) * W + Math.min(W - 1, Math.max(0, ox * wa.stride));
    }
    parents[k] = ch * plane + offset;
  }
  return { parents, fallbacks };
}

/**
 * The copy decision for `fix` reading `x`, and the WebAssembly kernel set up for a float32 layer: on a channel-last
 * copy (`copy`), or on a sparse one of the positions the fixations read (`sparse`). `simd` is undefined where the
 * layer runs elsewhere (quantized, SIMD off or missing, too few channels, too large for the arena).
 */
function floatLayer(
  geo: ConvGeometry,
  x: Activation,
  w: ArrayLike<number>,
  fix: Int32Array,
  last: Float32Array | Float64Array | undefined,
): { copy: boolean; simd: ConvChannelKernel | undefined; sparse: boolean } {
  const [, cin, H, W] = x.dims;
  const cinG = cin / geo.group;
  const taps = geo.win.h.kernel * geo.win.w.kernel;
  const plane = H * W;
  const n = fix.length;
  // A derived input (made from kept tensors, plan.ts) is known by its description, the same object for a forward pass.
  const key = x.derived ?? x.data;
  const reads = (readPlanar.get(key) ?? 0) + n * taps * cinG;
  const copy =
    last !== undefined ||
    (x.derived ? convChannelKernel?.holds(x.derived) : x.data instanceof Float32Array && convChannelKernel?.holds(x.data)) ||
    integerConvKernel?.holds(x.data) ||
    reads * (integerConvKernel && (x.data instanceof Uint8Array || x.data instanceof Int8Array) ? INTEGER_CHANNEL_LAST_GAIN : CHANNEL_LAST_GAIN) >= cin * plane;
  if (!copy) readPlanar.set(key, reads);
  // Float32 values and filters (the float models) go to the WebAssembly kernel: the same sums, two channels at
  // once, on the channel-last copy it keeps in its own memory (the only one made: no JavaScript copy). Where too few
  // fixations read the input to pay for that copy, it reads a sparse one instead of the planes: only the positions
  // the fixations read, gathered along the planes (a cache miss per line they fall in, not per value read), once
  // each however many fixations share it, and not kept.
  const xf = x.derived ?? (x.data instanceof Float32Array && x.zero === 0 && x.scale === 1 ? x.data : undefined);
  const wf = w instanceof Float32Array ? w : undefined;
  const float = simdEnabled && xf && wf && cinG >= SIMD_MIN_CHANNELS ? convChannelKernel : undefined;
  let sparse = false;
  if (float && xf && wf && !copy) {
    const count = neededPositions(geo, fix, H, W);
    sparse = float.sparse(xf, cin, plane, needed, count, wf, cinG, taps);
  }
  const simd = sparse || (copy && xf && wf && float?.layer(xf, cin, plane, wf, cinG, taps)) ? float : undefined;
  return { copy, simd, sparse };
}

/** Puts the in-bounds taps of output position (oy, ox)'s window in `inTap` (u·kw + v) and `tapAt` (y·W + x); returns how many. */
function windowTaps(geo: ConvGeometry, oy: number, ox: number, H: number, W: number): number {
  const { h, w: wa } = geo.win;
  const y0 = oy * h.stride - h.padBegin,
    x0 = ox * wa.stride - wa.padBegin;
  let m = 0;
  for (let u = 0; u < h.kernel; u++) {
    const yy = y0 + u * h.dilation;
    if (yy < 0 || yy >= H) continue;
    for (let v = 0; v < wa.kernel; v++) {
      const xx = x0 + v * wa.dilation;
      if (xx < 0 || xx >= W) continue;
      inTap[m] = u * wa.kernel + v;
      tapAt[m++] = yy * W + xx;
    }
  }
  return m;
}

/**
 * The conv's output values before its bias at output elements `fix` (sorted), from the WebAssembly kernel with the
 * conv rule's copies of the input (a whole copy then serves the conv rule that reads the same input next), or
 * undefined where the kernel does not take the layer (rules/conv-values.ts then sums in TypeScript).
 */
export function convSums(geo: ConvGeometry, x: Activation, w: ArrayLike<number>, fix: Int32Array): Float64Array | undefined {
  const [, cin, H, W] = x.dims;
  const [, cout, OH, OW] = geo.outDims;
  const taps = geo.win.h.kernel * geo.win.w.kernel;
  if (inTap.length < taps) {
    inTap = new Int32Array(taps);
    tapAt = new Int32Array(taps);
    rows = new Int32Array(taps);
  }
  const { simd, sparse } = floatLayer(geo, x, w, fix, cachedChannelLast(x));
  if (!simd) return undefined;
  const cinG = cin / geo.group,
    coutG = cout / geo.group;
  const out = new Float64Array(fix.length);
  for (let k = 0; k < fix.length; k++) {
    const f = fix[k];
    const c = Math.floor(f / (OH * OW)) % cout;
    const g = Math.floor(c / coutG);
    const m = windowTaps(geo, Math.floor(f / OW) % OH, f % OW, H, W);
    for (let r = 0; r < m; r++) rows[r] = (sparse ? slotOf[tapAt[r]] : tapAt[r]) * cin + g * cinG;
    out[k] = simd.sum(rows, inTap, m, c);
  }
  return out;
}

/**
 * Puts in `needed` the input positions y·W + x that the fixations' in-bounds taps read, each once and ascending,
 * and each one's rank in `slotOf`; returns how many. A stamp per position (a new value per call) marks those seen.
 * Uses the tap lists (`windowTaps`): the caller has sized them for the layer's kernel.
 */
function neededPositions(geo: ConvGeometry, fix: Int32Array, H: number, W: number): number {
  const [, , OH, OW] = geo.outDims;
  const plane = H * W;
  if (stamp.length < plane) {
    stamp = new Int32Array(plane);
    slotOf = new Int32Array(plane);
    stampNow = 0;
  }
  if (++stampNow === 0x7fffffff) {
    stamp.fill(0);
    stampNow = 1;
  }
  let count = 0;
  for (let k = 0; k < fix.length; k++) {
    const f = fix[k];
    const m = windowTaps(geo, Math.floor(f / OW) % OH, f % OW, H, W);
    for (let r = 0; r < m; r++) {
      const p = tapAt[r];
      if (stamp[p] === stampNow) continue;
      stamp[p] = stampNow;
      if (count === needed.length) {
        const more = new Int32Array(Math.max(64, count * 2));
        more.set(needed);
        needed = more;
      }
      needed[count++] = p;
    }
  }
  needed.subarray(0, count).sort();
  for (let i = 0; i < count; i++) slotOf[needed[i]] = i;
  return count;
}

/**
 * The first channel with the largest sum, reading the channel-last copy: tap r's values for channel ci sit at
 * rows[r] + ci. Each channel's sum stays in a register, its taps added in order.
 */
function bestChannelLast(
  last: Float32Array | Float64Array,
  cin: number,
  c0: number,
  cinG: number,
  w: ArrayLike<number>,
  wBase: number,
  taps: number,
  m: number,
  sign: number,
): number {
  for (let r = 0; r < m; r++) rows[r] = tapAt[r] * cin + c0;
  let best = 0,
    top = -Infinity;
  if (m === 9 && taps === 9) {
    // A 3×3 window wholly inside the input: most of the work in ResNets and VGG, unrolled.
    const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = rows;
    for (let ci = 0, wi = wBase; ci < cinG; ci++, wi += 9) {
      const v =
        (last[r0 + ci] * w[wi] +
          last[r1 + ci] * w[wi + 1] +
          last[r2 + ci] * w[wi + 2] +
          last[r3 + ci] * w[wi + 3] +
          last[r4 + ci] * w[wi + 4] +
          last[r5 + ci] * w[wi + 5] +
          last[r6 + ci] * w[wi + 6] +
          last[r7 + ci] * w[wi + 7] +
          last[r8 + ci] * w[wi + 8]) *
        sign;
      if (v > top) {
        top = v;
        best = ci;
      }
    }
  } else if (m === 1) {
    // 1×1 kernels (most of the work in modern nets), or a window with one tap inside: a dot product's terms.
    const r0 = rows[0];
    for (let ci = 0, wi = wBase + inTap[0]; ci < cinG; ci++, wi += taps) {
      const v = last[r0 + ci] * w[wi] * sign;
      if (v > top) {
        top = v;
        best = ci;
      }
    }
  } else {
    for (let ci = 0, wc = wBase; ci < cinG; ci++, wc += taps) {
      let acc = 0;
      for (let r = 0; r < m; r++) acc += last[rows[r] + ci] * w[wc + inTap[r]];
      const v = acc * sign;
      if (v > top) {
        top = v;
        best = ci;
      }
    }
  }
  return best;
}

/** The same choice read from the planar (N, C, H, W) input, dequantized as read. */
function bestChannelPlanar(
  x: Activation,
  plane: number,
  c0: number,
  cinG: number,
  w: ArrayLike<number>,
  wBase: number,
  taps: number,
  m: number,
  sign: number,
): number {
  const { data, zero, scale } = x;
  let best = 0,
    top = -Infinity;
  if (m === 1) {
    // 1×1 kernels read in place (few fixations on a wide input, as in DenseNet's bottlenecks): one term per channel,
    // with no loop over taps around it (about twice as fast).
    for (let ci = 0, xc = c0 * plane + tapAt[0], wc = wBase + inTap[0]; ci < cinG; ci++, xc += plane, wc += taps) {
      const v = (data[xc] - zero) * scale * w[wc] * sign;
      if (v > top) {
        top = v;
        best = ci;
      }
    }
    return best;
  }
  for (let ci = 0, xc = c0 * plane, wc = wBase; ci < cinG; ci++, xc += plane, wc += taps) {
    let acc = 0;
    for (let r = 0; r < m; r++) acc += (data[xc + tapAt[r]] - zero) * scale * w[wc + inTap[r]];
    const v = acc * sign;
    if (v > top) {
      top = v;
      best = ci;
    }
  }
  return best;
}

/** The channel-last copy made earlier of this activation, if any. */
function cachedChannelLast(x: Activation): Float32Array | Float64Array | undefined {
  const hit = channelLastCache.get(x.data);
  return hit && hit.zero === x.zero && hit.scale === x.scale ? hit.values : undefined;
}

/**
 * The activation's values (data − zero)·scale laid out [H·W, C] (batch 0). Float32 when that is exact (float
 * data as is, or integers with scale 1), else Float64: the sums see the same doubles either way.
 */
function channelLast(x: Activation): Float32Array | Float64Array {
  const hit = cachedChannelLast(x);
  if (hit) return hit;
  const [, c, H, W] = x.dims;
  const plane = H * W;
  const { data, zero, scale } = x;
  const exact =
    scale === 1 && (data instanceof Float32Array ? zero === 0 : Number.isInteger(zero) && (data instanceof Uint8Array || data instanceof Int8Array));
  const out = exact ? new Float32Array(c * plane) : new Float64Array(c * plane);
  for (let c0 = 0; c0 < c; c0 += CHANNEL_TILE) {
    const c1 = Math.min(c, c0 + CHANNEL_TILE);
    for (let p = 0; p < plane; p++) {
      const d = p * c;
      for (let ch = c0; ch < c1; ch++) out[d + ch] = (data[ch * plane + p] - zero) * scale;
    }
  }
  channelLastCache.set(x.data, { zero, scale, values: out });
  return out;
}
