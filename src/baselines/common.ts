// What the baseline methods share: a saliency map computed on the model's input grid (CAM's coarse
// feature grid, occlusion's per-pixel drops) brought onto the original image as a HeatMap (the same
// type CNN Fixations' density is), and the Explanation wrapper with empty points.
import { convModeFor, defaultMode, type Explainer, type Explanation } from '../explain';
import { thresholdBox } from '../heatmap/box';
import { heatPeak, type HeatMap } from '../heatmap/density';
import type { CoordinateMap } from '../preprocess/geometry';
import { RESULT_VERSION, type ExplanationJson } from '../shared/result';
import { defaultUnravelOptions } from '../unravel/types';

export type Method = 'fixations' | 'cam' | 'occlusion';
export const methods: readonly Method[] = ['fixations', 'cam', 'occlusion'];

/** A map on a grid of `cols × rows` cells that evenly tile the model input (mw × mh pixels). */
export interface GridMap {
  readonly cols: number;
  readonly rows: number;
  readonly values: Float32Array;
}

/**
 * Grid nodes along the shorter side: CAM's maps are upsampled from a few cells and occlusion's from
 * patches, so 128 nodes lose nothing visible and keep the panel's payload small, as the density's does.
 */
const NODES_ON_SHORTER_SIDE = 128;

/**
 * The grid map, already scaled to [0, 1], resampled bilinearly onto the original image (through the
 * preprocessing's resize and crop). Pixels the model never saw (cropped away) get 0.
 */
export function gridToHeat(g: GridMap, map: CoordinateMap, empty = false): HeatMap {
  const { originalWidth: width, originalHeight: height } = map;
  const step = Math.max(1, Math.floor(Math.min(width, height) / NODES_ON_SHORTER_SIDE));
  const gw = Math.ceil((width - 1) / step) + 1,
    gh = Math.ceil((height - 1) / step) + 1;
  const grid = new Float32Array(gw * gh);
  if (!empty) {
    // Original pixel → model pixel (inverse of toOriginal) → grid cell coordinate, per axis.
    const axis = (n: number, stepPx: number, resized: number, original: number, crop: number, content: number, cells: number, model: number) => {
      const pos = new Float32Array(n);
      const inside = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const m = ((i * stepPx + 0.5) * resized) / original - 0.5 - crop;
        inside[i] = m > -0.5 && m < content - 0.5 ? 1 : 0;
        pos[i] = Math.min(cells - 1, Math.max(0, ((m + 0.5) * cells) / model - 0.5));
      }
      return { pos, inside };
    };
    const ax = axis(gw, step, map.resizedWidth, width, map.cropLeft, map.contentWidth, g.cols, map.modelWidth);
    const ay = axis(gh, step, map.resizedHeight, height, map.cropTop, map.contentHeight, g.rows, map.modelHeight);
    const v = g.values;
    for (let j = 0; j < gh; j++) {
      if (!ay.inside[j]) continue;
      const y = ay.pos[j],
        y0 = Math.floor(y),
        y1 = Math.min(g.rows - 1, y0 + 1),
        fy = y - y0;
      for (let i = 0; i < gw; i++) {
        if (!ax.inside[i]) continue;
        const x = ax.pos[i],
          x0 = Math.floor(x),
          x1 = Math.min(g.cols - 1, x0 + 1),
          fx = x - x0;
        const top = v[y0 * g.cols + x0] * (1 - fx) + v[y0 * g.cols + x1] * fx;
        const bottom = v[y1 * g.cols + x0] * (1 - fx) + v[y1 * g.cols + x1] * fx;
        grid[j * gw + i] = top * (1 - fy) + bottom * fy;
      }
    }
  }
  return { width, height, step, gridWidth: gw, gridHeight: gh, grid, sigma: 0, empty };
}

/** (v − min) / (max − min); `flat` when all values are equal (no information to show). */
export function minMax(values: Float32Array): { values: Float32Array; flat: boolean } {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (!(hi > lo)) return { values: new Float32Array(values.length), flat: true };
  return { values: values.map((v) => (v - lo) / (hi - lo)), flat: false };
}

/** max(v, 0) / max; `flat` when nothing is positive. */
export function positivePart(values: Float32Array): { values: Float32Array; flat: boolean } {
  let hi = 0;
  for (const v of values) if (v > hi) hi = v;
  if (!(hi > 0)) return { values: new Float32Array(values.length), flat: true };
  return { values: values.map((v) => Math.max(0, v) / hi), flat: false };
}

/** The class to explain: `classIndex`, else the top-1; a clear error when out of range. */
export function targetClass(explainer: Explainer, classIndex?: number): number {
  const k = classIndex ?? explainer.predictions(1)[0].index;
  if (!Number.isInteger(k) || k < 0 || k >= explainer.classCount) {
    throw new RangeError(`class ${classIndex} is out of range: the model has ${explainer.classCount} classes (0–${explainer.classCount - 1})`);
  }
  return k;
}

/**
 * An Explanation for a map-only method: no fixations or points (empty lists), the map as the heat, and
 * the threshold box (largest region ≥ 20% of the maximum), since there are no points to box.
 */
export function mapExplanation(
  explainer: Explainer,
  k: number,
  method: Exclude<Method, 'fixations'>,
  heat: HeatMap,
  methodMs: number,
  heatmapMs: number,
): Explanation {
  const t0 = performance.now();
  const box = thresholdBox(heat);
  const input = explainer.forward.values.get(explainer.spec.name)!;
  const o = explainer.options;
  const json: ExplanationJson = {
    version: RESULT_VERSION,
    model: { path: explainer.model.model.path, input: { name: explainer.spec.name, shape: [...input.dims] } },
    predictions: explainer.predictions(o.top),
    target: { index: k, label: explainer.label(k) },
    layers: [],
    inputFixations: [],
    points: [],
    keptPoints: [],
    box,
    timings: { ...explainer.baseTimings, unravelMs: methodMs, heatmapMs: heatmapMs + performance.now() - t0 },
    settings: {
      preset: explainer.preset.name,
      mode: o.mode ?? defaultMode,
      versus: null,
      convMode: o.convMode ?? convModeFor(o.mode ?? defaultMode, undefined),
      flattenMode: o.flattenMode ?? defaultUnravelOptions.flattenMode,
      sigma: 0,
      boxMode: 'threshold',
      method,
    },
    image: { path: explainer.picture.path, width: explainer.picture.width, height: explainer.picture.height },
    inputFixationWeights: [],
    pointWeights: [],
    keptPointWeights: [],
    peak: heatPeak(heat),
    ...(explainer.warnings.length ? { warnings: explainer.warnings } : {}),
  };
  return {
    json,
    unravel: { layers: [], input: { name: explainer.spec.name, shape: input.dims, fixations: new Int32Array(0), mass: undefined } },
    heat,
    keptPoints: [],
    keptWeights: [],
    box,
  };
}
