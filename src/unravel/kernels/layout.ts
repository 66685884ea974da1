// Layout kernels: views (Reshape, Flatten, Squeeze, Unsqueeze), and ops that copy elements (Transpose,
// Concat, Split, Slice, Pad, Gather, GatherElements, Expand, Tile, DepthToSpace, SpaceToDepth). Each copying op
// is an index map, for every output element the flat index of the input element it copies (-1: constant
// padding); the same maps give the index-remapping rules of the walk their parents, so an op's folding and its
// backtracking cannot disagree.
import type { OnnxNode } from '../../onnx/graph';
import { numel, type Shape } from '../tensor';
import type { Kernel } from './kernel';
import {
  concatAttrs,
  depthToSpaceAttrs,
  flattenAttrs,
  gatherAttrs,
  padAttrs,
  reshapeAttrs,
  sliceAttrs,
  spaceToDepthAttrs,
  splitAttrs,
  squeezeAttrs,
  transposeAttrs,
} from '../op-attrs';
import { allocate, alongAxis, axisIn, broadcastDims, computed, ints, intsArg, need, rowMajorStrides, type Computed, type Input } from './values';

// ---- shapes of views ------------------------------------------------------------------------------

export function reshapeDims(x: Shape, target: readonly number[], allowZero: boolean): number[] {
  const out = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d));
  if (out.filter((d) => d === -1).length > 1) throw new Error(`cannot reshape to [${target.join(',')}]: more than one -1`);
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = out.map((d) => (d === -1 ? numel(x) / known : d));
  if (numel(inferred) !== numel(x) || inferred.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`cannot reshape [${x.join(',')}] to [${target.join(',')}]`);
  }
  return inferred;
}

export function flattenDims(x: Shape, axis: number): number[] {
  const a = axis < 0 ? axis + x.length : axis;
  if (a < 0 || a > x.length) throw new Error(`Flatten axis ${axis} is out of range for rank ${x.length}`);
  return [numel(x.slice(0, a)), numel(x.slice(a))];
}

export function squeezeDims(x: Shape, axes: readonly number[] | undefined): number[] {
  if (!axes) return x.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => axisIn(a, x.length)));
  for (const a of drop) if (x[a] !== 1) throw new Error(`cannot squeeze axis ${a} of size ${x[a]}`);
  return x.filter((_, i) => !drop.has(i));
}

export function unsqueezeDims(x: Shape, axes: readonly number[]): number[] {
  const rank = x.length + axes.length;
  const add = new Set(axes.map((a) => axisIn(a, rank)));
  if (add.size !== axes.length) throw new Error(`Unsqueeze axes [${axes.join(',')}] repeat an axis`);
  const out: number[] = [];
  for (let i = 0, j = 0; i < rank; i++) out.push(add.has(i) ? 1 : x[j++]);
  return out;
}

const view = (dims: (node: OnnxNode, x: Computed, inputs: readonly Input[]) => number[]): Kernel => ({
  run(node, inputs) {
    const x = need(inputs[0], 'data');
    return [{ type: x.type, dims: dims(node, x, inputs), data: x.data }];
  },
  infer(node, inputs) {
    const x = need(inputs[0], 'data');
    return [{ type: x.type, dims: dims(node, x, inputs) }];
  },
});

// ---- index maps -----------------------------------------------------------------------------------

export interface IndexMap {
  readonly dims: readonly number[];
  /** For each output element, the flat index of the input element it holds (-1: a constant). */
  readonly from: Int32Array;
}

/** Walks every output coordinate in row-major order; `at(coords)` gives the input flat index. */
function mapCoords(dims: Shape, at: (c: readonly number[]) => number): IndexMap {
  const n = numel(dims);
  const from = new Int32Array(n);
  const c = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < n; o++) {
    from[o] = at(c);
    for (let k = dims.length - 1; k >= 0; k--) {
      if (++c[k] < dims[k]) break;
      c[k] = 0;
    }
  }
  return { dims, from };
}

export function transposeMap(x: Shape, perm: readonly number[] | undefined): IndexMap {
  const p = perm ?? x.map((_, i) => x.length - 1 - i);
  if (p.length !== x.length || new Set(p).size !== p.length || p.some((a) => a < 0 || a >= x.length))
    throw new Error(`perm [${p.join(',')}] is not a permutation of rank ${x.length}`);
  const st = rowMajorStrides(x);
  return mapCoords(
    p.map((a) => x[a]),
    (c) => c.reduce((s, v, k) => s + v * st[p[k]], 0),
  );
}

