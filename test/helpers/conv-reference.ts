// The conv rule's channel and position choice as it was first written (gathered patches, NCHW reads): the
// reference the rule's faster kernel (src/unravel/rules/conv-kernel.ts) is compared against, bit for bit.
import type { ConvGeometry } from '../../src/unravel/rules/conv';
import type { Activation } from '../../src/unravel/tensor';
import type { ConvMode } from '../../src/unravel/types';

/** A seeded conv layer's shape: channels, input size, kernel, and one stride, pad and dilation for both axes. */
export interface Case {
  cin: number;
  cout: number;
  h: number;
  w: number;
  k: [number, number];
  stride: number;
  pad: number;
  dilation: number;
  group: number;
}

/** The layer's geometry as the conv rule takes it. */
export function geometry(c: Case): ConvGeometry {
  const axis = (n: number, k: number) => {
    const out = Math.floor((n + 2 * c.pad - (c.dilation * (k - 1) + 1)) / c.stride) + 1;
    return { kernel: k, stride: c.stride, dilation: c.dilation, padBegin: c.pad, padEnd: c.pad, out };
  };
  const h = axis(c.h, c.k[0]),
    w = axis(c.w, c.k[1]);
  return { win: { h, w }, group: c.group, outDims: [1, c.cout, h.out, w.out] };
}

/** Receptive fields gathered per block: bounds the scratch memory (block · Cin/G · kh · kw floats). */
const BLOCK = 256;

