// ConvTranspose: the Conv rule seen from the output. Output (c, y, x) sums a[ci, iy, ix]·W[ci, c, u, v] over the
// taps with iy·stride − padBegin + u·dilation = y (and the same along x); the input channel with the largest sum
// of contributions is kept, and the position in it by the conv mode. One parent per fixation, none for an output
// element that no tap reaches (it holds the bias alone).
import type { OnnxNode } from '../../onnx/graph';
import type { Activation, Shape } from '../tensor';
import { parentsOf } from '../fixations';
import type { ConvMode, Rule, ShapeContext } from '../types';
import { UnsupportedError } from '../types';
import { convTransposeAttrs } from '../op-attrs';

/** One spatial axis of a transposed convolution. */
export interface TransposedAxis {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly padBegin: number;
  readonly size: number;
  readonly out: number;
}

export interface TransposedGeometry {
  /** The spatial axes, outermost first (1 to 3 of them). */
  readonly axes: readonly TransposedAxis[];
  readonly group: number;
  readonly outDims: Shape;
}

/**
 * Geometry from the attributes, for 1-D to 3-D: explicit pads and output_padding, or output_shape and auto_pad SAME,
 * whose padding is the spec's: total = stride·(in − 1) + output_padding + (kernel − 1)·dilation + 1 − out, split
 * as ⌊total / 2⌋ at the start for SAME_UPPER and total − ⌊total / 2⌋ otherwise (a negative total extends the end,
 * as onnxruntime and ONNX's reference do). SAME without output_shape makes out = in · stride.
 */
export function transposedGeometry(node: OnnxNode, x: Shape, w: Shape): TransposedGeometry {
  const rank = x.length - 2;
  if (rank < 1 || rank > 3 || w.length !== x.length)
    throw new Error(`only 1-D to 3-D transposed convolutions are supported (input rank ${x.length}, weight rank ${w.length})`);
  if (x[1] !== w[0]) throw new Error(`the input has ${x[1]} channels, the weight ${w[0]}`);
  const a = convTransposeAttrs.of(node);
  const autoPad = a.auto_pad;
  const group = a.group;
  const kernel = a.kernel_shape ?? w.slice(2);
  const pads = a.pads ?? new Array<number>(2 * rank).fill(0);
  const outputShape = a.output_shape;
  const wanted = outputShape && (outputShape.length === x.length ? outputShape.slice(2) : outputShape);
  if (wanted && wanted.length !== rank) throw new Error(`output_shape has ${wanted.length} dims for a ${rank}-D transposed convolution`);
  const axes = Array.from({ length: rank }, (_, i): TransposedAxis => {
    const stride = a.strides?.[i] ?? 1;
    const dilation = a.dilations?.[i] ?? 1;
    const outPad = a.output_padding?.[i] ?? 0;
    const natural = stride * (x[2 + i] - 1) + outPad + (kernel[i] - 1) * dilation + 1;
    const base = { kernel: kernel[i], stride, dilation, size: x[2 + i] };
    const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER';
    if (wanted || same) {
      const out = wanted ? wanted[i] : x[2 + i] * stride;
      const total = natural - out;
      const half = Math.floor(total / 2);
      return { ...base, padBegin: autoPad === 'SAME_UPPER' ? half : total - half, out };
    }
    const [begin, end] = autoPad === 'VALID' ? [0, 0] : [pads[i], pads[i + rank]];
    return { ...base, padBegin: begin, out: natural - begin - end };
  });
  return { axes, group, outDims: [x[0], w[1] * group, ...axes.map((a) => a.out)] };
}

/** The input rows (or columns) and kernel taps that reach output row `o`: in = (o + padBegin − u·dilation) / stride. */
export function tapsAt(a: TransposedAxis, o: number): { input: number[]; tap: number[] } {
  const input: number[] = [],
    tap: number[] = [];
  for (let u = 0; u < a.kernel; u++) {
    const t = o + a.padBegin - u * a.dilation;
    if (t < 0 || t % a.stride) continue;
    const i = t / a.stride;
    if (i < a.size) {
      input.push(i);
      tap.push(u);
    }
  }
  return { input, tap };
}

const unitAxis: TransposedAxis = { kernel: 1, stride: 1, dilation: 1, padBegin: 0, size: 1, out: 1 };

/**
 * Parents (flat input indices) of output fixations, -1 where no tap reaches the element. `w` is
 * [Cin, Cout/G, ...kernel]. 1-D and 2-D are 3-D with leading axes of size 1, so one set of loops serves all.
 */