export interface SliceAxis {
  readonly start: number;
  readonly step: number;
  readonly size: number;
}

/** Slice's start, step and size per axis (ONNX clamping rules, negative steps too). */
export function sliceGeometry(x: Shape, starts: readonly number[], ends: readonly number[], axes?: readonly number[], steps?: readonly number[]): SliceAxis[] {
  if (starts.length !== ends.length) throw new Error(`Slice has ${starts.length} starts and ${ends.length} ends`);
  const result: SliceAxis[] = x.map((d) => ({ start: 0, step: 1, size: d }));
  const ax = axes ?? starts.map((_, i) => i);
  ax.forEach((axis, i) => {
    const a = axisIn(axis, x.length);
    const d = x[a];
    const step = steps?.[i] ?? 1;
    if (step === 0 || !Number.isFinite(step)) throw new Error('Slice step 0');
    const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
    let s = starts[i] < 0 ? starts[i] + d : starts[i];
    let e = ends[i] < 0 ? ends[i] + d : ends[i];
    if (step > 0) {
      s = clamp(s, 0, d);
      e = clamp(e, 0, d);
    } else {
      s = clamp(s, 0, d - 1);
      e = clamp(e, -1, d - 1);
    }
    result[a] = { start: s, step, size: Math.max(0, Math.ceil((e - s) / step)) };
  });
  return result;
}

export function sliceMap(x: Shape, g: readonly SliceAxis[]): IndexMap {
  const st = rowMajorStrides(x);
  return mapCoords(
    g.map((a) => a.size),
    (c) => c.reduce((s, v, k) => s + (g[k].start + v * g[k].step) * st[k], 0),
  );
}

/** Per-axis [begin, end] pads for all axes (Pad's `axes` input, opset 18, picks some). */
export function fullPads(pads: readonly number[], rank: number, axes?: readonly number[]): number[] {
  if (!axes) {
    if (pads.length !== 2 * rank) throw new Error(`${pads.length} pads for rank ${rank}`);
    return [...pads];
  }
  if (pads.length !== 2 * axes.length) throw new Error(`${pads.length} pads for ${axes.length} axes`);
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((ax, i) => {
    const a = axisIn(ax, rank);
    full[a] = pads[i];
    full[a + rank] = pads[i + axes.length];
  });
  return full;
}

/** Where output coordinate i of a padded axis reads (mode edge / reflect / wrap), or -1 for constant padding. */
export function padSource(i: number, size: number, mode: string): number {
  if (i >= 0 && i < size) return i;
  if (mode === 'edge') return Math.min(size - 1, Math.max(0, i));
  if (mode === 'reflect') {
    const period = 2 * (size - 1) || 1;
    const r = ((i % period) + period) % period;
    return r >= size ? period - r : r;
  }
  if (mode === 'wrap') return ((i % size) + size) % size;
  return -1;
}

export function padMap(x: Shape, pads: readonly number[], mode: string): IndexMap {
  const r = x.length,
    st = rowMajorStrides(x);
  if (mode !== 'constant' && x.some((d, k) => d === 0 && pads[k] + pads[k + r] > 0)) throw new Error(`cannot ${mode}-pad an empty axis`);
  return mapCoords(
    x.map((d, k) => d + pads[k] + pads[k + r]),
    (c) => {
      let s = 0;
      for (let k = 0; k < r; k++) {
        const i = padSource(c[k] - pads[k], x[k], mode);
        if (i < 0) return -1;
        s += i * st[k];
      }
      return s;
    },
  );
}

export function gatherMap(x: Shape, indices: Computed, axis: number): IndexMap {
  const a = axisIn(axis, x.length);
  const idx = ints(indices).map((i) => (i < 0 ? i + x[a] : i));
  const bad = idx.find((i) => !(i >= 0 && i < x[a]));
  if (bad !== undefined) throw new Error(`Gather index ${bad} is out of range for an axis of ${x[a]}`);
  const inner = numel(x.slice(a + 1)),
    k = idx.length;
  const dims = [...x.slice(0, a), ...indices.dims, ...x.slice(a + 1)];
  const from = new Int32Array(numel(dims));
  for (let o = 0; o < from.length; o++) {
    const [outer, p, r] = alongAxis(o, k, inner);
    from[o] = (outer * x[a] + idx[p]) * inner + r;
  }
  return { dims, from };
}

