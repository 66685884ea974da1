// Pools, 1-D to 3-D. MaxPool: the window's maximum (in-bounds taps, first in row-major order on ties), same channel.
// AveragePool and the global / reduce-over-space ops: the position of the largest input activation in
// the window, same channel: one point per output element.
import type { OnnxNode } from '../../onnx/graph';
import { axisOf, stridesOf, type Activation, type Shape } from '../tensor';
import { oneParentEach } from '../fixations';
import type { Rule, ShapeContext } from '../types';
import { UnsupportedError } from '../types';
import { resolveAxis, type Axis } from './spatial';
import { globalPoolAttrs, poolAttrs, reduceAttrs } from '../op-attrs';
import { memoized } from '../memo';

const unitAxis: Axis = { kernel: 1, stride: 1, dilation: 1, padBegin: 0, padEnd: 0 };

/**
 * For each output element of a pool over [N, C, ...spatial], the input position of the largest in-bounds tap of
 * its window (first in row-major tap order on ties); a window reading only padding falls back to its clamped
 * start. 1-D and 2-D windows are 3-D ones with leading axes of size 1, so one set of nested loops serves all.
 */
export function backWindowArgmax(win: readonly Axis[], outDims: Shape, x: Activation, fix: Int32Array): Int32Array {
  if (win.length > 3) throw new Error(`only 1-D to 3-D windows are supported, not ${win.length}-D`);
  const lead = 3 - win.length;
  const [d, h, w] = [...new Array<Axis>(lead).fill(unitAxis), ...win];
  const [D, H, W] = [...new Array<number>(lead).fill(1), ...x.dims.slice(2)];
  const [OD, OH, OW] = [...new Array<number>(lead).fill(1), ...outDims.slice(2)];
  const parents = new Int32Array(fix.length);
  const data = x.data;
  for (let n = 0; n < fix.length; n++) {
    const f = fix[n];
    const plane = Math.floor(f / (OD * OH * OW)); // batch·C + c
    const oz = Math.floor(f / (OH * OW)) % OD;
    const oy = Math.floor(f / OW) % OH;
    const ox = f % OW;
    const base = plane * D * H * W;
    const z0 = oz * d.stride - d.padBegin;
    const y0 = oy * h.stride - h.padBegin;
    const x0 = ox * w.stride - w.padBegin;
    let best = -1,
      top = -Infinity;
    for (let s = 0; s < d.kernel; s++) {
      const zz = z0 + s * d.dilation;
      if (zz < 0 || zz >= D) continue;
      for (let u = 0; u < h.kernel; u++) {
        const yy = y0 + u * h.dilation;
        if (yy < 0 || yy >= H) continue;
        for (let v = 0; v < w.kernel; v++) {
          const xx = x0 + v * w.dilation;
          if (xx < 0 || xx >= W) continue;
          const i = base + (zz * H + yy) * W + xx;
          // Quantization is monotonic (positive scale), so comparing stored values is enough.
          const a = data[i] - x.zero;
          if (a > top) {
            top = a;
            best = i;
          }
        }
      }
    }
    if (best < 0) {
      const clamp = (v: number, size: number) => Math.min(size - 1, Math.max(0, v));
      best = base + (clamp(oz * d.stride, D) * H + clamp(oy * h.stride, H)) * W + clamp(ox * w.stride, W);
    }
    parents[n] = best;
  }
  return parents;
}

/** The window of a pool on [N, C, ...spatial]: one resolved axis per spatial dim. */
function poolWindow(node: OnnxNode, x: Shape): (Axis & { out: number })[] {
  const a = poolAttrs.of(node);
  const kernel = a.kernel_shape;
  if (x.length !== kernel.length + 2) throw new Error(`its kernel_shape has ${kernel.length} dims for an input of rank ${x.length}`);
  return kernel.map((k, i) => resolveAxis(a, i, k, x[i + 2], a.ceil_mode, kernel.length));
}