export function backConvTranspose(geo: TransposedGeometry, x: Activation, w: ArrayLike<number>, fix: Int32Array, mode: ConvMode): Int32Array {
  const [, cin] = x.dims;
  const lead = 3 - geo.axes.length;
  const [ad, ah, aw] = [...new Array<TransposedAxis>(lead).fill(unitAxis), ...geo.axes];
  const [D, H, W] = [ad.size, ah.size, aw.size];
  const [OD, OH, OW] = [ad.out, ah.out, aw.out];
  const cout = geo.outDims[1];
  const cinG = cin / geo.group,
    coutG = cout / geo.group;
  const kd = ad.kernel,
    kh = ah.kernel,
    kw = aw.kernel;
  const plane = OD * OH * OW;
  const parents = new Int32Array(fix.length);
  for (let n = 0; n < fix.length; n++) {
    const f = fix[n];
    const ox = f % OW,
      oy = Math.floor(f / OW) % OH,
      oz = Math.floor(f / (OW * OH)) % OD;
    const c = Math.floor(f / plane) % cout,
      b = Math.floor(f / (plane * cout));
    const g = Math.floor(c / coutG),
      co = c % coutG;
    const deps = tapsAt(ad, oz),
      rows = tapsAt(ah, oy),
      cols = tapsAt(aw, ox);
    if (deps.input.length === 0 || rows.input.length === 0 || cols.input.length === 0) {
      parents[n] = -1;
      continue;
    }
    // every in-bounds tap reaching (oz, oy, ox): its input offset within a channel and its weight offset within a kernel
    const at: number[] = [],
      tap: number[] = [];
    for (let p = 0; p < deps.input.length; p++)
      for (let r = 0; r < rows.input.length; r++)
        for (let q = 0; q < cols.input.length; q++) {
          at.push((deps.input[p] * H + rows.input[r]) * W + cols.input[q]);
          tap.push((deps.tap[p] * kh + rows.tap[r]) * kw + cols.tap[q]);
        }
    const kernelSize = kd * kh * kw;
    let bestC = -1,
      bestSum = -Infinity;
    for (let k = 0; k < cinG; k++) {
      const ci = g * cinG + k,
        base = (b * cin + ci) * D * H * W,
        wBase = (ci * coutG + co) * kernelSize;
      let s = 0;
      for (let t = 0; t < at.length; t++) s += (x.data[base + at[t]] - x.zero) * x.scale * w[wBase + tap[t]];
      if (s > bestSum) {
        bestSum = s;
        bestC = ci;
      }
    }
    const base = (b * cin + bestC) * D * H * W,
      wBase = (bestC * coutG + co) * kernelSize;
    if (mode === 'center') {
      const cz = Math.min(D - 1, Math.floor(oz / ad.stride)),
        cy = Math.min(H - 1, Math.floor(oy / ah.stride)),
        cx = Math.min(W - 1, Math.floor(ox / aw.stride));
      parents[n] = base + (cz * H + cy) * W + cx;
      continue;
    }
    let best = -1,
      top = -Infinity;
    for (let t = 0; t < at.length; t++) {
      const i = base + at[t];
      const a = (x.data[i] - x.zero) * x.scale;
      const v = mode === 'activation' ? a : a * w[wBase + tap[t]];
      if (v > top) {
        top = v;
        best = i;
      }
    }
    parents[n] = best;
  }
  return parents;
}

export const convTransposeRule: Rule = {
  reads: () => [0],
  shape(node, [x, w], ctx: ShapeContext) {
    const wShape = w ?? ctx.constants.get(node.input(1))?.dims;
    if (!x || !wShape) return undefined;
    return [transposedGeometry(node, x, wShape).outDims];
  },
  back(node, [fix], ctx) {
    const wName = node.input(1);
    const w = ctx.constants.float(wName);
    if (!w) throw new UnsupportedError(node.opType, node.name, `its weight '${wName}' is not a constant`);
    const x = ctx.activation(node.input(0));
    const geo = transposedGeometry(node, x.dims, ctx.shape(wName));
    const all = backConvTranspose(geo, x, w, fix.index, ctx.options.convMode);
    const from: number[] = [],
      parents: number[] = [];
    all.forEach((p, n) => {
      if (p >= 0) {
        from.push(n);
        parents.push(p);
      }
    });
    if (from.length < all.length) ctx.flag(`${all.length - from.length} fixation(s) lie where no tap reaches (the bias alone) and have no parent`);
    return [parentsOf(fix, from, parents)];
  },
};