export function gatherElementsMap(x: Shape, indices: Computed, axis: number): IndexMap {
  const a = axisIn(axis, x.length);
  if (indices.dims.length !== x.length) throw new Error("GatherElements indices must have the data's rank");
  const idx = ints(indices),
    st = rowMajorStrides(x);
  let o = 0;
  return mapCoords(indices.dims, (c) => {
    let i = idx[o++];
    if (i < 0) i += x[a];
    if (!(i >= 0 && i < x[a])) throw new Error(`GatherElements index ${idx[o - 1]} is out of range for an axis of ${x[a]}`);
    return c.reduce((s, v, k) => s + (k === a ? i : v) * st[k], 0);
  });
}

export function expandMap(x: Shape, shape: readonly number[]): IndexMap {
  const dims = broadcastDims([x, shape]);
  const st = rowMajorStrides(x),
    off = dims.length - x.length;
  return mapCoords(dims, (c) => x.reduce((s, d, i) => s + (d === 1 ? 0 : c[i + off] * st[i]), 0));
}

export function tileMap(x: Shape, repeats: readonly number[]): IndexMap {
  if (repeats.length !== x.length) throw new Error(`Tile has ${repeats.length} repeats for rank ${x.length}`);
  const st = rowMajorStrides(x);
  return mapCoords(
    x.map((d, i) => d * repeats[i]),
    (c) => c.reduce((s, v, k) => s + (v % x[k]) * st[k], 0),
  );
}

export function depthToSpaceMap(x: Shape, b: number, mode: string): IndexMap {
  if (x.length !== 4 || x[1] % (b * b) !== 0) throw new Error(`DepthToSpace needs [N, C, H, W] with C a multiple of ${b * b}`);
  const [n, c, h, w] = x;
  const cOut = c / (b * b);
  const st = rowMajorStrides(x);
  return mapCoords([n, cOut, h * b, w * b], ([nn, cc, yy, xx]) => {
    const i = yy % b,
      j = xx % b;
    const ci = mode === 'CRD' ? cc * b * b + i * b + j : (i * b + j) * cOut + cc;
    return nn * st[0] + ci * st[1] + Math.floor(yy / b) * st[2] + Math.floor(xx / b);
  });
}

export function spaceToDepthMap(x: Shape, b: number): IndexMap {
  if (x.length !== 4 || x[2] % b !== 0 || x[3] % b !== 0) throw new Error(`SpaceToDepth needs [N, C, H, W] with H and W multiples of ${b}`);
  const [n, c, h, w] = x;
  const st = rowMajorStrides(x);
  return mapCoords([n, c * b * b, h / b, w / b], ([nn, co, yy, xx]) => {
    const cc = co % c,
      k = Math.floor(co / c),
      i = Math.floor(k / b),
      j = k % b;
    return nn * st[0] + cc * st[1] + (yy * b + i) * st[2] + xx * b + j;
  });
}

/** The output of an index map over `x`: constant padding (index -1) holds `fill`. */
function gathered(x: Computed, m: IndexMap, fill = 0): Computed {
  const out = allocate(x.type, m.from.length);
  const data = x.data;
  for (let o = 0; o < out.length; o++) out[o] = m.from[o] < 0 ? fill : data[m.from[o]];
  return computed(x.type, m.dims, out);
}

const mapped = (m: (node: OnnxNode, x: Computed, inputs: readonly Input[]) => IndexMap): Kernel => ({
  run(node, inputs) {
    const x = need(inputs[0], 'data');
    return [gathered(x, m(node, x, inputs))];
  },
});

// ---- the op-level arguments -----------------------------------------------------------------------

/** Slice's arguments: attributes before opset 10, inputs after. */
export function sliceArgs(node: OnnxNode, x: Shape, inputs: readonly Input[]): SliceAxis[] {
  const a = sliceAttrs.of(node);
  const starts = intsArg(a.starts, inputs[1]),
    ends = intsArg(a.ends, inputs[2]);
  if (!starts || !ends) throw new Error('its starts and ends are not known');
  return sliceGeometry(x, starts, ends, intsArg(a.axes, inputs[3]), inputs[4] ? ints(inputs[4]) : undefined);
}

/** Pad's amounts for every axis and mode: attributes before opset 11, inputs after (axes from opset 18). */
export function padArgs(node: OnnxNode, rank: number, inputs: readonly Input[]): { pads: number[]; mode: string } {
  const a = padAttrs.of(node);
  const pads = intsArg(a.pads, inputs[1]);
  if (!pads) throw new Error('its pads are not known');
  return { pads: fullPads(pads, rank, inputs[3] ? ints(inputs[3]) : undefined), mode: a.mode };
}

