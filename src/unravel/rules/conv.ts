// Conv (paper §3, our choices in ALGORITHM.md): for output fixation (c, y, x), the contributions
// Q = R ⊙ W_c over the in-bounds taps of the receptive field R in c's group pick the input channel with
// the largest sum of Q; the position within it is chosen by the conv mode. Exactly one parent per fixation.
import type { OnnxNode } from '../../onnx/graph';
import type { Shape } from '../tensor';
import { oneParentEach } from '../fixations';
import type { Rule, ShapeContext, WalkContext, WeightedRule } from '../types';
import { weightRowsFor } from '../constants';
import { backConv, convForward } from './conv-kernel';
import { window2D, type Axis, type Window2D } from './spatial';
import { convAttrs } from '../op-attrs';
import { memoized } from '../memo';

export interface ConvGeometry {
  readonly win: Window2D;
  readonly group: number;
  readonly outDims: Shape;
}

export function convGeometry(node: OnnxNode, x: Shape, w: Shape): ConvGeometry {
  if (x.length !== 4 || w.length !== 4) throw new Error(`only 2-D convolutions are supported (input rank ${x.length})`);
  const a = convAttrs.of(node);
  const kernel = a.kernel_shape ?? w.slice(2);
  const win = window2D(a, x, kernel);
  const group = a.group;
  return { win, group, outDims: [x[0], w[0], win.outH, win.outW] };
}

/** Whether output element `f`'s window reads padding only (backConv's fallback: no in-bounds tap). */
function fellBack(geo: ConvGeometry, x: Shape, f: number): boolean {
  const [, , H, W] = x;
  const [, , OH, OW] = geo.outDims;
  const inside = (o: number, a: Axis, size: number) => {
    for (let u = 0; u < a.kernel; u++) {
      const at = o * a.stride - a.padBegin + u * a.dilation;
      if (at >= 0 && at < size) return true;
    }
    return false;
  };
  return !inside(Math.floor(f / OW) % OH, geo.win.h, H) || !inside(f % OW, geo.win.w, W);
}

/** Per-channel scale of a per-channel affine op (BatchNormalization) that alone consumes `tensor`: its signs are folded into the filters. */
export function bnSign(tensor: string, ctx: WalkContext): Float32Array | undefined {
  const users = ctx.graph.consumers.get(tensor);
  if (!users || users.length !== 1) return undefined;
  return ctx.ops.get(users[0])?.channelScale?.(users[0], ctx.constants);
}

export const convRule: Rule = {
  reads: () => [0],
  shape(node, [x, w], ctx: ShapeContext) {
    const wShape = w ?? ctx.constants.get(node.input(1))?.dims;
    if (!x || !wShape) return undefined;
    return [convGeometry(node, x, wShape).outDims];
  },
  back(node, [fix], ctx) {
    const wName = node.input(1);
    // Quantized weights (per tensor or per output channel) and activations are compared as integers:
    // the scales dropped are one positive factor per output channel, so choices are exact, ties included.
    const wq = ctx.constants.quantized(wName);
    const integer = wq && (wq.axis === undefined || wq.axis === 0);
    if (!integer && !ctx.constants.has(wName)) throw new Error(`its weight '${wName}' is not a constant`);
    const act = ctx.activation(node.input(0), true);
    const x = integer ? { ...act, scale: 1 } : act;
    const geo = convGeometry(node, x.dims, ctx.shape(wName));
    // A fixation without an in-bounds tap is kept as −1 − parent, so the memo's fixations are counted in the note too.
    const chosen = memoized(ctx, node, ctx.options.convMode, fix.index, (some) => {
      if (ctx.forward) convForward(ctx.forward);
      const w = integer ? wq.values : weightRowsFor(ctx.constants, wName, some, geo.outDims[1], geo.outDims[2] * geo.outDims[3])!;
      const { parents, fallbacks } = backConv(geo, x, w, some, ctx.options.convMode, bnSign(node.outputs[0], ctx));
      if (fallbacks) for (let k = 0; k < parents.length; k++) if (fellBack(geo, x.dims, some[k])) parents[k] = -1 - parents[k];
      return parents;
    });
    let fallbacks = 0;
    for (let k = 0; k < chosen.length; k++) if (chosen[k] < 0) fallbacks++;
    if (fallbacks) ctx.flag(`${fallbacks} fixation(s) had no in-bounds tap; kept the stride-scaled position`);
    return [oneParentEach(fix, fallbacks ? chosen.map((p) => (p < 0 ? -1 - p : p)) : chosen)];
  },
  weighted: convContrast(),
};

/**
 * The contrast start at a conv classifier (SqueezeNet's 1×1 conv to the class maps): the fixation's filter is
 * replaced by Σ_n c_n·s_n·W[n] over output channels n, s_n a following BatchNormalization's scale (which is part
 * of each class's score), and the usual conv rule runs with that one filter in the fixation's group.
 */
function convContrast(): WeightedRule {
  return {
    neuron(node, flat, ctx) {
      const [, cout, oh, ow] = ctx.shape(node.outputs[0]);
      return Math.floor(flat / (oh * ow)) % cout;
    },
    back(node, [fix], coefficients, ctx) {
      if (fix.index.length !== 1) throw new Error(`a class contrast starts from one fixation, not ${fix.index.length}`);
      const wName = node.input(1);
      const w = ctx.constants.float(wName);
      if (!w) throw new Error(`its weight '${wName}' is not a constant`);
      // A derived input comes made whole: one fixation reads a window of one group's planes.
      const act = ctx.activation(node.input(0));
      const geo = convGeometry(node, act.dims, ctx.shape(wName));
      const [, cin, H, W] = act.dims;
      const [, cout, OH, OW] = geo.outDims;
      const cinG = cin / geo.group,
        coutG = cout / geo.group;
      const field = cinG * geo.win.h.kernel * geo.win.w.kernel;
      const f = fix.index[0];
      const g = Math.floor((Math.floor(f / (OH * OW)) % cout) / coutG);
      const scale = bnSign(node.outputs[0], ctx);
      const filter = new Float64Array(field);
      for (const [n, c] of coefficients) {
        if (n < 0 || n >= cout) throw new Error(`class contrast: output channel ${n} is outside the conv's ${cout} channels`);
        if (Math.floor(n / coutG) !== g)
          throw new Error(`class contrast: channels ${n} and ${Math.floor(f / (OH * OW)) % cout} of this grouped conv read different input groups`);
        const k = c * (scale ? scale[n] : 1);
        for (let t = 0; t < field; t++) filter[t] += k * w[n * field + t];
      }
      const plane = H * W;
      // One virtual output channel reading the fixation's group alone.
      const x = { ...act, dims: [1, cinG, H, W], data: act.data.subarray(g * cinG * plane, (g + 1) * cinG * plane) };
      const one: ConvGeometry = { win: geo.win, group: 1, outDims: [1, 1, OH, OW] };
      const { parents, fallbacks } = backConv(one, x, filter, Int32Array.of(f % (OH * OW)), ctx.options.convMode);
      if (fallbacks) ctx.flag(`${fallbacks} fixation(s) had no in-bounds tap; kept the stride-scaled position`);
      return [oneParentEach(fix, Int32Array.of(parents[0] + g * cinG * plane))];
    },
  };
}
