// ConvTranspose: the Conv rule seen from the output. Output (c, y, x) sums a[ci, iy, ix]·W[ci, c, u, v] over the
// taps with iy·stride − padBegin + u·dilation = y (and the same along x); the input channel with the largest sum
// of contributions is kept, and the position in it by the conv mode. One parent per fixation, none for an output
// element that no tap reaches (it holds the bias alone).
import type { OnnxNode } from '../../onnx/graph';
import type { Activation, Shape } from '../tensor';
import { parentsOf } from '../fixations';
import type { ConvMode, Rule, ShapeContext } from '../types';
import { UnsupportedError } from '../types';

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
  readonly h: TransposedAxis;
  readonly w: TransposedAxis;
  readonly group: number;
  readonly outDims: Shape;
}

/** Geometry from the attributes as the exporters write them (pads, output_padding); output_shape and SAME are refused. */
export function transposedGeometry(node: OnnxNode, x: Shape, w: Shape): TransposedGeometry {
  if (x.length !== 4 || w.length !== 4) throw new Error(`only 2-D transposed convolutions are supported (input rank ${x.length})`);
  const autoPad = node.string('auto_pad', 'NOTSET');
  if (node.ints('output_shape') || (autoPad !== 'NOTSET' && autoPad !== 'VALID')) {
    throw new UnsupportedError(node.opType, node.name, 'ConvTranspose with output_shape or auto_pad SAME has no rule (explicit pads and output_padding only)');
  }
  const group = node.int('group', 1);
  const kernel = node.ints('kernel_shape') ?? w.slice(2);
  const pads = autoPad === 'VALID' ? [0, 0, 0, 0] : node.ints('pads') ?? [0, 0, 0, 0];
  const axis = (i: number): TransposedAxis => {
    const stride = node.ints('strides')?.[i] ?? 1;
    const dilation = node.ints('dilations')?.[i] ?? 1;
    const outPad = node.ints('output_padding')?.[i] ?? 0;
    const out = stride * (x[2 + i] - 1) + outPad + (kernel[i] - 1) * dilation + 1 - pads[i] - pads[i + 2];
    return { kernel: kernel[i], stride, dilation, padBegin: pads[i], size: x[2 + i], out };
  };
  const h = axis(0), wa = axis(1);
  if (x[1] !== w[0]) throw new Error(`the input has ${x[1]} channels, the weight ${w[0]}`);
  return { h, w: wa, group, outDims: [x[0], w[1] * group, h.out, wa.out] };
}

/** The input rows (or columns) and kernel taps that reach output row `o`: in = (o + padBegin − u·dilation) / stride. */
export function tapsAt(a: TransposedAxis, o: number): { input: number[]; tap: number[] } {
  const input: number[] = [], tap: number[] = [];
  for (let u = 0; u < a.kernel; u++) {
    const t = o + a.padBegin - u * a.dilation;
    if (t < 0 || t % a.stride) continue;
    const i = t / a.stride;
    if (i < a.size) { input.push(i); tap.push(u); }
  }
  return { input, tap };
}

/** Parents (flat input indices) of output fixations, -1 where no tap reaches the element. `w` is [Cin, Cout/G, kh, kw]. */
export function backConvTranspose(geo: TransposedGeometry, x: Activation, w: ArrayLike<number>, fix: Int32Array, mode: ConvMode): Int32Array {
  const [, cin, H, W] = x.dims;
  const [, cout, OH, OW] = geo.outDims;
  const cinG = cin / geo.group, coutG = cout / geo.group;
  const kh = geo.h.kernel, kw = geo.w.kernel;
  const parents = new Int32Array(fix.length);
  for (let n = 0; n < fix.length; n++) {
    const f = fix[n];
    const ox = f % OW, oy = Math.floor(f / OW) % OH, c = Math.floor(f / (OW * OH)) % cout, b = Math.floor(f / (OW * OH * cout));
    const g = Math.floor(c / coutG), co = c % coutG;
    const rows = tapsAt(geo.h, oy), cols = tapsAt(geo.w, ox);
    if (rows.input.length === 0 || cols.input.length === 0) { parents[n] = -1; continue; }
    let bestC = -1, bestSum = -Infinity;
    for (let k = 0; k < cinG; k++) {
      const ci = g * cinG + k, base = (b * cin + ci) * H * W, wBase = (ci * coutG + co) * kh * kw;
      let s = 0;
      for (let r = 0; r < rows.input.length; r++) for (let q = 0; q < cols.input.length; q++) {
        s += (x.data[base + rows.input[r] * W + cols.input[q]] - x.zero) * x.scale * w[wBase + rows.tap[r] * kw + cols.tap[q]];
      }
      if (s > bestSum) { bestSum = s; bestC = ci; }
    }
    const base = (b * cin + bestC) * H * W, wBase = (bestC * coutG + co) * kh * kw;
    if (mode === 'center') {
      parents[n] = base + Math.min(H - 1, Math.floor(oy / geo.h.stride)) * W + Math.min(W - 1, Math.floor(ox / geo.w.stride));
      continue;
    }
    let best = -1, top = -Infinity;
    for (let r = 0; r < rows.input.length; r++) for (let q = 0; q < cols.input.length; q++) {
      const i = base + rows.input[r] * W + cols.input[q];
      const a = (x.data[i] - x.zero) * x.scale;
      const v = mode === 'activation' ? a : a * w[wBase + rows.tap[r] * kw + cols.tap[q]];
      if (v > top) { top = v; best = i; }
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
    const from: number[] = [], parents: number[] = [];
    all.forEach((p, n) => { if (p >= 0) { from.push(n); parents.push(p); } });
    if (from.length < all.length) ctx.flag(`${all.length - from.length} fixation(s) lie where no tap reaches (the bias alone) and have no parent`);
    return [parentsOf(fix, from, parents)];
  },
};
