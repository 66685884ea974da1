// Kernels that make or reduce tensors: Shape, Size, ConstantOfShape, Range, NonZero, the Reduce family,
// ArgMax / ArgMin, CumSum, Trilu, and small matrix products (MatMul, Gemm) on constants.
import type { OnnxNode } from '../../onnx/graph';
import { DataType } from '../../onnx/tensor';
import { numel, type Shape } from '../tensor';
import type { Kernel } from './kernel';
import { argAttrs, constantOfShapeAttrs, cumSumAttrs, gemmAttrs, reduceAttrs, reduceSumAttrs, shapeAttrs, triluAttrs } from '../op-attrs';
import { allocate, axisIn, broadcastDims, computed, ints, isInteger, need, rowMajorStrides, type Computed, type Input } from './values';

const int64 = DataType.INT64;

/** Shape's optional start and end (opset 15), clamped as the spec says. */
function shapeSlice(node: OnnxNode, rank: number): [number, number] {
  const clamp = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
  const a = shapeAttrs.of(node);
  const start = clamp(a.start);
  const end = a.end !== undefined ? clamp(a.end) : rank;
  return [start, Math.max(start, end)];
}

/** ReduceSum moved its axes to an input at opset 13, the other reductions at 18. */
export const reduceAttrsOf = (node: OnnxNode) => (node.opType === 'ReduceSum' ? reduceSumAttrs : reduceAttrs).of(node);

/** The reduced axes: attribute (most reductions before opset 18), input (ReduceSum from 13, the rest from 18), or all. */
export function reduceAxes(node: OnnxNode, rank: number, axesInput: Input): number[] {
  const a = reduceAttrsOf(node);
  const axes = a.axes ?? (axesInput ? ints(axesInput) : undefined);
  if (!axes || axes.length === 0) return a.noop_with_empty_axes ? [] : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => axisIn(a, rank)))].sort((a, b) => a - b);
}

type Fold = { init: number; add: (acc: number, v: number) => number; end?: (acc: number, n: number) => number };

const reductions: Record<string, Fold> = {
  ReduceSum: { init: 0, add: (a, v) => a + v },
  ReduceMean: { init: 0, add: (a, v) => a + v, end: (a, n) => a / n },
  ReduceMax: { init: -Infinity, add: (a, v) => (Number.isNaN(v) || v > a ? v : a) },
  ReduceMin: { init: Infinity, add: (a, v) => (Number.isNaN(v) || v < a ? v : a) },
  ReduceProd: { init: 1, add: (a, v) => a * v },
  ReduceL1: { init: 0, add: (a, v) => a + Math.abs(v) },
  ReduceL2: { init: 0, add: (a, v) => a + v * v, end: (a) => Math.sqrt(a) },
  ReduceSumSquare: { init: 0, add: (a, v) => a + v * v },
  ReduceLogSum: { init: 0, add: (a, v) => a + v, end: (a) => Math.log(a) },
  ReduceLogSumExp: { init: 0, add: (a, v) => a + Math.exp(v), end: (a) => Math.log(a) },
};

/** Output dims of a reduction over `axes`. */
export function reducedDims(x: Shape, axes: readonly number[], keep: boolean): number[] {
  return keep ? x.map((d, i) => (axes.includes(i) ? 1 : d)) : x.filter((_, i) => !axes.includes(i));
}

function reduce(x: Computed, axes: readonly number[], keep: boolean, fold: Fold, integer: boolean): Computed {
  const kept = x.dims.map((d, i) => (axes.includes(i) ? 1 : d));
  const out = new Float64Array(numel(kept)).fill(fold.init);
  const counts = numel(x.dims) / Math.max(1, out.length);
  const inSt = rowMajorStrides(x.dims),
    outSt = rowMajorStrides(kept);
  const data = x.data;
  for (let f = 0; f < data.length; f++) {
    let o = 0;
    for (let k = 0; k < x.dims.length; k++) if (!axes.includes(k)) o += (Math.floor(f / inSt[k]) % x.dims[k]) * outSt[k];
    out[o] = fold.add(out[o], data[f]);
  }
  const result = allocate(x.type, out.length);
  for (let i = 0; i < out.length; i++) {
    const v = fold.end ? fold.end(out[i], counts) : out[i];
    result[i] = integer ? Math.trunc(v) : v;
  }
  return computed(x.type, reducedDims(x.dims, axes, keep), result);
}

