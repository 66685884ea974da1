// The scores: localization (IoU ≥ 0.5, as ILSVRC), the pointing game, and deletion / insertion
// (Petsiuk et al., RISE, BMVC 2018): remove (or restore) model-input pixels in order of saliency and
// follow the class probability; the area under that curve is small for a good map when deleting, large
// when inserting. Curves run as one batch of perturbed copies per image and map.
import { probabilities } from '../explain';
import { iou, pointsBox, type Box } from '../heatmap/box';
import { fullResolution, heatAt, type HeatMap } from '../heatmap/density';
import { toOriginal, type CoordinateMap } from '../preprocess/geometry';
import type { BatchRunner, InputData } from '../runtime/batch';
import type { Shape } from '../unravel/tensor';

export function located(box: Box | null, truth: Box): boolean {
  return box !== null && iou(box, truth) >= 0.5;
}

/** The map's maximum (first in row-major order at full resolution) lies inside the box. */
export function pointingHit(heat: HeatMap, truth: Box): boolean {
  if (heat.empty) return false;
  let best = -Infinity, bx = -1, by = -1;
  for (let y = 0; y < heat.height; y++) {
    for (let x = 0; x < heat.width; x++) {
      const v = heatAt(heat, x, y);
      if (v > best) { best = v; bx = x; by = y; }
    }
  }
  return bx >= truth[0] && bx <= truth[2] && by >= truth[1] && by <= truth[3];
}

/** A seeded generator (mulberry32): the same baselines and tie-breaks on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The heat of each model-input pixel (row-major h×w), read at the original pixel it comes from. */
export function saliencyOnInput(heat: HeatMap, map: CoordinateMap): Float32Array {
  const w = map.modelWidth, h = map.modelHeight;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = toOriginal(map, x, y);
      out[y * w + x] = p && !heat.empty ? heatAt(heat, p[0], p[1]) : 0;
    }
  }
  return out;
}

/**
 * Pixel order, most salient first. Ties (flat regions, an empty map) are broken by a fixed random
 * order, not by position, so a map with nothing to say scores like a random one, not like a raster scan.
 */
export function salientOrder(saliency: Float32Array, seed: number): Int32Array {
  const rnd = seededRandom(seed);
  const jitter = Float64Array.from(saliency, () => rnd());
  const order = Int32Array.from(saliency, (_, i) => i);
  order.sort((a, b) => saliency[b] - saliency[a] || jitter[a] - jitter[b]);
  return order;
}

/** Separable Gaussian blur of each channel (insertion starts from the blurred input, as in RISE). */
export function blurInput(data: InputData, dims: Shape, layout: 'NCHW' | 'NHWC', sigma: number): Float32Array {
  const [c, h, w] = layout === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = Float64Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * sigma * sigma)));
  const idx = (ch: number, y: number, x: number) => (layout === 'NCHW' ? ch * h * w + y * w + x : (y * w + x) * c + ch);
  const out = new Float32Array(data.length);
  const tmp = new Float64Array(h * w);
  for (let ch = 0; ch < c; ch++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0, z = 0;
        for (let i = -r; i <= r; i++) {
          const xx = x + i;
          if (xx < 0 || xx >= w) continue;
          s += k[i + r] * data[idx(ch, y, xx)];
          z += k[i + r];
        }
        tmp[y * w + x] = s / z;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0, z = 0;
        for (let i = -r; i <= r; i++) {
          const yy = y + i;
          if (yy < 0 || yy >= h) continue;
          s += k[i + r] * tmp[yy * w + x];
          z += k[i + r];
        }
        out[idx(ch, y, x)] = s / z;
      }
    }
  }
  return out;
}

/** Trapezoid area under a curve sampled at evenly spaced fractions 0..1. */
export function auc(curve: ArrayLike<number>): number {
  const n = curve.length - 1;
  if (n < 1) return curve[0] ?? 0;
  let s = 0;
  for (let i = 0; i < n; i++) s += (curve[i] + curve[i + 1]) / 2;
  return s / n;
}

export interface CurveInput {
  readonly dims: Shape;
  readonly data: InputData;
  readonly layout: 'NCHW' | 'NHWC';
  /** The blurred input insertion starts from. */
  readonly blurred: Float32Array;
}

export interface Curves {
  readonly deletion: Float64Array;
  readonly insertion: Float64Array;
}

/**
 * Deletion: pixels set to 0 in the model's input space (the normalized mean), most salient first;
 * insertion: pixels copied from the input onto its blurred version, most salient first. `steps` + 1
 * points each (fraction 0, 1/steps, …, 1); class k's probability at each.
 */
