// The benchmarks. Fashion-MNIST canvases with true boxes: localization (top-1 and with the class given),
// pointing game, deletion/insertion, time. Two-object Fashion-MNIST canvases: both classes explained, the
// discriminative pointing game and the mass on each object. Real ImageNet photos: deletion/insertion and
// time (their boxes and class pairs: photos.ts). Every method sees the same images, classes, tie-breaks
// and perturbation batches.
import * as path from 'node:path';
import { Explainer } from '../explain';
import { thresholdBox } from '../heatmap/box';
import { fullResolution, type HeatMap } from '../heatmap/density';
import { encodePng } from '../heatmap/render';
import { batchRunner } from '../runtime/batch';
import { canvasRgba, type Benchmark, type Canvases, type TwoObjectBenchmark } from './fmnist';
import { evalMethods, twoObjectMethods, type BoxKind, type EvalMethod } from './methods';
import { auc, blurInput, deletionInsertion, located, mapShareIn, massIn, pointingHit, saliencyOnInput, salientOrder, type CurveInput } from './metrics';

export interface RunOptions {
  /** Points per deletion/insertion curve minus one. */
  readonly steps: number;
  /** Images (from the first) that also get deletion/insertion curves. */
  readonly curveImages: number;
  readonly log: (line: string) => void;
}

export interface Row {
  readonly method: string;
  readonly label: string;
  readonly box?: BoxKind;
  readonly top1Loc?: number;
  readonly gtKnownLoc?: number;
  readonly pointing?: number;
  readonly deletion: number;
  readonly insertion: number;
  /** Mean milliseconds per explanation of the first class asked for: the method's own work (occlusion's forwards included), not the forward pass every method shares. */
  readonly msPerExplanation: number;
  /** Threshold boxes only: GT-known localization at each fraction of the sweep (chosen on the test set: an upper bound). */
  readonly sweep?: Record<string, number>;
}

/**
 * Fractions of the map's maximum tried for the threshold box, besides the fixed 0.2: a method whose maps
 * sit on a raised floor (CAM's) is not judged by one threshold alone (cf. Choe et al., CVPR 2020, MaxBoxAcc).
 */
export const sweepFractions = [0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8] as const;

/** The map at full resolution as a step-1 HeatMap, so the sweep's boxes read it without interpolation. */
function flatHeat(heat: HeatMap): HeatMap {
  if (heat.step === 1) return heat;
  return { ...heat, step: 1, gridWidth: heat.width, gridHeight: heat.height, grid: fullResolution(heat) };
}

export interface FmnistResult {
  readonly model: string;
  readonly images: number;
  readonly curveImages: number;
  readonly accuracy: number;
  readonly skipped: Record<string, string>;
  readonly rows: Row[];
}