/** Scratch for gathered patches, kept between calls (the walk is synchronous, so one buffer serves all). */
let scratch = new Float64Array(0);
function patchBuffer(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/**
 * One parent per output fixation. `w` holds the filters [Cout, Cin/G, kh, kw] as floats; `channelSign`
 * (optional, per output channel) flips the products where a following BatchNormalization scales by a negative.
 * Fixations are grouped by receptive field and each field is gathered (dequantized) once into a contiguous
 * patch laid out like a filter; gathering runs channel by channel over a block of fields, so reads move along
 * each input plane instead of jumping a plane per channel.
 */
export function backConvReference(
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
  const field = cinG * taps;
  const plane = H * W;
  const data = x.data,
    zero = x.zero,
    scale = x.scale;
  const n = fix.length;
  const parents = new Int32Array(n);
  // Group fixations by receptive field: key = (group, oy, ox).
  const key = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const f = fix[k];
    key[k] = Math.floor((Math.floor(f / (OH * OW)) % cout) / coutG) * OH * OW + (f % (OH * OW));
  }
  const order = Int32Array.from({ length: n }, (_, k) => k).sort((a, b) => key[a] - key[b] || a - b);
  const starts: number[] = [];
  for (let k = 0; k < n; k++) if (k === 0 || key[order[k]] !== key[order[k - 1]]) starts.push(k);
  starts.push(n);
  const groups = starts.length - 1;
  const block = Math.min(BLOCK, groups);
  const patch = patchBuffer(block * field);
  const planeBase = new Int32Array(block); // where each field's group starts in the input
  const nIn = new Int32Array(block);
  const inTap = new Int32Array(block * taps); // in-bounds tap t = u·kw + v
  const tapAt = new Int32Array(block * taps); // its offset y·W + x in the input plane
  let fallbacks = 0;
  for (let b0 = 0; b0 < groups; b0 += block) {
    const bn = Math.min(block, groups - b0);
    for (let j = 0; j < bn; j++) {
      const f0 = fix[order[starts[b0 + j]]];
      const oy = Math.floor(f0 / OW) % OH,
        ox = f0 % OW;
      const y0 = oy * h.stride - h.padBegin,
        x0 = ox * wa.stride - wa.padBegin;
      let m = 0;
      for (let u = 0; u < kh; u++) {
        const yy = y0 + u * h.dilation;
        if (yy < 0 || yy >= H) continue;
        for (let v = 0; v < kw; v++) {
          const xx = x0 + v * wa.dilation;
          if (xx < 0 || xx >= W) continue;
          inTap[j * taps + m] = u * kw + v;
          tapAt[j * taps + m] = yy * W + xx;
          m++;
        }
      }
      nIn[j] = m;
      planeBase[j] = Math.floor((Math.floor(f0 / (OH * OW)) % cout) / coutG) * cinG * plane;
    }
    // 1×1 kernels read the input directly below: a gathered column would be read about once per fixation.
    if (taps > 1) patch.fill(0, 0, bn * field); // out-of-bounds taps stay 0: they add nothing to a channel's sum
    const dense = h.dilation === 1 && wa.dilation === 1;
    for (let ci = 0; ci < (taps > 1 ? cinG : 0); ci++) {
      for (let j = 0; j < bn; j++) {
        const xBase = planeBase[j] + ci * plane,
          pBase = j * field + ci * taps,
          tBase = j * taps;
        if (dense && nIn[j] === taps) {
          // A window wholly inside the input: kh rows of kw consecutive values.
          let src = xBase + tapAt[tBase],
            dst = pBase;
          for (let u = 0; u < kh; u++, src += W) for (let v = 0; v < kw; v++) patch[dst++] = (data[src + v] - zero) * scale;
        } else {
          for (let q = 0; q < nIn[j]; q++) patch[pBase + inTap[tBase + q]] = (data[xBase + tapAt[tBase + q]] - zero) * scale;
        }
      }
    }
    for (let j = 0; j < bn; j++) {
      const pField = j * field,
        tBase = j * taps,
        m = nIn[j];
      for (let k = starts[b0 + j]; k < starts[b0 + j + 1]; k++) {
        const f = fix[order[k]];
        const c = Math.floor(f / (OH * OW)) % cout;
        const g = Math.floor(c / coutG);
        const sign = channelSign && channelSign[c] < 0 ? -1 : 1;
        const wBase = c * field;
        let best = 0,
          top = -Infinity;
        if (taps === 1) {
          // 1×1 convolutions (most of the work in modern nets): one product per channel, read in place; the
          // chosen channel's value is stored where the position step reads it.
          if (m) {
            const xb = planeBase[j] + tapAt[tBase];
            for (let ci = 0; ci < cinG; ci++) {
              const s = (data[xb + ci * plane] - zero) * scale * w[wBase + ci] * sign;
              if (s > top) {
                top = s;
                best = ci;
              }
            }
            patch[pField + best] = (data[xb + best * plane] - zero) * scale;
          } else {
            for (let ci = 0; ci < cinG; ci++) {
              const s = 0 * w[wBase + ci] * sign;
              if (s > top) {
                top = s;
                best = ci;
              }
            }
          }
        } else if (taps === 9) {
          // 3×3 kernels, unrolled: the rest of the work in ResNets and VGG.
          for (let ci = 0; ci < cinG; ci++) {
            const pb = pField + ci * 9,
              wb = wBase + ci * 9;
            const s =
              (patch[pb] * w[wb] +
                patch[pb + 1] * w[wb + 1] +
                patch[pb + 2] * w[wb + 2] +
                patch[pb + 3] * w[wb + 3] +
                patch[pb + 4] * w[wb + 4] +
                patch[pb + 5] * w[wb + 5] +
                patch[pb + 6] * w[wb + 6] +
                patch[pb + 7] * w[wb + 7] +
                patch[pb + 8] * w[wb + 8]) *
              sign;
            if (s > top) {
              top = s;
              best = ci;
            }
          }
        } else {
          for (let ci = 0; ci < cinG; ci++) {
            let s = 0;
            const pBase = pField + ci * taps,
              wc = wBase + ci * taps;
            for (let t = 0; t < taps; t++) s += patch[pBase + t] * w[wc + t];
            s *= sign;
            if (s > top) {
              top = s;
              best = ci;
            }
          }
        }
        // Only in-bounds taps compete for the position: padding never wins.
        let q = -1;
        if (m > 0 && mode !== 'center') {
          let tv = -Infinity;
          const pBase = pField + best * taps,
            wc = wBase + best * taps;
          for (let r = 0; r < m; r++) {
            const t = inTap[tBase + r];
            const val = mode === 'activation' ? patch[pBase + t] : patch[pBase + t] * w[wc + t] * sign;
            if (val > tv) {
              tv = val;
              q = r;
            }
          }
        }
        let offset: number;
        if (q >= 0) offset = tapAt[tBase + q];
        else {
          // `center` mode, or a window with no in-bounds tap: the stride-scaled position, kept in bounds.
          if (m === 0) fallbacks++;
          const oy = Math.floor(f / OW) % OH,
            ox = f % OW;
          offset = Math.min(H - 1, Math.max(0, oy * h.stride)) * W + Math.min(W - 1, Math.max(0, ox * wa.stride));
        }
        parents[order[k]] = (g * cinG + best) * plane + offset;
      }
    }
  }
  return { parents, fallbacks };
}
