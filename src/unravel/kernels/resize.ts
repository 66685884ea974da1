// Resize and Upsample as per-axis taps: each output coordinate of an axis reads a few input coordinates with
// weights (one for nearest, two for linear, four for cubic), and an output element reads the product of its
// axes' taps. The coordinate transform, the neighbours (edge-padded, the window kept inside the padded axis) and
// the coefficients follow ONNX's reference (onnx/backend/test/case/node/resize.py), so the kernel reproduces
// ONNX's node tests; the walk's rule (rules/resize.ts) reads the same taps, so folding and backtracking agree.
import type { OnnxNode } from '../../onnx/graph';
import { numel, type Shape } from '../tensor';
import type { Kernel } from './kernel';
import { resizeAttrs, upsampleAttrs } from '../op-attrs';
import { allocate, computed, isInteger, need, type Input } from './values';

/** One input coordinate an output coordinate reads, and its weight (taps of the same clamped index merged). */
export interface Tap {
  readonly index: number;
  readonly weight: number;
}

export interface ResizePlan {
  readonly mode: 'nearest' | 'linear' | 'cubic';
  readonly outDims: Shape;
  /** Per axis, per output coordinate: its taps, or undefined outside the crop (tf_crop_and_resize: the extrapolation value). */
  readonly taps: readonly (readonly (readonly Tap[] | undefined)[])[];
  readonly extrapolation: number;
}

/** The arguments of a Resize (opsets 10 to 19) or Upsample (7 to 9) node, attribute or input form resolved. */
export interface ResizeArgs {
  readonly scales?: readonly number[];
  readonly sizes?: readonly number[];
  readonly roi?: readonly number[];
}

/** A constant input's values, or undefined where it is omitted or empty (exporters write an empty scales beside sizes). */
export function listOf(t: Input): number[] | undefined {
  if (!t || numel(t.dims) === 0) return undefined;
  return Array.from(t.data as ArrayLike<number>, Number);
}

type Attrs = ReturnType<typeof resizeAttrs.of>;

/**
 * A Resize's attributes, or an Upsample's in Resize's terms (parsed once, op-attrs.ts): Upsample transforms
 * asymmetrically and has nothing of Resize-11's but its mode ('bilinear' is Upsample-1's linear) and, up to
 * opset 8, its scales.
 */
export function resizeAttrsOf(node: OnnxNode): Attrs & { readonly scales?: readonly number[] } {
  if (node.opType !== 'Upsample') return resizeAttrs.of(node);
  const u = upsampleAttrs.of(node);
  return {
    mode: u.mode === 'bilinear' ? 'linear' : u.mode,
    coordinate_transformation_mode: 'asymmetric',
    nearest_mode: 'floor',
    cubic_coeff_a: -0.75,
    exclude_outside: false,
    extrapolation_value: 0,
    antialias: false,
    axes: undefined,
    keep_aspect_ratio_policy: 'stretch',
    scales: u.scales,
  };
}

/** Where scales, sizes and roi sit: Upsample-7 holds scales as an attribute, Upsample-9 and Resize-10 as input 1, Resize-11+ as inputs 2, 3 and roi as 1. */
export function resizeArgs(node: OnnxNode, inputs: readonly Input[]): ResizeArgs {
  if (node.opType === 'Upsample') return { scales: resizeAttrsOf(node).scales ?? listOf(inputs[1]) };
  if (node.inputs.length <= 2) return { scales: listOf(inputs[1]) };
  return { roi: listOf(inputs[1]), scales: listOf(inputs[2]), sizes: listOf(inputs[3]) };
}

/** Resize-10 (two inputs) and Upsample transform coordinates asymmetrically and round nearest down, as onnxruntime does. */
const legacy = (node: OnnxNode) => node.opType === 'Upsample' || node.inputs.length <= 2;