function reduceKernel(fold: Fold): Kernel {
  return {
    run(node, [x, axesIn]) {
      const t = need(x, 'data');
      const axes = reduceAxes(node, t.dims.length, axesIn);
      if (axes.length === 0) return [t];
      return [reduce(t, axes, reduceAttrsOf(node).keepdims, fold, isInteger(t.type))];
    },
  };
}

function argKernel(better: (v: number, best: number) => boolean): Kernel {
  return {
    run(node, [x]) {
      const t = need(x, 'data');
      const a = argAttrs.of(node);
      const axis = axisIn(a.axis, t.dims.length);
      const last = a.select_last_index;
      const size = t.dims[axis],
        inner = numel(t.dims.slice(axis + 1)),
        outer = numel(t.dims.slice(0, axis));
      const out = new Float64Array(outer * inner);
      for (let b = 0; b < outer; b++) {
        for (let r = 0; r < inner; r++) {
          let best = 0,
            top = t.data[b * size * inner + r];
          for (let i = 1; i < size; i++) {
            const v = t.data[(b * size + i) * inner + r];
            if (better(v, top) || (last && v === top)) {
              best = i;
              top = v;
            }
          }
          out[b * inner + r] = best;
        }
      }
      const dims = a.keepdims ? t.dims.map((d, i) => (i === axis ? 1 : d)) : t.dims.filter((_, i) => i !== axis);
      return [computed(int64, dims, out)];
    },
  };
}

/** MatMul with numpy's rules: 1-D operands promoted, batch dims broadcast. */
function matmul(a: Computed, b: Computed): Computed {
  const ad = a.dims.length === 1 ? [1, a.dims[0]] : a.dims,
    bd = b.dims.length === 1 ? [b.dims[0], 1] : b.dims;
  const m = ad[ad.length - 2],
    k = ad[ad.length - 1],
    n = bd[bd.length - 1];
  if (bd[bd.length - 2] !== k) throw new Error(`MatMul inner sizes differ (${k} and ${bd[bd.length - 2]})`);
  const batch = broadcastDims([ad.slice(0, -2), bd.slice(0, -2)]);
  const out = allocate(a.type, numel(batch) * m * n);
  const aSt = rowMajorStrides(ad.slice(0, -2)),
    bSt = rowMajorStrides(bd.slice(0, -2)),
    outSt = rowMajorStrides(batch);
  const offset = (c: number[], dims: readonly number[], st: number[]) => dims.reduce((s, d, i) => s + (d === 1 ? 0 : c[i + c.length - dims.length] * st[i]), 0);
  for (let p = 0; p < numel(batch); p++) {
    const c = outSt.map((s, i) => Math.floor(p / s) % batch[i]);
    const ab = offset(c, ad.slice(0, -2), aSt) * m * k,
      bb = offset(c, bd.slice(0, -2), bSt) * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += a.data[ab + i * k + q] * b.data[bb + q * n + j];
        out[(p * m + i) * n + j] = s;
      }
    }
  }
  let dims = [...batch, m, n];
  if (a.dims.length === 1) dims = dims.filter((_, i) => i !== dims.length - 2);
  if (b.dims.length === 1) dims = dims.slice(0, -1);
  return computed(a.type, dims, out);
}

