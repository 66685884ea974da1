// The pipeline: load → preprocess → run (keeping intermediates) → unravel → heat map. A prepared
// Explainer holds one forward pass, so any class can be explained again without running the model.
import * as fs from 'node:fs';
import { identityGeometry, toOriginal, type CoordinateMap } from './preprocess/geometry';
import { cropToTensor, decodeForModel, resizeFor, viewGeometries } from './preprocess/image';
import { imageInputSpec, type ImageInputSpec } from './preprocess/input-spec';
import { defaultPresetName, presetNamed, type Preset } from './preprocess/presets';
import { readInputTensor, tensorPreview } from './preprocess/tensor-input';
import { checkMemory, explanationNeed, keptTensors, maxPixels, memoryBudget, type MemoryNeed } from './limits';
import { checkFinite } from './runtime/finite';
import { SessionCache, runForward, type Feed, type ForwardResult, type OpenModel } from './runtime/session';
import { pointsBox, thresholdBox, type Box } from './heatmap/box';
import { defaultSigma, densityMap, heatPeak, type HeatMap } from './heatmap/density';
import { keptByMass, type Point } from './heatmap/outliers';
import { imagenetLabels, labelsMismatch } from './labels';
import { RESULT_VERSION, type ExplanationJson, type Prediction, type Timings } from './shared/result';
import { defaultOf, type ClassOptions, type ConvMode, type Mode, type RunOptions } from './shared/settings';
import { classContrast } from './unravel/contrast';
import { convInputs } from './unravel/plan';
import { defaultUnravelOptions, type ClassContrast } from './unravel/types';
import type { UnravelResult } from './unravel/walk';

/**
 * paper: the paper's method exactly (every fixation counts 1); weighted: masses with the paper's rules;
 * discriminative: masses, and the class against the rest at the classifier (docs/ALGORITHM.md).
 */
export type ExplainMode = Mode;
export const defaultMode: ExplainMode = defaultOf('mode');

/**
 * The conv rule when the options leave it to the mode: `contribution` in mode paper (the paper's rule, and
 * today's results); `activation` with masses, which put the most mass on the objects of the photos measured and
 * stays on the strokes of small digits, where `center` does not (README, "Measured").
 */
export function convModeFor(mode: ExplainMode, versus: number | undefined): ConvMode {
  return mode === 'paper' && versus === undefined ? 'contribution' : 'activation';
}

/** The options of a run: preset, labels, top, mode, convMode, flattenMode, sigma, boxMode, views, each declared once (values, default, meaning) in src/shared/settings.ts. */
export type ExplainOptions = RunOptions;

export type InputSource = { readonly image: string } | { readonly imageBytes: Buffer; readonly label: string } | { readonly tensor: string };

export interface Explanation {
  readonly json: ExplanationJson;
  readonly unravel: UnravelResult;
  readonly heat: HeatMap;
  readonly keptPoints: readonly Point[];
  /** One per kept point: its mass (uniform in mode paper). */
  readonly keptWeights: readonly number[];
  readonly box: Box | null;
}

/**
 * What explain() may change per call without a new forward pass: any option, and `versus`, the class to explain
 * against ("why A rather than B?": masses, contrast W[A] − W[B]).
 */
export type ExplainOverrides = ExplainOptions & ClassOptions;

/** Probabilities: the output itself when it already is a distribution, else its softmax. */
export function probabilities(scores: ArrayLike<number>): Float64Array {
  let sum = 0,
    min = Infinity,
    max = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    sum += scores[i];
    min = Math.min(min, scores[i]);
    max = Math.max(max, scores[i]);
  }
  if (min >= 0 && Math.abs(sum - 1) < 1e-3) return Float64Array.from(scores);
  // Plain loops: the same values, summed in the same order, as Float64Array.from, reduce and map with callbacks,
  // which took ~0.3 ms of each forward on 1,000 classes.
  const e = new Float64Array(scores.length);
  let z = 0;
  for (let i = 0; i < e.length; i++) {
    e[i] = Math.exp(scores[i] - max);
    z += e[i];
  }
  for (let i = 0; i < e.length; i++) e[i] /= z;
  return e;
}

