// A conv's output at chosen elements, computed from its input and filters. The walk reads a residual Add's operands
// only where its fixations are (rules/binary.ts); when an operand is a 1×1 conv's output, the forward pass need not
// keep it (plan.ts): the walk keeps the conv's input anyway for the conv rule, and computes the few values the Add compares.
// Keeping it would cost a copy of the whole tensor out of onnxruntime and the fusion of the Add (and its Relu) into
// the conv: on ResNet-50, 20 tensors, 28 MB and ~12 ms of a 71 ms forward.
//
// The sums are in double precision (the conv rule's WebAssembly kernel on the float models, on the channel-last copy
// of the input that the conv rule reads next; TypeScript elsewhere), rounded to float32 like the tensor onnxruntime
// would have returned. onnxruntime adds in another order, so a value may differ from its in the last bit: a choice
// between two operands that close may differ from the one made on the kept tensor.
import { planarActivation, type Activation } from '../tensor';
import type { ConvGeometry } from './conv';
import { convForward, convSums } from './conv-kernel';

/** One receptive field, all input channels (tap-major within each channel, as the filters), reused between calls. */
let field = new Float64Array(0);

/**
 * The conv's output at flat indices `at` (ascending): bias + Σ input × filter over the receptive field's in-bounds
 * taps of the output channel's group. `w` holds the filters [Cout, Cin/G, kh, kw]; `forward` identifies the forward
 * pass whose values `x` holds (the kernel's copies are kept per forward pass).
 */
export function convValuesAt(
  geo: ConvGeometry,
  x: Activation,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  at: Int32Array,
  forward?: object,
): Float64Array {
  if (forward) convForward(forward);
  const sums = convSums(geo, x, w, at);
  if (!sums) return convValuesInTypeScript(geo, x, w, bias, at);
  const cout = geo.outDims[1],
    outPlane = geo.outDims[2] * geo.outDims[3];
  for (let j = 0; j < at.length; j++) sums[j] = Math.fround(bias ? sums[j] + bias[Math.floor(at[j] / outPlane) % cout] : sums[j]);
  return sums;
}

/** The same in TypeScript, for any order of `at` (repeats allowed): each receptive field gathered once. */
export function convValuesInTypeScript(
  geo: ConvGeometry,
  x: Activation,
  w: ArrayLike<number>,
  bias: ArrayLike<number> | undefined,
  at: Int32Array,
): Float64Array {
  x = planarActivation(x);
  const [, cin, H, W] = x.dims;
  const [, cout, OH, OW] = geo.outDims;
  const { h, w: wa } = geo.win;
  const cinG = cin / geo.group;
  const coutG = cout / geo.group;
  const kw = wa.kernel;
  const taps = h.kernel * kw;
  const span = cinG * taps;
  const plane = H * W;
  const outPlane = OH * OW;
  const n = at.length;
  const out = new Float64Array(n);
  if (field.length < cin * taps) field = new Float64Array(cin * taps);
  // The elements ordered by output position, so that each receptive field is gathered once (a read per channel
  // plane, the costly part) whatever the number of channels that use it: the key packs (position, order).
  const keys = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const f = at[j];
    keys[j] = (Math.floor(f / (cout * outPlane)) * outPlane + (f % outPlane)) * n + j;
  }
  keys.sort();
  const d = x.data,
    zero = x.zero,
    scale = x.scale;
  // Per group, the position whose receptive field `field` holds.
  const gathered = new Int32Array(geo.group).fill(-1);
  for (let k = 0; k < n; k++) {
    const j = keys[k] % n;
    const f = at[j];
    const p = (keys[k] - j) / n;
    const c = Math.floor(f / outPlane) % cout;
    const g = Math.floor(c / coutG);
    if (gathered[g] !== p) {
      gathered[g] = p;
      const b = Math.floor(p / outPlane);
      const oy = Math.floor((p % outPlane) / OW),
        ox = p % OW;
      for (let ci = g * cinG; ci < (g + 1) * cinG; ci++) {
        const base = (b * cin + ci) * plane;
        for (let u = 0; u < h.kernel; u++) {
          const y = oy * h.stride - h.padBegin + u * h.dilation;
          for (let v = 0; v < kw; v++) {
            const xx = ox * wa.stride - wa.padBegin + v * wa.dilation;
            field[ci * taps + u * kw + v] = y >= 0 && y < H && xx >= 0 && xx < W ? (d[base + y * W + xx] - zero) * scale : 0;
          }
        }
      }
    }
    let s = 0;
    const wAt = c * span,
      fAt = g * span;
    for (let t = 0; t < span; t++) s += field[fAt + t] * w[wAt + t];
    out[j] = Math.fround(bias ? s + bias[c] : s);
  }
  return out;
}
