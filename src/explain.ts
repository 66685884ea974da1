// The pipeline: load → preprocess → run (keeping intermediates) → unravel → heat map. A prepared
// Explainer holds one forward pass, so any class can be explained again without running the model.
import * as fs from 'node:fs';
import { identityGeometry, toOriginal, type CoordinateMap } from './preprocess/geometry';
import { decodeImage, imageToTensor, type DecodedImage } from './preprocess/image';
import { imageInputSpec, type ImageInputSpec } from './preprocess/input-spec';
import { defaultPresetName, presetNamed, type Preset } from './preprocess/presets';
import { readInputTensor, tensorPreview } from './preprocess/tensor-input';
import { SessionCache, runForward, type ForwardResult, type OpenModel } from './runtime/session';
import { pointsBox, thresholdBox, type Box, type BoxMode } from './heatmap/box';
import { defaultSigma, densityMap, type HeatMap } from './heatmap/density';
import { removeOutliers, type Point } from './heatmap/outliers';
import { imagenetLabels } from './labels';
import { RESULT_VERSION, type ExplanationJson, type Prediction, type Timings } from './shared/result';
import { defaultUnravelOptions, type ConvMode, type FlattenMode } from './unravel/types';
import type { UnravelResult } from './unravel/walk';

export interface ExplainOptions {
  readonly preset?: string;
  readonly labels?: readonly string[];
  readonly top?: number;
  readonly convMode?: ConvMode;
  readonly flattenMode?: FlattenMode;
  readonly sigma?: number;
  readonly boxMode?: BoxMode;
}

export type InputSource = { readonly image: string } | { readonly imageBytes: Buffer; readonly label: string } | { readonly tensor: string };

export interface Explanation {
  readonly json: ExplanationJson;
  readonly unravel: UnravelResult;
  readonly heat: HeatMap;
  readonly keptPoints: readonly Point[];
  readonly box: Box | null;
}

/** Probabilities: the output itself when it already is a distribution, else its softmax. */
export function probabilities(scores: ArrayLike<number>): Float64Array {
  let sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    sum += scores[i];
    min = Math.min(min, scores[i]);
    max = Math.max(max, scores[i]);
  }
  if (min >= 0 && Math.abs(sum - 1) < 1e-3) return Float64Array.from(scores);
  const e = Float64Array.from(scores, (v) => Math.exp(v - max));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

export function topK(p: ArrayLike<number>, k: number): number[] {
  return Array.from({ length: p.length }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b).slice(0, k);
}

const sharedCache = new SessionCache();

export class Explainer {
  private constructor(
    readonly model: OpenModel,
    readonly spec: ImageInputSpec,
    readonly preset: Preset,
    readonly forward: ForwardResult,
    readonly picture: { readonly width: number; readonly height: number; readonly rgba: Uint8Array; readonly path: string },
    readonly map: CoordinateMap,
    readonly scores: Float32Array | Float64Array,
    readonly probs: Float64Array,
    readonly outputName: string,
    readonly labels: readonly string[] | undefined,
    readonly options: ExplainOptions,
    readonly baseTimings: Pick<Timings, 'loadMs' | 'preprocessMs' | 'inferenceMs'>,
  ) {}

  static async create(modelPath: string, input: InputSource, options: ExplainOptions = {}, cache = sharedCache): Promise<Explainer> {
    const t0 = performance.now();
    let stat: fs.Stats;
    try {
      stat = fs.statSync(modelPath);
    } catch {
      throw new Error(`model file not found: ${modelPath}`);
    }
    const { model } = await cache.get(modelPath, stat);
    const spec = imageInputSpec(model.model.graph);
    const preset = presetNamed(options.preset ?? defaultPresetName(model.model.graph.metadata, spec.channels));
    const t1 = performance.now();
    let feed, map: CoordinateMap, picture: Explainer['picture'];
    if ('tensor' in input) {
      feed = readInputTensor(input.tensor, spec);
      const preview = tensorPreview(feed, spec);
      map = identityGeometry(preview.width, preview.height);
      picture = { ...preview, path: input.tensor };
    } else {
      const img: DecodedImage = 'image' in input ? await decodeImage(input.image) : await decodeImage(input.imageBytes, input.label);
      ({ feed, map } = imageToTensor(img, spec, preset));
      picture = { width: img.width, height: img.height, rgba: img.rgba, path: 'image' in input ? input.image : input.label };
    }
    const t2 = performance.now();
    const forward = await runForward(model, feed);
    const t3 = performance.now();
    const outputName = model.outputNames[0];
    const out = forward.outputs.get(outputName);
    if (!out) throw new Error(`the model produced no output '${outputName}'`);
    const scores = out.data instanceof Float64Array ? out.data : Float32Array.from(out.data);
    const labels = options.labels ?? (scores.length === 1000 ? imagenetLabels() : undefined);
    return new Explainer(model, spec, preset, forward, picture, map, scores, probabilities(scores), outputName, labels, options, {
      loadMs: t1 - t0,
      preprocessMs: t2 - t1,
      inferenceMs: t3 - t2,
    });
  }