export const reduceKernels: Record<string, Kernel> = {
  Shape: {
    dimsOnly: true,
    run(node, [x]) {
      const dims = need(x, 'data').dims;
      const [s, e] = shapeSlice(node, dims.length);
      return [computed(int64, [e - s], Float64Array.from(dims.slice(s, e)))];
    },
  },
  Size: { dimsOnly: true, run: (_node, [x]) => [computed(int64, [], Float64Array.of(numel(need(x, 'data').dims)))] },
  ConstantOfShape: {
    run(node, [shape]) {
      const dims = ints(need(shape, 'shape'));
      const v = constantOfShapeAttrs.of(node).value;
      const type = v?.dataType ?? DataType.FLOAT;
      return [computed(type, dims, allocate(type, numel(dims)).fill(v ? Number(v.data[0]) : 0))];
    },
    infer: (node, [shape]) => [{ type: constantOfShapeAttrs.of(node).value?.dataType ?? DataType.FLOAT, dims: ints(need(shape, 'shape')) }],
  },
  Range: {
    run(_node, [s, l, d]) {
      const [start, limit, delta] = [need(s, 'start'), need(l, 'limit'), need(d, 'delta')].map((t) => Number(t.data[0]));
      const n = Math.max(0, Math.ceil((limit - start) / delta));
      if (!Number.isFinite(n)) throw new Error('Range with a zero delta');
      const out = allocate(s!.type, n);
      for (let i = 0; i < n; i++) out[i] = start + i * delta;
      return [computed(s!.type, [n], out)];
    },
  },
  NonZero: {
    run(_node, [x]) {
      const t = need(x, 'input');
      const st = rowMajorStrides(t.dims),
        hits: number[] = [];
      for (let f = 0; f < t.data.length; f++) if (t.data[f]) hits.push(f);
      const out = new Float64Array(t.dims.length * hits.length);
      hits.forEach((f, j) => st.forEach((s, k) => (out[k * hits.length + j] = Math.floor(f / s) % t.dims[k])));
      return [computed(int64, [t.dims.length, hits.length], out)];
    },
  },
  ...Object.fromEntries(Object.entries(reductions).map(([op, fold]) => [op, reduceKernel(fold)])),
  ArgMax: argKernel((v, best) => v > best),
  ArgMin: argKernel((v, best) => v < best),
  CumSum: {
    run(node, [x, ax]) {
      const t = need(x, 'x');
      const axis = axisIn(Number(need(ax, 'axis').data[0]), t.dims.length);
      const { exclusive, reverse } = cumSumAttrs.of(node);
      const size = t.dims[axis],
        inner = numel(t.dims.slice(axis + 1)),
        outer = numel(t.dims.slice(0, axis));
      const out = allocate(t.type, t.data.length);
      for (let b = 0; b < outer; b++) {
        for (let r = 0; r < inner; r++) {
          let acc = 0;
          for (let s = 0; s < size; s++) {
            const i = reverse ? size - 1 - s : s;
            const f = (b * size + i) * inner + r;
            if (exclusive) {
              out[f] = acc;
              acc += t.data[f];
            } else {
              acc += t.data[f];
              out[f] = acc;
            }
          }
        }
      }
      return [computed(t.type, t.dims, out)];
    },
  },
  Trilu: {
    run(node, [x, kIn]) {
      const t = need(x, 'input');
      const k = kIn ? Number(kIn.data[0]) : 0,
        upper = triluAttrs.of(node).upper;
      const [h, w] = t.dims.slice(-2);
      const out = allocate(t.type, t.data.length);
      for (let f = 0; f < out.length; f++) {
        const i = Math.floor(f / w) % h,
          j = f % w;
        out[f] = (upper ? j - i >= k : j - i <= k) ? t.data[f] : 0;
      }
      return [computed(t.type, t.dims, out)];
    },
  },
  MatMul: { run: (_node, [a, b]) => [matmul(need(a, 'A'), need(b, 'B'))] },
  Gemm: {
    run(node, [a, b, c]) {
      const tr = (t: Computed, yes: boolean): Computed => {
        if (!yes) return t;
        const [r, q] = t.dims,
          out = allocate(t.type, r * q);
        for (let i = 0; i < r; i++) for (let j = 0; j < q; j++) out[j * r + i] = t.data[i * q + j];
        return { type: t.type, dims: [q, r], data: out };
      };
      const { transA, transB, alpha, beta } = gemmAttrs.of(node);
      const p = matmul(tr(need(a, 'A'), transA), tr(need(b, 'B'), transB));
      const out = allocate(p.type, p.data.length);
      const cData = c?.data,
        cDims = c?.dims ?? [];
      const [m, n] = p.dims;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          const ci = cDims.length === 0 ? 0 : cDims.length === 1 ? (cDims[0] === 1 ? 0 : j) : (cDims[0] === 1 ? 0 : i) * cDims[1] + (cDims[1] === 1 ? 0 : j);
          out[i * n + j] = alpha * p.data[i * n + j] + (cData ? beta * cData[ci] : 0);
        }
      }
      return [computed(p.type, p.dims, out)];
    },
  },
};