export const windowPoolRule: Rule = {
  reads: () => [0],
  shape(node, [x]) {
    if (!x) return undefined;
    const out = [x[0], x[1], ...poolWindow(node, x).map((a) => a.out)];
    return node.outputs.map(() => out);
  },
  back(node, [fix], ctx) {
    const x = ctx.activation(node.input(0));
    const win = poolWindow(node, x.dims);
    const outDims = [x.dims[0], x.dims[1], ...win.map((a) => a.out)];
    return [
      oneParentEach(
        fix,
        memoized(ctx, node, '', fix.index, (some) => backWindowArgmax(win, outDims, x, some)),
      ),
    ];
  },
};

/** The reduced axes of a reduce-like node, normalized; `undefined` when given by a non-constant input. */
export function reducedAxes(node: OnnxNode, rank: number, ctx: ShapeContext): number[] | undefined {
  if (node.opType.startsWith('Global')) {
    const channelsLast = globalPoolAttrs.of(node).channels_last;
    return Array.from({ length: rank - 2 }, (_, i) => (channelsLast ? i + 1 : i + 2));
  }
  const a = reduceAttrs.of(node);
  let axes = a.axes;
  if (!axes && node.input(1)) {
    const t = ctx.constants.get(node.input(1));
    if (!t) return undefined;
    axes = Array.from(t.data);
  }
  if (!axes || axes.length === 0) {
    return a.noop_with_empty_axes ? [] : Array.from({ length: rank }, (_, i) => i);
  }
  return [...new Set(axes.map((a) => axisOf(a, rank)))].sort((a, b) => a - b);
}

function keepDims(node: OnnxNode): boolean {
  return node.opType.startsWith('Global') || reduceAttrs.of(node).keepdims;
}

/** For each output element, the input position of the largest value among those it reduces. */
export function backReduceArgmax(x: Activation, axes: readonly number[], keep: boolean, fix: Int32Array): Int32Array {
  const dims = x.dims;
  const inStrides = stridesOf(dims);
  const kept = dims.map((_, i) => i).filter((i) => !axes.includes(i));
  const outDims = keep ? dims.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((i) => dims[i]);
  const outStrides = stridesOf(outDims);
  const reduced = axes.map((a) => dims[a]);
  const count = reduced.reduce((a, b) => a * b, 1);
  const rStrides = axes.map((a) => inStrides[a]);
  const parents = new Int32Array(fix.length);
  const data = x.data;
  // The trailing axes in order (global pools, ReduceMean over space): each output reduces one contiguous run.
  const trailing = axes.every((a, k) => a === dims.length - axes.length + k);
  for (let n = 0; n < fix.length; n++) {
    let rest = fix[n];
    let base = 0;
    for (let k = 0; k < outDims.length; k++) {
      const idx = Math.floor(rest / outStrides[k]);
      rest -= idx * outStrides[k];
      const inAxis = keep ? k : kept[k];
      if (!axes.includes(inAxis)) base += idx * inStrides[inAxis];
    }
    let best = base,
      top = -Infinity;
    if (trailing) {
      // The same values in the same order as below, where off = r.
      const zero = x.zero;
      for (let i = base, end = base + count; i < end; i++) {
        const v = data[i] - zero;
        if (v > top) {
          top = v;
          best = i;
        }
      }
      parents[n] = best;
      continue;
    }
    for (let r = 0; r < count; r++) {
      let off = 0,
        q = r;
      for (let k = reduced.length - 1; k >= 0; k--) {
        off += (q % reduced[k]) * rStrides[k];
        q = Math.floor(q / reduced[k]);
      }
      const v = data[base + off] - x.zero;
      if (v > top) {
        top = v;
        best = base + off;
      }
    }
    parents[n] = best;
  }
  return parents;
}

export const reduceRule: Rule = {
  reads: () => [0],
  shape(node, [x], ctx) {
    if (!x) return undefined;
    const axes = reducedAxes(node, x.length, ctx);
    if (!axes) return undefined;
    return [keepDims(node) ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i))];
  },
  back(node, [fix], ctx) {
    const x = ctx.activation(node.input(0));
    const axes = reducedAxes(node, x.dims.length, ctx);
    if (!axes) throw new UnsupportedError(node.opType, node.name, 'its axes are computed at run time (constant axes only)');
    return [
      oneParentEach(
        fix,
        memoized(ctx, node, '', fix.index, (some) => backReduceArgmax(x, axes, keepDims(node), some)),
      ),
    ];
  },
};