/** Per-axis scales and output dims, from scales or sizes (on `axes` only at opset 18, with its aspect-ratio policy). */
function geometry(node: OnnxNode, x: Shape, args: ResizeArgs, crop: boolean): { scales: number[]; out: number[] } {
  const rank = x.length;
  const axes = (resizeAttrsOf(node).axes ?? x.map((_, i) => i)).map((a) => (a < 0 ? a + rank : a));
  const full = (given: readonly number[], fill: number) => {
    if (given.length !== axes.length) throw new Error(`it has ${given.length} scales or sizes for ${axes.length} axes`);
    const v = new Array<number>(rank).fill(fill);
    axes.forEach((a, i) => (v[a] = given[i]));
    return v;
  };
  const roi = args.roi && crop ? fullRoi(args.roi, rank, axes) : undefined;
  if (args.sizes) {
    const sizes = full(args.sizes, 0).map((s, i) => (axes.includes(i) ? s : x[i]));
    const policy = resizeAttrsOf(node).keep_aspect_ratio_policy;
    if (policy === 'stretch') return { scales: sizes.map((s, i) => s / x[i]), out: sizes };
    const ratios = axes.map((a) => sizes[a] / x[a]);
    const s = policy === 'not_larger' ? Math.min(...ratios) : policy === 'not_smaller' ? Math.max(...ratios) : NaN;
    if (Number.isNaN(s)) throw new Error(`its keep_aspect_ratio_policy '${policy}' is not stretch, not_larger or not_smaller`);
    return { scales: x.map((_, i) => (axes.includes(i) ? s : 1)), out: x.map((d, i) => (axes.includes(i) ? Math.round(d * s) : d)) };
  }
  if (!args.scales) throw new Error('its scales and sizes are not known');
  const scales = full(args.scales, 1);
  if (scales.some((s) => !(s > 0))) throw new Error(`its scales [${args.scales.join(',')}] are not all positive`);
  // onnxruntime multiplies in float32: 5 × 1.4f is 6.9999999 in float64 but 7 in float32, and its output has 7
  const out = x.map((d, i) => Math.floor(Math.fround(Math.fround(d * (roi ? roi[i + rank] - roi[i] : 1)) * scales[i]) + 1e-9));
  return { scales, out };
}

/** roi as [starts of every axis, ends of every axis] (given on `axes` only at opset 18). */
function fullRoi(roi: readonly number[], rank: number, axes: readonly number[]): number[] {
  if (roi.length !== 2 * axes.length) throw new Error(`its roi has ${roi.length} values for ${axes.length} axes`);
  const full = [...new Array<number>(rank).fill(0), ...new Array<number>(rank).fill(1)];
  axes.forEach((a, i) => {
    full[a] = roi[i];
    full[a + rank] = roi[i + axes.length];
  });
  return full;
}

