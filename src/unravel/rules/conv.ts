// Conv (paper §3, our choices in ALGORITHM.md): for output fixation (c, y, x), the contributions
// Q = R ⊙ W_c over the in-bounds taps of the receptive field R in c's group pick the input channel with
// the largest sum of Q; the position within it is chosen by the conv mode. Exactly one parent per fixation.
import type { OnnxNode } from '../../onnx/graph';
import type { Activation, Shape } from '../tensor';
import type { ConvMode, Fixations, Rule, ShapeContext, WalkContext } from '../types';
import { window2D, type Window2D } from './spatial';

export interface ConvGeometry {
  readonly win: Window2D;
  readonly group: number;
  readonly outDims: Shape;
}

export function convGeometry(node: OnnxNode, x: Shape, w: Shape): ConvGeometry {
  if (x.length !== 4 || w.length !== 4) throw new Error(`only 2-D convolutions are supported (input rank ${x.length})`);
  const kernel = node.ints('kernel_shape') ?? w.slice(2);
  const win = window2D(node, x, kernel);
  const group = node.int('group', 1);
  return { win, group, outDims: [x[0], w[0], win.outH, win.outW] };
}

/**
 * One parent per output fixation. `w` holds the filters [Cout, Cin/G, kh, kw] as floats; `channelSign`
 * (optional, per output channel) flips the products where a following BatchNormalization scales by a negative.
 */
export function backConv(
  geo: ConvGeometry,
  x: Activation,
  w: ArrayLike<number>,
  fix: Fixations,
  mode: ConvMode,
  channelSign?: ArrayLike<number>,
): { parents: Int32Array; fallbacks: number } {
  const [, cin, H, W] = x.dims;
  const [, cout, OH, OW] = geo.outDims;
  const { h, w: wa } = geo.win;
  const cinG = cin / geo.group;
  const coutG = cout / geo.group;
  const kh = h.kernel, kw = wa.kernel;
  const taps = kh * kw;
  const data = x.data, zero = x.zero, scale = x.scale;
  const parents = new Int32Array(fix.length);
  const sums = new Float64Array(cinG);
  let fallbacks = 0;
  for (let n = 0; n < fix.length; n++) {
    const f = fix[n];
    const c = Math.floor(f / (OH * OW)) % cout;
    const oy = Math.floor(f / OW) % OH;
    const ox = f % OW;
    const g = Math.floor(c / coutG);
    const y0 = oy * h.stride - h.padBegin;
    const x0 = ox * wa.stride - wa.padBegin;
    const sign = channelSign && channelSign[c] < 0 ? -1 : 1;
    const wBase = c * cinG * taps;
    let any = false;
    for (let ci = 0; ci < cinG; ci++) {
      const xBase = (g * cinG + ci) * H * W;
      const wc = wBase + ci * taps;
      let s = 0;
      for (let u = 0; u < kh; u++) {
        const yy = y0 + u * h.dilation;
        if (yy < 0 || yy >= H) continue;
        for (let v = 0; v < kw; v++) {
          const xx = x0 + v * wa.dilation;
          if (xx < 0 || xx >= W) continue;
          s += (data[xBase + yy * W + xx] - zero) * scale * w[wc + u * kw + v];
          any = true;
        }
      }
      sums[ci] = s * sign;
    }
    let best = 0;
    for (let ci = 1; ci < cinG; ci++) if (sums[ci] > sums[best]) best = ci;
    const ch = g * cinG + best;
    const xBase = ch * H * W;
    const wc = wBase + best * taps;
    let py = -1, px = -1;
    if (any && mode !== 'center') {
      let top = -Infinity;
      for (let u = 0; u < kh; u++) {
        const yy = y0 + u * h.dilation;
        if (yy < 0 || yy >= H) continue;
        for (let v = 0; v < kw; v++) {
          const xx = x0 + v * wa.dilation;
          if (xx < 0 || xx >= W) continue;
          const a = (data[xBase + yy * W + xx] - zero) * scale;
          const q = mode === 'activation' ? a : a * w[wc + u * kw + v] * sign;
          if (q > top) { top = q; py = yy; px = xx; }
        }
      }
    }
    if (py < 0) {
      // `center` mode, or a window with no in-bounds tap: the stride-scaled position, kept in bounds.
      if (!any) fallbacks++;
      py = Math.min(H - 1, Math.max(0, oy * h.stride));
      px = Math.min(W - 1, Math.max(0, ox * wa.stride));
    }
    parents[n] = xBase + py * W + px;
  }
  return { parents, fallbacks };
}

/** Per-channel sign of a BatchNormalization that alone consumes `tensor` (folded into the filters). */
export function bnSign(tensor: string, ctx: WalkContext): Float32Array | undefined {
  const users = ctx.graph.consumers.get(tensor);
  if (!users || users.length !== 1 || users[0].opType !== 'BatchNormalization') return undefined;
  const bn = users[0];
  const gamma = ctx.constants.float(bn.input(1));
  const variance = ctx.constants.float(bn.input(4));
  if (!gamma || !variance) return undefined;
  const eps = bn.float('epsilon', 1e-5);
  return gamma.map((g, i) => g / Math.sqrt(variance[i] + eps));
}

export const convRule: Rule = {
  reads: () => [0],
  shape(node, [x, w], ctx: ShapeContext) {
    const wShape = w ?? ctx.constants.get(node.input(1))?.dims;
    if (!x || !wShape) return undefined;
    return [convGeometry(node, x, wShape).outDims];
  },
  back(node, [fix], ctx) {
    const x = ctx.activation(node.input(0));
    const wName = node.input(1);
    const w = ctx.constants.float(wName);
    if (!w) throw new Error(`its weight '${wName}' is not a constant`);
    const geo = convGeometry(node, x.dims, ctx.shape(wName));
    const { parents, fallbacks } = backConv(geo, x, w, fix, ctx.options.convMode, bnSign(node.outputs[0], ctx));
    if (fallbacks) ctx.flag(`${fallbacks} fixation(s) had no in-bounds tap; kept the stride-scaled position`);
    return [parents];
  },
};