export async function deletionInsertion(runner: BatchRunner, input: CurveInput, order: Int32Array, k: number, steps: number): Promise<Curves> {
  const { dims, data, layout, blurred } = input;
  const [c, h, w] = layout === 'NCHW' ? [dims[1], dims[2], dims[3]] : [dims[3], dims[1], dims[2]];
  const size = c * h * w, pixels = h * w;
  const batch = new Float32Array(2 * (steps + 1) * size);
  const channelIndex = (ch: number, p: number) => (layout === 'NCHW' ? ch * pixels + p : p * c + ch);
  for (let s = 0; s <= steps; s++) {
    const del = batch.subarray(s * size, (s + 1) * size);
    const ins = batch.subarray((steps + 1 + s) * size, (steps + 2 + s) * size);
    del.set(data.subarray(0, size));
    ins.set(blurred);
    const n = Math.round((s / steps) * pixels);
    for (let i = 0; i < n; i++) {
      const p = order[i];
      for (let ch = 0; ch < c; ch++) {
        const j = channelIndex(ch, p);
        del[j] = 0;
        ins[j] = data[j];
      }
    }
  }
  const input8 = data instanceof Uint8Array;
  const outs = await runner.run(input8 ? Uint8Array.from(batch, (v) => Math.max(0, Math.min(255, Math.round(v)))) : batch, 2 * (steps + 1), dims);
  const p = outs.map((o) => probabilities(o)[k]);
  return { deletion: Float64Array.from(p.slice(0, steps + 1)), insertion: Float64Array.from(p.slice(steps + 1)) };
}

/** A region of the image: the union of boxes, minus the union of `minus` (objects in front of it). */
export interface Region {
  readonly boxes: readonly Box[];
  readonly minus?: readonly Box[];
}

const inBox = (b: Box, x: number, y: number) => x >= b[0] && x <= b[2] && y >= b[1] && y <= b[3];

/** The smallest box around all of the boxes (null for none). */
export function boxAround(boxes: readonly Box[]): Box | null {
  return pointsBox(boxes.flatMap((b) => [[b[0], b[1]], [b[2], b[3]]] as const));
}

export function inRegion(r: Region, x: number, y: number): boolean {
  return r.boxes.some((b) => inBox(b, x, y)) && !(r.minus ?? []).some((b) => inBox(b, x, y));
}

/** The share of the points' mass inside each region (weights as given, e.g. pointWeights that sum to 1). */
export function massIn(points: readonly (readonly [number, number])[], weights: readonly number[], regions: readonly Region[]): number[] {
  return regions.map((r) => points.reduce((s, [x, y], i) => (inRegion(r, x, y) ? s + weights[i] : s), 0));
}

/** A map at full resolution and its sum, computed once per map (the photo study reads each map several times). */
const fullMaps = new WeakMap<HeatMap, { full: Float32Array; total: number }>();
function fullMap(heat: HeatMap): { full: Float32Array; total: number } {
  let f = fullMaps.get(heat);
  if (!f) {
    const full = fullResolution(heat);
    let total = 0;
    for (let i = 0; i < full.length; i++) total += full[i];
    f = { full, total };
    fullMaps.set(heat, f);
  }
  return f;
}

/** The share of the map (summed at full resolution) inside each region; 0 for an empty map. */
export function mapShareIn(heat: HeatMap, regions: readonly Region[]): number[] {
  if (heat.empty) return regions.map(() => 0);
  const { full, total } = fullMap(heat), w = heat.width;
  return regions.map((r) => {
    // Each pixel once: over the boxes' bounding rectangle, counting the pixels in the region.
    const around = boxAround(r.boxes);
    if (!around) return 0;
    const x0 = Math.max(0, around[0]), x1 = Math.min(w - 1, around[2]), y0 = Math.max(0, around[1]), y1 = Math.min(heat.height - 1, around[3]);
    let s = 0;
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) if (inRegion(r, x, y)) s += full[y * w + x];
    return total > 0 ? s / total : 0;
  });
}

/**
 * Histogram intersection of two maps of one image, each scaled to sum 1 at full resolution: Σ min(p, q).
 * 1 when the maps are the same up to scale, 0 when they do not overlap (or one is empty).
 */
export function histogramIntersection(a: HeatMap, b: HeatMap): number {
  if (a.empty || b.empty) return 0;
  if (a.width !== b.width || a.height !== b.height) throw new Error(`maps of different images (${a.width}×${a.height} and ${b.width}×${b.height})`);
  const { full: pa, total: sa } = fullMap(a), { full: pb, total: sb } = fullMap(b);
  if (!(sa > 0 && sb > 0)) return 0;
  const ia = 1 / sa, ib = 1 / sb;
  let s = 0;
  for (let i = 0; i < pa.length; i++) s += Math.min(pa[i] * ia, pb[i] * ib);
  return s;
}

/** |A ∩ B| / |A ∪ B| of two sets of keys (1 for two empty sets). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let shared = 0;
  for (const k of a) if (b.has(k)) shared++;
  const union = a.size + b.size - shared;
  return union ? shared / union : 1;
}

/** Σ min(a, b) / Σ max(a, b) over the union of keys: the Jaccard of two mass distributions (Ruzicka). */
export function weightedJaccard(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): number {
  let lo = 0, hi = 0;
  for (const [k, v] of a) {
    const w = b.get(k) ?? 0;
    lo += Math.min(v, w);
    hi += Math.max(v, w);
  }
  for (const [k, w] of b) if (!a.has(k)) hi += w;
  return hi ? lo / hi : 1;
}