/** Indices of the k largest values, largest first (ties: lower index first). O(n·k): k is small. */
export function topK(p: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  for (let i = 0; i < p.length; i++) {
    if (best.length === k && p[i] <= p[best[k - 1]]) continue;
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && p[best[j - 1]] < p[i]) j--;
    best.splice(j, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

const sharedCache = new SessionCache();

/**
 * What an explanation on an input of `dims` would hold (limits.ts), kept per open model: the same for every image
 * of a size, and its shape inference was ~0.4 ms of each image of a sweep.
 */
const needs = new WeakMap<OpenModel, Map<string, MemoryNeed>>();
function memoryNeed(model: OpenModel, spec: ImageInputSpec, dims: readonly number[], width: number, height: number, views: number): MemoryNeed {
  let byShape = needs.get(model);
  if (!byShape) needs.set(model, (byShape = new Map()));
  const key = `${dims.join(',')};${width}x${height};${views}`;
  let need = byShape.get(key);
  if (!need) {
    const { graph } = model.model;
    const { ops, constants } = model.unraveler;
    const kept = keptTensors(graph, ops, constants, spec.name, dims, model.plan.expose);
    const copyBytesPerElement = convInputs(graph, ops, constants, [spec.name]).get(spec.name) ?? 0;
    need = explanationNeed({ width, height }, { dims, bytesPerElement: spec.elemType === 2 ? 1 : 4, copyBytesPerElement }, kept, views);
    byShape.set(key, need);
  }
  return need;
}

/** The image explained, as the user sees it (the points and maps are in its pixels). */
export interface ExplainedPicture {
  readonly width: number;
  readonly height: number;
  readonly path: string;
  /** RGBA at width × height, for the pictures exports draw (a big JPEG's input came from a reduced decode: decoded again). */
  pixels(): Promise<Uint8Array>;
}

/** One view of the image through the model: its forward pass and where its pixels come from. */
export interface View {
  readonly forward: ForwardResult;
  readonly map: CoordinateMap;
  readonly probs: Float64Array;
  /** The class scores before any final Softmax (what a class contrast weighs classes by). */
  readonly logits: Float64Array;
  /** Of the forward's time, onnxruntime's run (the rest: the NaN/Inf check, the scores read): the bench's breakdown. */
  readonly runMs: number;
}

export class Explainer {
  private constructor(
    readonly model: OpenModel,
    readonly spec: ImageInputSpec,
    readonly preset: Preset,
    readonly views: readonly View[],
    readonly picture: ExplainedPicture,
    /** The model's scores for the (first) view, and the probabilities averaged over views. */
    readonly scores: Float32Array | Float64Array,
    readonly probs: Float64Array,
    readonly outputName: string,
    readonly labels: readonly string[] | undefined,
    readonly options: ExplainOptions,
    readonly baseTimings: Pick<Timings, 'loadMs' | 'preprocessMs' | 'inferenceMs'>,
  ) {}

  /** What the user should know about this run that does not stop it: a labels file that does not fit the model. */
  get warnings(): readonly string[] {
    if (!this.warned) {
      const mismatch = this.options.labels && labelsMismatch(this.options.labels.length, this.classCount);
      this.warned = mismatch ? [mismatch] : [];
    }
    return this.warned;
  }
  private warned: readonly string[] | undefined;

  /** The first view's forward pass and geometry (the only ones, in single-view mode). */
  get forward(): ForwardResult {
    return this.views[0].forward;
  }
  get map(): CoordinateMap {
    return this.views[0].map;
  }

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
    const prepared: { feed: Feed; map: CoordinateMap }[] = [];
    let picture: Explainer['picture'];
    if ('tensor' in input) {
      const feed = readInputTensor(input.tensor, spec);
      const preview = tensorPreview(feed, spec);
      prepared.push({ feed, map: identityGeometry(preview.width, preview.height) });
      picture = { width: preview.width, height: preview.height, path: input.tensor, pixels: () => Promise.resolve(preview.rgba) };
    } else {
      const label = 'image' in input ? input.image : input.label;
      const img = await decodeForModel('image' in input ? input.image : input.imageBytes, spec, preset, label, maxPixels(options));
      const maps = viewGeometries(img, spec, preset, options.views ?? 'single');
      // before the resize and the input tensors are allocated: a model may declare any input size
      const { modelWidth: mw, modelHeight: mh, resizedWidth, resizedHeight } = maps[0];
      const dims = spec.layout === 'NCHW' ? [1, spec.channels, mh, mw] : [1, mh, mw, spec.channels];
      checkMemory(memoryNeed(model, spec, dims, resizedWidth, resizedHeight, maps.length), memoryBudget(options));
      const resized = resizeFor(img.raster, maps);
      for (const map of maps) prepared.push({ feed: cropToTensor(resized, map, spec, preset), map });
      picture = { width: img.width, height: img.height, path: label, pixels: img.full };
    }
    const t2 = performance.now();
    const outputName = model.outputNames[0];
    const { views, scores, probs } = await forwardViews(model, prepared, outputName);
    const t3 = performance.now();
    const labels = options.labels ?? (scores.length === 1000 ? imagenetLabels() : undefined);
    return new Explainer(model, spec, preset, views, picture, scores, probs, outputName, labels, options, {
      loadMs: t1 - t0,
      preprocessMs: t2 - t1,
      inferenceMs: t3 - t2,
    });
  }

  /**
   * The same input tensors through the model again: a fresh forward pass (and nothing walked on it yet), the
   * preprocessing not repeated. The bench times a user's explanation from the input tensor with it.
   */
  async again(): Promise<Explainer> {
    const t0 = performance.now();
    const prepared = this.views.map((v) => {
      const x = v.forward.values.get(this.spec.name)!;
      return { feed: { name: this.spec.name, dims: [...x.dims], data: x.data as Feed['data'] }, map: v.map };
    });
    const { views, scores, probs } = await forwardViews(this.model, prepared, this.outputName, true);
    const { spec, preset, picture, outputName, labels, options } = this;
    return new Explainer(this.model, spec, preset, views, picture, scores, probs, outputName, labels, options, {
      ...this.baseTimings,
      inferenceMs: performance.now() - t0,
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

  /**
   * Explains class `k` (default: the top-1) from the kept forward pass(es). With several views, only those
   * whose own top-1 is `k` are traced (all of them when none is), and their points are pooled, each view's
   * masses scaled by 1 / the number of views traced. `versus` explains k against that class.
   */
  explain(classIndex?: number, overrides: ExplainOverrides = {}): Explanation {
    const o = { ...this.options, ...overrides };
    const k = classIndex ?? topK(this.probs, 1)[0];
    if (!Number.isInteger(k) || k < 0 || k >= this.classCount) {
      throw new RangeError(`class ${classIndex} is out of range: the model has ${this.classCount} classes (0–${this.classCount - 1})`);
    }
    const versus = overrides.versus;
    const mode = o.mode ?? defaultMode;
    const contrastFor = (v: View): ClassContrast | undefined =>
      versus !== undefined
        ? classContrast({ kind: 'versus', versus }, k, v.logits)
        : mode === 'discriminative'
          ? classContrast({ kind: 'others' }, k, v.logits)
          : undefined;
    const masses = versus !== undefined || mode !== 'paper';
    const base = { convMode: o.convMode ?? convModeFor(mode, versus), flattenMode: o.flattenMode ?? defaultUnravelOptions.flattenMode };
    const agreeing = this.views.filter((v) => topK(v.probs, 1)[0] === k);
    const traced = agreeing.length ? agreeing : this.views;
    const t0 = performance.now();
    const walks = traced.map((v) => ({
      v,
      unravel: this.model.unraveler.unravel(v.forward, this.outputName, k, this.spec.name, { ...base, masses, contrast: contrastFor(v) }),
    }));
    const t1 = performance.now();
    const { width, height } = this.picture;
    const points: Point[] = [];
    const pointMass: number[] = [];
    // Keyed by flat input index: one per (c, y, x), whichever view it comes from.
    const seen = new Map<number, number>();
    const fixations: [number, number, number][] = [];
    const fixationMass: number[] = [];
    for (const { v, unravel } of walks) {
      const mass = unravel.input.mass;
      const flat = unravel.input.fixations;
      this.inputCoordinates(flat).forEach(([c, y, x], n) => {
        const m = (mass ? mass[n] : 1) / walks.length;
        const p = toOriginal(v.map, x, y);
        if (p) {
          points.push(p);
          pointMass.push(m);
        }
        const key = flat[n];
        const at = seen.get(key);
        if (at === undefined) {
          seen.set(key, fixations.length);
          fixations.push([c, y, x]);
          fixationMass.push(m);
        } else fixationMass[at] += m;
      });
    }
    const pointWeights = normalized(pointMass);
    const kept = keptByMass(points, masses ? pointWeights : undefined, width, height);
    const keptPoints = kept.map((i) => points[i]);
    const keptWeights = kept.map((i) => pointWeights[i]);
    const sigma = o.sigma ?? defaultSigma(width, height);
    const heat = densityMap(keptPoints, width, height, sigma, masses ? keptWeights : undefined);
    const boxMode = o.boxMode ?? 'points';
    // The threshold box is the region where the fixations are dense, each counting 1 whatever its mass: where the
    // evidence lies, not how much of it (a map of masses peaks on a few points: its 20% region boxes little).
    const box = boxMode === 'points' ? pointsBox(keptPoints) : thresholdBox(masses ? densityMap(keptPoints, width, height, sigma) : heat);
    const t2 = performance.now();
    const unravel = walks[0].unravel;
    const json: ExplanationJson = {
      version: RESULT_VERSION,
      model: { path: this.model.model.path, input: { name: this.spec.name, shape: [...this.forward.values.get(this.spec.name)!.dims] } },
      predictions: this.predictions(o.top),
      target: { index: k, label: this.label(k) },
      layers: unravel.layers.map((l) => ({
        node: l.node,
        op: l.op,
        tensor: l.tensor,
        shape: [...l.shape],
        count: l.count,
        ...(l.notes.length ? { notes: l.notes } : {}),
      })),
      inputFixations: fixations,
      points,
      keptPoints,
      box,
      timings: { ...this.baseTimings, unravelMs: t1 - t0, heatmapMs: t2 - t1 },
      settings: {
        preset: this.preset.name,
        mode: versus !== undefined ? 'versus' : mode,
        versus: versus ?? null,
        ...(versus !== undefined ? { versusLabel: this.label(versus) } : {}),
        convMode: base.convMode,
        flattenMode: base.flattenMode,
        sigma,
        boxMode,
        views: this.views.length === 1 ? 'single' : `five (traced ${traced.length}: ${traced.map((v) => this.views.indexOf(v)).join(',')})`,
      },
      image: { path: this.picture.path, width, height },
      // added in version 1 after the fields above
      inputFixationWeights: normalized(fixationMass),
      pointWeights,
      keptPointWeights: keptWeights,
      peak: heatPeak(heat),
      ...(this.warnings.length ? { warnings: this.warnings } : {}),
    };
    return { json, unravel, heat, keptPoints, keptWeights, box };
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

/** Weights scaled to sum to 1 (all zero stays all zero). */
function normalized(w: readonly number[]): number[] {
  const total = w.reduce((a, b) => a + b, 0);
  return total > 0 ? w.map((v) => v / total) : w.map(() => 0);
}

/** One forward pass per prepared view, checked; the first view's scores and the probabilities averaged over views. */
async function forwardViews(
  model: OpenModel,
  prepared: readonly { feed: Feed; map: CoordinateMap }[],
  outputName: string,
  inputChecked = false,
): Promise<{ views: View[]; scores: Float32Array | Float64Array; probs: Float64Array }> {
  const views: View[] = [];
  let scores: Float32Array | Float64Array | undefined;
  for (const { feed, map } of prepared) {
    const t0 = performance.now();
    const forward = await runForward(model, feed);
    const runMs = performance.now() - t0;
    const out = forward.outputs.get(outputName);
    if (!out) throw new Error(`the model produced no output '${outputName}'`);
    // again() feeds the input tensors the first forward checked: not scanned again.
    const cleared = inputChecked ? new Set([...(forward.finite ?? []), feed.name]) : forward.finite;
    checkFinite(model.model.graph, forward.values, outputName, cleared);
    const s = out.data instanceof Float64Array ? out.data : Float32Array.from(out.data);
    scores ??= s;
    views.push({ forward, map, probs: probabilities(s), logits: logitsOf(model, forward, s), runMs });
  }
  const probs = new Float64Array(scores!.length);
  for (const v of views) for (let i = 0; i < probs.length; i++) probs[i] += v.probs[i] / views.length;
  return { views, scores: scores!, probs };
}

/** The first output's logits for one forward pass: the scores themselves, or the input of a final Softmax. */
function logitsOf(model: OpenModel, forward: ForwardResult, scores: ArrayLike<number>): Float64Array {
  const { tensor, scale, zero } = model.plan.logits;
  if (tensor === model.outputNames[0]) return Float64Array.from(scores);
  if (!scale) return model.unraveler.values(forward, tensor);
  const q = forward.values.get(tensor);
  const s = model.unraveler.constants.float(scale)?.[0] ?? 1,
    z = zero ? (model.unraveler.constants.float(zero)?.[0] ?? 0) : 0;
  if (!q) throw new Error(`the forward pass did not keep the logits '${tensor}'`);
  return Float64Array.from(q.data, (v) => (v - z) * s);
}