export class Tally {
  private sums = new Map<string, number>();
  private counts = new Map<string, number>();
  add(key: string, v: number): void {
    this.sums.set(key, (this.sums.get(key) ?? 0) + v);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  mean(key: string): number {
    const n = this.counts.get(key) ?? 0;
    return n ? this.sums.get(key)! / n : NaN;
  }
}

function curveInput(e: Explainer): CurveInput {
  const v = e.forward.values.get(e.spec.name)!;
  const data = v.data as Float32Array | Uint8Array;
  const [h, w] = e.spec.layout === 'NCHW' ? [v.dims[2], v.dims[3]] : [v.dims[1], v.dims[2]];
  // RISE blurs 224-px inputs with sigma 5; the same fraction of the side here.
  return { dims: v.dims, data, layout: e.spec.layout, blurred: blurInput(data, v.dims, e.spec.layout, Math.max(1, (5 / 224) * Math.min(h, w))) };
}

export function available(methods: readonly EvalMethod[], e: Explainer, skipped: Record<string, string>): EvalMethod[] {
  return methods.filter((m) => {
    const why = m.unavailable(e);
    if (why) skipped[m.id] = why;
    return !why;
  });
}

/** Canvas i of a Fashion-MNIST set, with its forward pass (the model's own `unit` preset). */
export async function canvasExplainer(modelPath: string, set: Canvases, i: number, name: string): Promise<Explainer> {
  const png = await encodePng(set.size, set.size, canvasRgba(set, i));
  return Explainer.create(modelPath, { imageBytes: png, label: `${name} #${i}` }, { labels: set.classes });
}

function progress(log: (line: string) => void, modelPath: string, i: number, count: number, started: number): void {
  if ((i + 1) % 100 === 0 || i + 1 === count) log(`  ${path.basename(modelPath)}: ${i + 1}/${count} images, ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

export async function runFmnist(modelPath: string, bench: Benchmark, o: RunOptions): Promise<FmnistResult> {
  const t = new Tally();
  const runner = await batchRunner(modelPath);
  const skipped: Record<string, string> = {};
  let methods: EvalMethod[] | undefined;
  // The centre baseline's box: the benchmark's mean box size (a prior no real method gets to see).
  const mean = (f: (b: readonly number[]) => number) => Math.round(bench.boxes.reduce((s, b) => s + f(b), 0) / bench.boxes.length);
  const priorSize = [mean((b) => b[2] - b[0] + 1), mean((b) => b[3] - b[1] + 1)] as const;
  let right = 0;
  const started = performance.now();
  for (let i = 0; i < bench.count; i++) {
    const e = await canvasExplainer(modelPath, bench, i, 'fmnist-loc');
    methods ??= available(evalMethods, e, skipped);
    const truth = bench.boxes[i];
    const gt = bench.labels[i];
    const pred = e.predictions(1)[0].index;
    if (pred === gt) right++;
    const input = i < o.curveImages ? curveInput(e) : undefined;
    for (const m of methods) {
      const forPred = await m.run({ explainer: e, seed: i, priorSize }, pred);
      const forGt = pred === gt ? forPred : await m.run({ explainer: e, seed: i, priorSize }, gt);
      t.add(`${m.id}:ms`, forPred.ms);
      for (const b of m.boxes) {
        t.add(`${m.id}:${b}:top1`, pred === gt && located(forPred.boxes[b] ?? null, truth) ? 1 : 0);
        t.add(`${m.id}:${b}:gt`, located(forGt.boxes[b] ?? null, truth) ? 1 : 0);
      }
      t.add(`${m.id}:pointing`, pointingHit(forGt.heat, truth) ? 1 : 0);
      if (m.boxes.includes('threshold')) {
        const flat = flatHeat(forGt.heat);
        for (const f of sweepFractions) t.add(`${m.id}:sweep:${f}`, located(thresholdBox(flat, f), truth) ? 1 : 0);
      }
      if (input) {
        const order = salientOrder(saliencyOnInput(forPred.heat, e.map), i + 1);
        const c = await deletionInsertion(runner, input, order, pred, o.steps);
        t.add(`${m.id}:deletion`, auc(c.deletion));
        t.add(`${m.id}:insertion`, auc(c.insertion));
      }
    }
    progress(o.log, modelPath, i, bench.count, started);
  }
  const rows: Row[] = [];
  for (const m of methods ?? []) {
    for (const b of m.boxes) {
      rows.push({
        method: m.id,
        label: m.label,
        box: b,
        top1Loc: t.mean(`${m.id}:${b}:top1`),
        gtKnownLoc: t.mean(`${m.id}:${b}:gt`),
        pointing: t.mean(`${m.id}:pointing`),
        deletion: t.mean(`${m.id}:deletion`),
        insertion: t.mean(`${m.id}:insertion`),
        msPerExplanation: t.mean(`${m.id}:ms`),
        ...(b === 'threshold' ? { sweep: Object.fromEntries(sweepFractions.map((f) => [String(f), t.mean(`${m.id}:sweep:${f}`)])) } : {}),
      });
    }
  }
  return { model: modelPath, images: bench.count, curveImages: Math.min(o.curveImages, bench.count), accuracy: right / bench.count, skipped, rows };
}

export interface TwoObjectRow {
  readonly method: string;
  readonly label: string;
  /** Discriminative pointing game: A's map peaks inside A's box and B's inside B's. */
  readonly pointingBoth: number;
  /** The same on the canvases whose top-2 predictions are the two classes. */
  readonly pointingBothTop2: number;
  /** Single pointing hits (either class), for reference. */
  readonly pointingEach: number;
  /** CNN Fixations: the share of the class's fixation mass (all points, before outlier removal) in its own box and in the other's. */
  readonly massOwn?: number;
  readonly massOther?: number;
  /** The share of the map (full resolution) in its own box and in the other's. */
  readonly shareOwn: number;
  readonly shareOther: number;
}

export interface TwoObjectResult {
  readonly model: string;
  readonly images: number;
  /** The top-1 prediction is one of the two classes. */
  readonly top1InPair: number;
  /** The top-2 predictions are the two classes. */
  readonly top2IsPair: number;
  readonly skipped: Record<string, string>;
  readonly rows: TwoObjectRow[];
}

/** Both objects' classes on every two-object canvas, each explained (versus: against the other). */
export async function runTwoObjects(modelPath: string, two: TwoObjectBenchmark, o: Pick<RunOptions, 'log'>): Promise<TwoObjectResult> {
  const t = new Tally();
  const skipped: Record<string, string> = {};
  let methods: EvalMethod[] | undefined;
  let top1 = 0, top2 = 0;
  const started = performance.now();
  for (let i = 0; i < two.count; i++) {
    const e = await canvasExplainer(modelPath, two, i, 'fmnist-two');
    methods ??= available(twoObjectMethods, e, skipped);
    const labels = two.labels[i], boxes = two.boxes[i];
    const pred = e.predictions(2).map((p) => p.index);
    if (labels.includes(pred[0])) top1++;
    const pairTop = labels.every((k) => pred.includes(k));
    if (pairTop) top2++;
    for (const m of methods) {
      let both = 1;
      for (const c of [0, 1]) {
        const own = { boxes: [boxes[c]] }, other = { boxes: [boxes[1 - c]] };
        const r = await m.run({ explainer: e, seed: i, rival: labels[1 - c] }, labels[c]);
        const hit = pointingHit(r.heat, boxes[c]) ? 1 : 0;
        both *= hit;
        t.add(`${m.id}:each`, hit);
        const [so, sx] = mapShareIn(r.heat, [own, other]);
        t.add(`${m.id}:shareOwn`, so);
        t.add(`${m.id}:shareOther`, sx);
        if (r.explanation) {
          const [mo, mx] = massIn(r.explanation.json.points, r.explanation.json.pointWeights, [own, other]);
          t.add(`${m.id}:massOwn`, mo);
          t.add(`${m.id}:massOther`, mx);
        }
      }
      t.add(`${m.id}:both`, both);
      if (pairTop) t.add(`${m.id}:bothTop2`, both);
    }
    progress(o.log, modelPath, i, two.count, started);
  }
  const rows: TwoObjectRow[] = (methods ?? []).map((m) => {
    const mass = t.mean(`${m.id}:massOwn`);
    return {
      method: m.id,
      label: m.label,
      pointingBoth: t.mean(`${m.id}:both`),
      pointingBothTop2: t.mean(`${m.id}:bothTop2`),
      pointingEach: t.mean(`${m.id}:each`),
      ...(Number.isNaN(mass) ? {} : { massOwn: mass, massOther: t.mean(`${m.id}:massOther`) }),
      shareOwn: t.mean(`${m.id}:shareOwn`),
      shareOther: t.mean(`${m.id}:shareOther`),
    };
  });
  return { model: modelPath, images: two.count, top1InPair: top1 / two.count, top2IsPair: top2 / two.count, skipped, rows };
}

export interface PhotoResult {
  readonly photo: string;
  readonly predicted: { readonly index: number; readonly label: string; readonly score: number };
  readonly deletion: Record<string, number>;
  readonly insertion: Record<string, number>;
}

export interface ImagenetResult {
  readonly model: string;
  readonly skipped: Record<string, string>;
  readonly rows: Row[];
  readonly photos: PhotoResult[];
}

/** Explainers of photos for one model (imagenet preset), each made once: the deletion/insertion run and the photo study share them. */
export type PhotoExplainers = (photo: string) => Promise<Explainer>;
export function photoExplainers(modelPath: string): PhotoExplainers {
  const made = new Map<string, Promise<Explainer>>();
  return (photo) => {
    if (!made.has(photo)) made.set(photo, Explainer.create(modelPath, { image: photo }, { preset: 'imagenet' }));
    return made.get(photo)!;
  };
}

export async function runImagenet(modelPath: string, photos: readonly string[], o: RunOptions, explainers = photoExplainers(modelPath)): Promise<ImagenetResult> {
  const t = new Tally();
  const runner = await batchRunner(modelPath);
  const skipped: Record<string, string> = {};
  let methods: EvalMethod[] | undefined;
  const perPhoto: PhotoResult[] = [];
  for (const [i, photo] of photos.entries()) {
    const e = await explainers(photo);
    methods ??= available(evalMethods, e, skipped);
    const top = e.predictions(1)[0];
    const input = curveInput(e);
    const r: PhotoResult = { photo: path.basename(photo), predicted: top, deletion: {}, insertion: {} };
    for (const m of methods) {
      const x = await m.run({ explainer: e, seed: i }, top.index);
      const order = salientOrder(saliencyOnInput(x.heat, e.map), i + 1);
      const c = await deletionInsertion(runner, input, order, top.index, o.steps);
      r.deletion[m.id] = auc(c.deletion);
      r.insertion[m.id] = auc(c.insertion);
      t.add(`${m.id}:deletion`, r.deletion[m.id]);
      t.add(`${m.id}:insertion`, r.insertion[m.id]);
      t.add(`${m.id}:ms`, x.ms);
    }
    perPhoto.push(r);
    o.log(`  ${path.basename(modelPath)}: ${path.basename(photo)} → ${top.label.split(',')[0]} (${(top.score * 100).toFixed(1)}%)`);
  }
  const rows: Row[] = (methods ?? []).map((m) => ({
    method: m.id,
    label: m.label,
    deletion: t.mean(`${m.id}:deletion`),
    insertion: t.mean(`${m.id}:insertion`),
    msPerExplanation: t.mean(`${m.id}:ms`),
  }));
  return { model: modelPath, skipped, rows, photos: perPhoto };
}
