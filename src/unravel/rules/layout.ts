// Index-remapping ops: the fixation keeps its element and only its index changes. Reshape, Flatten,
// Squeeze and Unsqueeze keep the row-major flat index; Transpose permutes it; Concat routes to the input
// owning the index along the axis; Split and Slice add the offset back; Pad subtracts the leading pad; Gather
// looks the position up in its constant indices; DepthToSpace and SpaceToDepth move channels into blocks.
import type { OnnxNode } from '../../onnx/graph';
import { axisOf, numel, stridesOf, type Shape } from '../tensor';
import { merge, oneParentEach, parentsOf } from '../fixations';
import type { Fixations, Rule, ShapeContext } from '../types';
import { UnsupportedError } from '../types';
import { padSource, sliceGeometry, type SliceAxis } from '../kernels/layout';
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

function constInts(name: string, ctx: ShapeContext): number[] | undefined {
  if (!name) return undefined;
  const t = ctx.constants.get(name);
  return t ? Array.from(t.data) : undefined;
}

/** Attribute (older opsets, parsed by its schema) or constant input (newer opsets) holding a list of integers. */
function intsArg(given: readonly number[] | undefined, node: OnnxNode, input: number, ctx: ShapeContext): readonly number[] | undefined {
  return given ?? constInts(node.input(input), ctx);
}

// ---- Reshape family: same flat index -------------------------------------------------------------

function reshapeShape(node: OnnxNode, x: Shape, ctx: ShapeContext): Shape | undefined {
  const a = reshapeAttrs.of(node);
  const target = a.shape ?? constInts(node.input(1), ctx);
  if (!target) return undefined;
  const allowZero = a.allowzero;
  const out = target.map((d, i) => (d === 0 && !allowZero ? x[i] : d));
  const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const inferred = out.map((d) => (d === -1 ? numel(x) / known : d));
  if (numel(inferred) !== numel(x) || inferred.some((d) => !Number.isInteger(d))) {
    throw new Error(`cannot reshape [${x.join(',')}] to [${target.join(',')}]`);
  }
  return inferred;
}

function flattenShape(node: OnnxNode, x: Shape): Shape {
  const axis = flattenAttrs.of(node).axis;
  const a = axis < 0 ? axis + x.length : axis;
  return [numel(x.slice(0, a)), numel(x.slice(a))];
}

function squeezeShape(node: OnnxNode, x: Shape, ctx: ShapeContext): Shape | undefined {
  const axes = intsArg(squeezeAttrs.of(node).axes, node, 1, ctx);
  if (!axes && node.input(1)) return undefined;
  if (!axes) return x.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => axisOf(a, x.length)));
  return x.filter((_, i) => !drop.has(i));
}