export function splitSizes(node: OnnxNode, x: Shape, axis: number, split: Input): number[] {
  const a = splitAttrs.of(node);
  const given = intsArg(a.split, split);
  if (given) {
    if (given.reduce((s, v) => s + v, 0) !== x[axis]) throw new Error(`split sizes [${given.join(',')}] do not add up to ${x[axis]}`);
    return [...given];
  }
  const parts = a.num_outputs || node.outputs.length;
  const chunk = Math.ceil(x[axis] / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, x[axis] - i * chunk)));
}

export const layoutKernels: Record<string, Kernel> = {
  Reshape: view((node, x, [, shape]) => {
    const a = reshapeAttrs.of(node);
    const target = a.shape ?? (shape ? ints(shape) : undefined);
    if (!target) throw new Error('its target shape is not known');
    return reshapeDims(x.dims, target, a.allowzero);
  }),
  Flatten: view((node, x) => flattenDims(x.dims, flattenAttrs.of(node).axis)),
  Squeeze: view((node, x, [, axes]) => squeezeDims(x.dims, intsArg(squeezeAttrs.of(node).axes, axes))),
  Unsqueeze: view((node, x, [, axes]) => {
    const a = intsArg(squeezeAttrs.of(node).axes, axes);
    if (!a) throw new Error('its axes are not known');
    return unsqueezeDims(x.dims, a);
  }),
  Transpose: {
    ...mapped((node, x) => transposeMap(x.dims, transposeAttrs.of(node).perm)),
    infer(node, [x]) {
      const t = need(x, 'data'),
        p = transposeAttrs.of(node).perm ?? t.dims.map((_, i) => t.dims.length - 1 - i);
      return [{ type: t.type, dims: p.map((a) => t.dims[a]) }];
    },
  },
  Slice: mapped((node, x, inputs) => sliceMap(x.dims, sliceArgs(node, x.dims, inputs))),
  Pad: {
    run(node, inputs) {
      const x = need(inputs[0], 'data');
      const { pads, mode } = padArgs(node, x.dims.length, inputs);
      const fill = inputs[2] && inputs[2].data.length ? Number(inputs[2].data[0]) : padAttrs.of(node).value;
      return [gathered(x, padMap(x.dims, pads, mode), fill)];
    },
  },
  Gather: mapped((node, x, [, idx]) => gatherMap(x.dims, need(idx, 'indices'), gatherAttrs.of(node).axis)),
  GatherElements: mapped((node, x, [, idx]) => gatherElementsMap(x.dims, need(idx, 'indices'), gatherAttrs.of(node).axis)),
  Expand: mapped((_node, x, [, shape]) => expandMap(x.dims, ints(need(shape, 'shape')))),
  Tile: mapped((_node, x, [, reps]) => tileMap(x.dims, ints(need(reps, 'repeats')))),
  DepthToSpace: mapped((node, x) => {
    const a = depthToSpaceAttrs.of(node);
    return depthToSpaceMap(x.dims, a.blocksize, a.mode);
  }),
  SpaceToDepth: mapped((node, x) => spaceToDepthMap(x.dims, spaceToDepthAttrs.of(node).blocksize)),
  Concat: {
    run(node, inputs) {
      const parts = inputs.filter((t): t is Computed => t !== undefined);
      if (!parts.length) throw new Error('it has no inputs');
      const rank = parts[0].dims.length;
      const axis = axisIn(concatAttrs.of(node).axis, rank);
      const dims = [...parts[0].dims];
      dims[axis] = parts.reduce((s, t) => s + t.dims[axis], 0);
      for (const t of parts)
        if (t.dims.length !== rank || t.dims.some((d, i) => i !== axis && d !== dims[i])) throw new Error("its inputs' shapes do not match");
      const out = allocate(parts[0].type, numel(dims));
      const inner = numel(dims.slice(axis + 1)),
        outer = numel(dims.slice(0, axis));
      let o = 0;
      for (let b = 0; b < outer; b++) {
        for (const t of parts) {
          const block = t.dims[axis] * inner,
            data = t.data;
          for (let i = 0; i < block; i++) out[o++] = data[b * block + i];
        }
      }
      return [computed(parts[0].type, dims, out)];
    },
  },
  Split: {
    run(node, [x, split]) {
      const t = need(x, 'input');
      const axis = axisIn(splitAttrs.of(node).axis, t.dims.length);
      const sizes = splitSizes(node, t.dims, axis, split);
      let start = 0;
      return sizes.map((size) => {
        const g = t.dims.map((d, i) => (i === axis ? { start, step: 1, size } : { start: 0, step: 1, size: d }));
        start += size;
        return gathered(t, sliceMap(t.dims, g));
      });
    },
  },
};