/** The input coordinate output coordinate `o` maps to (ONNX's coordinate_transformation_mode). */
function original(ctm: string, o: number, scale: number, inLen: number, roiStart: number, roiEnd: number): number {
  const outLen = scale * inLen; // the reference's length_resized: not rounded when the output follows from scales
  switch (ctm) {
    case 'half_pixel':
      return (o + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel':
      return outLen > 1 ? (o + 0.5) / scale - 0.5 : 0;
    case 'align_corners':
      return outLen === 1 ? 0 : (o * (inLen - 1)) / (outLen - 1);
    case 'asymmetric':
      return o / scale;
    case 'tf_half_pixel_for_nn':
      return (o + 0.5) / scale;
    case 'half_pixel_symmetric': {
      const adjustment = Math.floor(outLen) / outLen;
      const center = inLen / 2;
      return center * (1 - adjustment) + (o + 0.5) / scale - 0.5;
    }
    case 'tf_crop_and_resize':
      return outLen > 1 ? roiStart * (inLen - 1) + (o * (roiEnd - roiStart) * (inLen - 1)) / (outLen - 1) : 0.5 * (roiStart + roiEnd) * (inLen - 1);
    default:
      throw new Error(`its coordinate_transformation_mode '${ctm}' is unknown`);
  }
}

function nearestCoeffs(ratio: number, nearest: string): number[] {
  if (Number.isInteger(ratio)) return [0, 1];
  switch (nearest) {
    case 'round_prefer_floor':
      return ratio <= 0.5 ? [1, 0] : [0, 1];
    case 'round_prefer_ceil':
      return ratio < 0.5 ? [1, 0] : [0, 1];
    case 'floor':
      return [1, 0];
    case 'ceil':
      return [0, 1];
    default:
      throw new Error(`its nearest_mode '${nearest}' is unknown`);
  }
}

function cubicCoeffs(r: number, a: number): number[] {
  const outer = (t: number) => ((a * t - 5 * a) * t + 8 * a) * t - 4 * a; // |t| in [1, 2]
  const inner = (t: number) => ((a + 2) * t - (a + 3)) * t * t + 1; // |t| in [0, 1]
  return [outer(r + 1), inner(r), inner(1 - r), outer(2 - r)];
}

/**
 * The taps of one output coordinate: the reference's n nearest neighbours of x (the smaller index on ties) among the
 * axis edge-padded by ⌈n/2⌉, their coefficients from the fractional part (1 when x is whole), indices clamped.
 */
function axisTaps(x: number, inLen: number, coeffs: (ratio: number) => number[], excludeOutside: boolean): Tap[] {
  const ratio = Number.isInteger(x) ? 1 : x - Math.floor(x);
  const c = coeffs(ratio);
  const n = c.length,
    pad = Math.ceil(n / 2);
  const start = Math.min(Math.max(Math.ceil(x + pad) - n / 2, 0), inLen + 2 * pad - n) - pad;
  if (excludeOutside) {
    for (let k = 0; k < n; k++) if (start + k < 0 || start + k >= inLen) c[k] = 0;
    const sum = c.reduce((s, v) => s + v, 0);
    for (let k = 0; k < n; k++) c[k] /= sum;
  }
  const merged = new Map<number, number>();
  for (let k = 0; k < n; k++) {
    if (c[k] === 0) continue;
    const i = Math.min(inLen - 1, Math.max(0, start + k));
    merged.set(i, (merged.get(i) ?? 0) + c[k]);
  }
  return [...merged].sort(([a], [b]) => a - b).map(([index, weight]) => ({ index, weight }));
}

/** Everything a Resize or Upsample node does to an input of dims `x`, given its scales, sizes and roi. */
export function resizePlan(node: OnnxNode, x: Shape, args: ResizeArgs): ResizePlan {
  const at = resizeAttrsOf(node);
  const mode = at.mode;
  const old = legacy(node);
  const ctm = old ? 'asymmetric' : at.coordinate_transformation_mode;
  const crop = ctm === 'tf_crop_and_resize';
  const { scales, out } = geometry(node, x, args, crop);
  const rank = x.length;
  const roi = crop ? fullRoi(args.roi ?? [], rank, at.axes ?? x.map((_, i) => i)) : undefined;
  const nearest = old ? undefined : at.nearest_mode;
  const a = at.cubic_coeff_a;
  const excludeOutside = !old && at.exclude_outside;
  const taps = x.map((inLen, axis) => {
    const scale = scales[axis];
    const coeffs =
      mode === 'linear'
        ? (r: number) => [1 - r, r]
        : mode === 'cubic'
          ? (r: number) => cubicCoeffs(r, a)
          : (r: number) => nearestCoeffs(r, nearest ?? (scale < 1 ? 'ceil' : 'floor'));
    return Array.from({ length: out[axis] }, (_, o) => {
      const xo = original(ctm, o, scale, inLen, roi?.[axis] ?? 0, roi?.[axis + rank] ?? 1);
      if (crop && (xo < 0 || xo > inLen - 1)) return undefined;
      return axisTaps(xo, inLen, coeffs, excludeOutside);
    });
  });
  return { mode, outDims: out, taps, extrapolation: at.extrapolation_value };
}

/**
 * Antialiased downsampling (opset 18) widens linear and cubic filters by 1/scale: not the taps computed here, so
 * the kernel and the rule refuse it (the shape is unaffected).
 */
export function refuseAntialias(node: OnnxNode, plan: ResizePlan, x: Shape): void {
  if (resizeAttrsOf(node).antialias && plan.mode !== 'nearest' && plan.outDims.some((d, i) => d < x[i]))
    throw new Error('antialiased downsampling (antialias=1, opset 18) has no rule: export with antialias=False');
}

/** The output coordinates of flat index `f` of `dims`. */
export function coordsOf(f: number, dims: Shape): number[] {
  const c = new Array<number>(dims.length);
  for (let k = dims.length - 1; k >= 0; k--) {
    c[k] = f % dims[k];
    f = Math.floor(f / dims[k]);
  }
  return c;
}

/**
 * Calls `visit(input flat index, weight)` for every tap of output element `f` (the product of its axes' taps);
 * returns false, visiting nothing, when the element lies outside the crop.
 */
export function eachTap(plan: ResizePlan, x: Shape, f: number, visit: (index: number, weight: number) => void): boolean {
  const c = coordsOf(f, plan.outDims);
  const axes = c.map((o, k) => plan.taps[k][o]);
  if (axes.some((t) => !t)) return false;
  const rank = x.length;
  const walk = (k: number, base: number, w: number): void => {
    if (k === rank) return visit(base, w);
    for (const t of axes[k]!) walk(k + 1, base * x[k] + t.index, w * t.weight);
  };
  walk(0, 0, 1);
  return true;
}

export const resizeKernel: Kernel = {
  run(node, inputs) {
    const x = need(inputs[0], 'input');
    const plan = resizePlan(node, x.dims, resizeArgs(node, inputs));
    refuseAntialias(node, plan, x.dims);
    const n = numel(plan.outDims);
    const out = allocate(x.type, n);
    const data = x.data as ArrayLike<number>;
    const integer = isInteger(x.type);
    for (let f = 0; f < n; f++) {
      let s = 0;
      const inside = eachTap(plan, x.dims, f, (i, w) => (s += w * data[i]));
      out[f] = !inside ? plan.extrapolation : integer ? Math.round(s) : s;
    }
    return [computed(x.type, plan.outDims, out)];
  },
};