  get classCount(): number {
    return this.scores.length;
  }

  label(i: number): string {
    return this.labels?.[i] ?? String(i);
  }

  predictions(k = this.options.top ?? 5): Prediction[] {
    return topK(this.probs, Math.min(k, this.classCount)).map((i) => ({ index: i, label: this.label(i), score: this.probs[i] }));
  }

  /** Explains class `k` (default: the top-1) from the kept forward pass. */
  explain(classIndex?: number, overrides: Partial<ExplainOptions> = {}): Explanation {
    const o = { ...this.options, ...overrides };
    const k = classIndex ?? topK(this.probs, 1)[0];
    if (!Number.isInteger(k) || k < 0 || k >= this.classCount) {
      throw new RangeError(`class ${classIndex} is out of range: the model has ${this.classCount} classes (0–${this.classCount - 1})`);
    }
    const t0 = performance.now();
    const unravel = this.model.unraveler.unravel(this.forward, this.outputName, k, this.spec.name, {
      convMode: o.convMode ?? defaultUnravelOptions.convMode,
      flattenMode: o.flattenMode ?? defaultUnravelOptions.flattenMode,
    });
    const t1 = performance.now();
    const { width, height } = this.picture;
    const fixations = this.inputCoordinates(unravel.input.fixations);
    const points: Point[] = [];
    for (const [, y, x] of fixations) {
      const p = toOriginal(this.map, x, y);
      if (p) points.push(p);
    }
    const keptPoints = removeOutliers(points, width, height);
    const sigma = o.sigma ?? defaultSigma(width, height);
    const heat = densityMap(keptPoints, width, height, sigma);
    const boxMode = o.boxMode ?? 'points';
    const box = boxMode === 'points' ? pointsBox(keptPoints) : thresholdBox(heat);
    const t2 = performance.now();
    const json: ExplanationJson = {
      version: RESULT_VERSION,
      model: { path: this.model.model.path, input: { name: this.spec.name, shape: [...this.forward.values.get(this.spec.name)!.dims] } },
      predictions: this.predictions(o.top),
      target: { index: k, label: this.label(k) },
      layers: unravel.layers.map((l) => ({ node: l.node, op: l.op, tensor: l.tensor, shape: [...l.shape], count: l.count, ...(l.notes.length ? { notes: l.notes } : {}) })),
      inputFixations: fixations,
      points,
      keptPoints,
      box,
      timings: { ...this.baseTimings, unravelMs: t1 - t0, heatmapMs: t2 - t1 },
      settings: { preset: this.preset.name, convMode: o.convMode ?? defaultUnravelOptions.convMode, flattenMode: o.flattenMode ?? defaultUnravelOptions.flattenMode, sigma, boxMode },
      image: { path: this.picture.path, width, height },
    };
    return { json, unravel, heat, keptPoints, box };
  }

  /** Flat input indices → [c, y, x] whatever the layout. */
  inputCoordinates(flat: Int32Array): [number, number, number][] {
    const dims = this.forward.values.get(this.spec.name)!.dims;
    const nhwc = this.spec.layout === 'NHWC';
    const [c, h, w] = nhwc ? [dims[3], dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
    return Array.from(flat, (f): [number, number, number] =>
      nhwc ? [f % c, Math.floor(f / (w * c)) % h, Math.floor(f / c) % w] : [Math.floor(f / (h * w)) % c, Math.floor(f / w) % h, f % w],
    );
  }
}