function unsqueezeShape(node: OnnxNode, x: Shape, ctx: ShapeContext): Shape | undefined {
  const axes = intsArg(squeezeAttrs.of(node).axes, node, 1, ctx);
  if (!axes) return undefined;
  const rank = x.length + axes.length;
  const add = new Set(axes.map((a) => axisOf(a, rank)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(add.has(i) ? 1 : x[j++]);
  return out;
}

const sameIndex = (_n: OnnxNode, [fix]: readonly Fixations[]) => [fix];

export const reshapeRule: Rule = {
  shape: (node, [x], ctx) => (x ? [reshapeShape(node, x, ctx)] : undefined),
  back: sameIndex,
};
export const flattenRule: Rule = { shape: (node, [x]) => (x ? [flattenShape(node, x)] : undefined), back: sameIndex };
export const squeezeRule: Rule = { shape: (node, [x], ctx) => (x ? [squeezeShape(node, x, ctx)] : undefined), back: sameIndex };
export const unsqueezeRule: Rule = { shape: (node, [x], ctx) => (x ? [unsqueezeShape(node, x, ctx)] : undefined), back: sameIndex };

// ---- Transpose ----------------------------------------------------------------------------------

function perm(node: OnnxNode, rank: number): number[] {
  return [...(transposeAttrs.of(node).perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i))];
}

export const transposeRule: Rule = {
  shape: (node, [x]) => (x ? [perm(node, x.length).map((p) => x[p])] : undefined),
  back(node, [fix], ctx) {
    const x = ctx.shape(node.input(0));
    const p = perm(node, x.length);
    const out = p.map((i) => x[i]);
    const outStrides = stridesOf(out);
    const inStrides = stridesOf(x);
    const parents = new Int32Array(fix.index.length);
    for (let n = 0; n < parents.length; n++) {
      let rest = fix.index[n],
        idx = 0;
      for (let k = 0; k < out.length; k++) {
        const c = Math.floor(rest / outStrides[k]);
        rest -= c * outStrides[k];
        idx += c * inStrides[p[k]];
      }
      parents[n] = idx;
    }
    return [oneParentEach(fix, parents)];
  },
};

// ---- Concat and Split: segments along one axis --------------------------------------------------

/** Splits a flat index into (outer, position along axis, inner). */
function alongAxis(f: number, size: number, inner: number): [number, number, number] {
  const outer = Math.floor(f / (size * inner));
  const rest = f - outer * size * inner;
  const a = Math.floor(rest / inner);
  return [outer, a, rest - a * inner];
}

export const concatRule: Rule = {
  routes: (node) => node.inputs.map((_, i) => i),
  shape(node, inputs, ctx) {
    const shapes = inputs.map((s, i) => s ?? ctx.constants.get(node.input(i))?.dims);
    if (shapes.some((s) => !s)) return undefined;
    const first = shapes[0]!;
    const axis = axisOf(concatAttrs.of(node).axis, first.length);
    const out = [...first];
    out[axis] = shapes.reduce((a, s) => a + s![axis], 0);
    return [out];
  },
  back(node, [fix], ctx) {
    const out = ctx.shape(node.outputs[0]);
    const axis = axisOf(concatAttrs.of(node).axis, out.length);
    const inner = numel(out.slice(axis + 1));
    const sizes = node.inputs.map((x) => ctx.shape(x)[axis]);
    const starts: number[] = [];
    for (let i = 0, at = 0; i < sizes.length; at += sizes[i++]) starts.push(at);
    const picks = sizes.map(() => [] as number[]);
    const from = sizes.map(() => [] as number[]);
    for (let n = 0; n < fix.index.length; n++) {
      const [o, a, r] = alongAxis(fix.index[n], out[axis], inner);
      let k = 0;
      while (a >= starts[k] + sizes[k]) k++;
      picks[k].push((o * sizes[k] + (a - starts[k])) * inner + r);
      from[k].push(n);
    }
    // A fixation on a constant operand has no parent: the walk spreads its mass over the rest. An operand that gets
    // none is sent nothing (a DenseNet concatenates up to 32 feature maps, and most get no fixation).
    return picks.map((p, i) => (p.length === 0 || ctx.constants.has(node.input(i)) ? undefined : parentsOf(fix, from[i], p)));
  },
};

/** Split sizes: attribute, constant input, values the forward pass kept (`runtime`), or equal parts. */
function splitSizes(node: OnnxNode, x: Shape, axis: number, ctx: ShapeContext, runtime?: (name: string) => number[]): number[] | undefined {
  const split = intsArg(splitAttrs.of(node).split, node, 1, ctx) ?? (node.input(1) && runtime ? runtime(node.input(1)) : undefined);
  if (split) return [...split];
  if (node.input(1)) return undefined;
  const parts = splitAttrs.of(node).num_outputs || node.outputs.length;
  const chunk = Math.ceil(x[axis] / parts);
  return Array.from({ length: parts }, (_, i) => Math.max(0, Math.min(chunk, x[axis] - i * chunk)));
}

export const splitRule: Rule = {
  reads: (node, ctx) => (node.input(1) && !ctx.constants.has(node.input(1)) ? [1] : []),
  shape(node, [x], ctx) {
    if (!x) return undefined;
    const axis = axisOf(splitAttrs.of(node).axis, x.length);
    const sizes = splitSizes(node, x, axis, ctx);
    return sizes?.map((s) => x.map((d, i) => (i === axis ? s : d)));
  },
  back(node, outs, ctx) {
    const x = ctx.shape(node.input(0));
    const axis = axisOf(splitAttrs.of(node).axis, x.length);
    // Split sizes computed at run time (like torch's chunk) come from the forward pass.
    const sizes = splitSizes(node, x, axis, ctx, (name) => Array.from(ctx.activation(name).data, Number));
    if (!sizes) throw new Error('its split sizes are neither constants nor kept by the forward pass');
    const inner = numel(x.slice(axis + 1));
    let start = 0;
    const sent = outs.map((fix, k) => {
      const parents = new Int32Array(fix.index.length);
      for (let n = 0; n < parents.length; n++) {
        const [o, a, r] = alongAxis(fix.index[n], sizes[k], inner);
        parents[n] = (o * x[axis] + start + a) * inner + r;
      }
      start += sizes[k];
      return oneParentEach(fix, parents);
    });
    return [merge(sent)];
  },
};

// ---- Slice and Pad: per-axis offsets ------------------------------------------------------------

/**
 * `runtime` supplies the values of non-constant starts / ends / axes / steps from the forward pass: torch
 * exports `chunk` (ShuffleNetV2) as Shape → Gather → Div → Slice, so the bounds are only known at run time.
 */
function sliceAxes(node: OnnxNode, x: Shape, ctx: ShapeContext, runtime?: (name: string) => number[]): SliceAxis[] | undefined {
  const a = sliceAttrs.of(node);
  const arg = (given: readonly number[] | undefined, i: number) =>
    intsArg(given, node, i, ctx) ?? (node.input(i) && runtime ? runtime(node.input(i)) : undefined);
  const starts = arg(a.starts, 1);
  const ends = arg(a.ends, 2);
  if (!starts || !ends) return undefined;
  const givenAxes = arg(a.axes, 3);
  const givenSteps = constInts(node.input(4), ctx) ?? (node.input(4) && runtime ? runtime(node.input(4)) : undefined);
  if ((!givenAxes && node.input(3)) || (!givenSteps && node.input(4))) return undefined;
  return sliceGeometry(x, starts, ends, givenAxes, givenSteps);
}

export const sliceRule: Rule = {
  reads: (node, ctx) => [1, 2, 3, 4].filter((i) => node.input(i) !== '' && !ctx.constants.has(node.input(i))),
  shape(node, [x], ctx) {
    const axes = x && sliceAxes(node, x, ctx);
    return axes ? [axes.map((a) => a.size)] : undefined;
  },
  back(node, [fix], ctx) {
    const x = ctx.shape(node.input(0));
    const axes = sliceAxes(node, x, ctx, (name) => Array.from(ctx.activation(name).data, Number));
    if (!axes) throw new Error('its starts and ends are neither constants nor kept by the forward pass');
    const outStrides = stridesOf(axes.map((a) => a.size));
    const inStrides = stridesOf(x);
    const parents = new Int32Array(fix.index.length);
    for (let n = 0; n < parents.length; n++) {
      let rest = fix.index[n],
        idx = 0;
      for (let k = 0; k < x.length; k++) {
        const c = Math.floor(rest / outStrides[k]);
        rest -= c * outStrides[k];
        idx += (axes[k].start + c * axes[k].step) * inStrides[k];
      }
      parents[n] = idx;
    }
    return [oneParentEach(fix, parents)];
  },
};

/** Pads (attribute or input), spread over every axis; `runtime` supplies pads or axes computed at run time from the forward pass. */
function padAmounts(node: OnnxNode, rank: number, ctx: ShapeContext, runtime?: (name: string) => number[]): number[] | undefined {
  const pads = intsArg(padAttrs.of(node).pads, node, 1, ctx) ?? (node.input(1) && runtime ? runtime(node.input(1)) : undefined);
  if (!pads) return undefined;
  const axes = constInts(node.input(3), ctx) ?? (node.input(3) && runtime ? runtime(node.input(3)) : undefined);
  if (!axes && node.input(3)) return undefined;
  if (!axes) return [...pads];
  const full = new Array<number>(2 * rank).fill(0);
  axes.forEach((ax, i) => {
    const a = axisOf(ax, rank);
    full[a] = pads[i];
    full[a + rank] = pads[i + axes.length];
  });
  return full;
}

export const padRule: Rule = {
  reads: (node, ctx) => [1, 3].filter((i) => node.input(i) !== '' && !ctx.constants.has(node.input(i))),
  shape(node, [x], ctx) {
    if (!x) return undefined;
    const p = padAmounts(node, x.length, ctx);
    return p ? [x.map((d, i) => d + p[i] + p[i + x.length])] : undefined;
  },
  back(node, [fix], ctx) {
    const x = ctx.shape(node.input(0));
    const r = x.length;
    const p = padAmounts(node, r, ctx, (name) => Array.from(ctx.activation(name).data, Number));
    if (!p) throw new Error('its pads are neither constants nor kept by the forward pass');
    const mode = padAttrs.of(node).mode;
    const out = x.map((d, i) => d + p[i] + p[i + r]);
    const outStrides = stridesOf(out);
    const inStrides = stridesOf(x);
    const parents: number[] = [];
    const from: number[] = [];
    let dropped = 0;
    for (let n = 0; n < fix.index.length; n++) {
      let rest = fix.index[n],
        idx = 0,
        inside = true;
      for (let k = 0; k < r; k++) {
        const c = Math.floor(rest / outStrides[k]);
        rest -= c * outStrides[k];
        // edge, reflect and wrap (opset 19) read an input element; constant padding has none (the kernel's own map)
        const i = padSource(c - p[k], x[k], mode);
        if (i < 0) inside = false;
        idx += i * inStrides[k];
      }
      if (inside) {
        parents.push(idx);
        from.push(n);
      } else dropped++;
    }
    if (dropped) ctx.flag(`${dropped} fixation(s) fell on constant padding and have no parent`);
    return [parentsOf(fix, from, parents)];
  },
};

// ---- Gather with constant indices: the element at the gathered position -------------------------

export const gatherRule: Rule = {
  shape(node, [x], ctx) {
    const idx = ctx.constants.get(node.input(1));
    if (!x || !idx) return undefined;
    const axis = axisOf(gatherAttrs.of(node).axis, x.length);
    return [[...x.slice(0, axis), ...idx.dims, ...x.slice(axis + 1)]];
  },
  back(node, [fix], ctx) {
    const idx = constInts(node.input(1), ctx);
    if (!idx) throw new UnsupportedError(node.opType, node.name, 'Gather with indices computed at run time has no rule (constant indices only)');
    const x = ctx.shape(node.input(0));
    const axis = axisOf(gatherAttrs.of(node).axis, x.length);
    const inner = numel(x.slice(axis + 1));
    const parents = new Int32Array(fix.index.length);
    for (let n = 0; n < parents.length; n++) {
      const [o, p, r] = alongAxis(fix.index[n], idx.length, inner);
      const i = idx[p] < 0 ? idx[p] + x[axis] : idx[p];
      if (i < 0 || i >= x[axis]) throw new Error(`index ${idx[p]} is out of range for axis ${axis} of size ${x[axis]}`);
      parents[n] = (o * x[axis] + i) * inner + r;
    }
    return [oneParentEach(fix, parents)];
  },
};

// ---- DepthToSpace and SpaceToDepth: channels ↔ blocks of positions ------------------------------

/**
 * The input index of output element `f` of DepthToSpace (x = [N, C, H, W], block b): output (n, c, y, x) reads
 * input channel (i·b + j)·C/b² + c (mode DCR, the default) or c·b² + i·b + j (CRD) at (y / b, x / b), where
 * i = y mod b and j = x mod b.
 */
function depthToSpaceParent(f: number, x: Shape, b: number, crd: boolean): number {
  const [, C, H, W] = x;
  const c2 = C / (b * b),
    OH = H * b,
    OW = W * b;
  const ox = f % OW,
    oy = Math.floor(f / OW) % OH,
    c = Math.floor(f / (OW * OH)) % c2,
    n = Math.floor(f / (OW * OH * c2));
  const i = oy % b,
    j = ox % b;
  const ci = crd ? c * b * b + i * b + j : (i * b + j) * c2 + c;
  return ((n * C + ci) * H + Math.floor(oy / b)) * W + Math.floor(ox / b);
}

/** SpaceToDepth (x = [N, C, H, W], block b): output channel (i·b + j)·C + c at (y, x) reads input (c, y·b + i, x·b + j). */
function spaceToDepthParent(f: number, x: Shape, b: number): number {
  const [, C, H, W] = x;
  const OH = H / b,
    OW = W / b,
    OC = C * b * b;
  const ox = f % OW,
    oy = Math.floor(f / OW) % OH,
    oc = Math.floor(f / (OW * OH)) % OC,
    n = Math.floor(f / (OW * OH * OC));
  const c = oc % C,
    ij = Math.floor(oc / C),
    i = Math.floor(ij / b),
    j = ij % b;
  return ((n * C + c) * H + oy * b + i) * W + ox * b + j;
}

function blockSize(node: OnnxNode, x: Shape): number {
  const b = (node.opType === 'DepthToSpace' ? depthToSpaceAttrs : spaceToDepthAttrs).of(node).blocksize;
  if (x.length !== 4) throw new Error(`${node.opType} needs a 4-D input, not rank ${x.length}`);
  if (!(b > 0)) throw new Error(`${node.opType} has no positive blocksize`);
  return b;
}

export const depthToSpaceRule: Rule = {
  shape(node, [x]) {
    if (!x) return undefined;
    const b = blockSize(node, x);
    if (x[1] % (b * b)) throw new Error(`${x[1]} channels do not split into blocks of ${b}×${b}`);
    return [[x[0], x[1] / (b * b), x[2] * b, x[3] * b]];
  },
  back(node, [fix], ctx) {
    const x = ctx.shape(node.input(0));
    const b = blockSize(node, x);
    const crd = depthToSpaceAttrs.of(node).mode === 'CRD';
    return [
      oneParentEach(
        fix,
        fix.index.map((f) => depthToSpaceParent(f, x, b, crd)),
      ),
    ];
  },
};

export const spaceToDepthRule: Rule = {
  shape(node, [x]) {
    if (!x) return undefined;
    const b = blockSize(node, x);
    if (x[2] % b || x[3] % b) throw new Error(`a ${x[2]}×${x[3]} map does not split into blocks of ${b}×${b}`);
    return [[x[0], x[1] * b * b, x[2] / b, x[3] / b]];
  },
  back(node, [fix], ctx) {
    const x = ctx.shape(node.input(0));
    const b = blockSize(node, x);
    return [
      oneParentEach(
        fix,
        fix.index.map((f) => spaceToDepthParent(f, x, b)),
      ),
    ];
  },
};
