// The methods under comparison, each turning (explainer, class) into a heat map and its boxes: CNN
// Fixations in its modes (paper, weighted, discriminative, and versus the other object's class where
// there is one) × its three conv modes, CAM, occlusion, and two baselines that look at nothing (a centred
// Gaussian with a centred box, and as many random points as CNN Fixations finds, run through the same
// outlier / density / box steps).
import { camHead, explainWithMethod } from '../baselines/index';
import type { ExplainMode, Explainer, Explanation } from '../explain';
import { pointsBox, thresholdBox, type Box } from '../heatmap/box';
import { defaultSigma, densityMap, type HeatMap } from '../heatmap/density';
import { removeOutliers, type Point } from '../heatmap/outliers';
import type { ConvMode } from '../unravel/types';
import { seededRandom } from './metrics';

/**
 * points: tight box around the kept points; threshold: largest region ≥ 20% of the map's max; count (modes
 * with masses): the same on the kept points' density with every point counting 1, as the paper's map does;
 * prior: a fixed centred box.
 */
export type BoxKind = 'points' | 'threshold' | 'count' | 'prior';

export interface MapResult {
  readonly heat: HeatMap;
  readonly boxes: Partial<Record<BoxKind, Box | null>>;
  readonly ms: number;
  /** CNN Fixations only: the explanation (points, masses, input fixations). */
  readonly explanation?: Explanation;
}

export interface ImageContext {
  readonly explainer: Explainer;
  /** Seeds the random baseline: the same points for an image on every run. */
  readonly seed: number;
  /** [width, height] of the centre baseline's box, or none where no boxes are scored. */
  readonly priorSize?: readonly [number, number];
  /** The class the `versus` methods explain against (the other object's), where there is one. */
  readonly rival?: number;
}

export interface EvalMethod {
  readonly id: string;
  readonly label: string;
  readonly boxes: readonly BoxKind[];
  /** Why the method cannot run on this model, or undefined when it can. */
  unavailable(explainer: Explainer): string | undefined;
  run(ctx: ImageContext, k: number): Promise<MapResult>;
}

/** Boxes computed on first use (the photo study reads none). */
function lazyBoxes(make: Partial<Record<BoxKind, () => Box | null>>): Partial<Record<BoxKind, Box | null>> {
  const boxes: Partial<Record<BoxKind, Box | null>> = {};
  for (const [kind, f] of Object.entries(make) as [BoxKind, () => Box | null][]) {
    let box: Box | null | undefined;
    Object.defineProperty(boxes, kind, { enumerable: true, get: () => (box === undefined ? (box = f()) : box) });
  }
  return boxes;
}

/** paper, weighted, discriminative: the explainer's modes; versus: masses, the class against ctx.rival. */
export type FixationMode = ExplainMode | 'versus';
export const fixationModes: readonly FixationMode[] = ['paper', 'weighted', 'discriminative', 'versus'];
// The conv modes: contribution (the tap whose activation × weight contributed most), center (the authors'
// generic code: the stride-scaled position, no search in the window) and activation (the largest input
// activation: contribution without the weight). All are cheap, so all are scored.
export const convModes: readonly ConvMode[] = ['contribution', 'center', 'activation'];

export const fixationsId = (mode: FixationMode, conv: ConvMode) => `fixations-${mode}-${conv}`;

export function fixations(mode: FixationMode, conv: ConvMode): EvalMethod {
  return {
    id: fixationsId(mode, conv),
    label: `CNN Fixations ${mode === 'versus' ? 'versus B' : mode} (${conv})`,
    boxes: mode === 'paper' ? ['points', 'threshold'] : ['points', 'threshold', 'count'],
    unavailable: () => undefined,
    async run({ explainer, rival }, k) {
      if (mode === 'versus' && rival === undefined) throw new Error('versus needs the class to explain against (ctx.rival)');
      const t0 = performance.now();
      const x = mode === 'versus' ? explainer.explain(k, { convMode: conv, boxMode: 'points', versus: rival }) : explainer.explain(k, { mode, convMode: conv, boxMode: 'points' });
      const ms = performance.now() - t0;
      const { width: w, height: h } = explainer.picture;
      const boxes = lazyBoxes({
        points: () => x.box,
        threshold: () => thresholdBox(x.heat),
        count: () => thresholdBox(densityMap(x.keptPoints, w, h, x.heat.sigma)),
      });
      return { heat: x.heat, boxes, ms, explanation: x };
    },
  };
}

const fixationMethods = (modes: readonly FixationMode[]) => modes.flatMap((m) => convModes.map((c) => fixations(m, c)));

const baselines: readonly EvalMethod[] = [
  {
    id: 'cam',
    label: 'CAM',
    boxes: ['threshold'],
    unavailable(explainer) {
      try {
        camHead(explainer);
        return undefined;
      } catch (e) {
        return (e as Error).message;
      }
    },
    async run({ explainer }, k) {
      const t0 = performance.now();
      const x = await explainWithMethod(explainer, 'cam', k);
      return { heat: x.heat, boxes: { threshold: x.box }, ms: performance.now() - t0 };
    },
  },
  {
    id: 'occlusion',
    label: 'Occlusion',
    boxes: ['threshold'],
    unavailable: () => undefined,
    async run({ explainer }, k) {
      const t0 = performance.now();
      const x = await explainWithMethod(explainer, 'occlusion', k);
      return { heat: x.heat, boxes: { threshold: x.box }, ms: performance.now() - t0 };
    },
  },
  {
    id: 'centre',
    label: 'Centre baseline',
    boxes: ['prior'],
    unavailable: () => undefined,
    async run({ explainer, priorSize }) {
      const t0 = performance.now();
      const { width: w, height: h } = explainer.picture;
      const cx = Math.round((w - 1) / 2), cy = Math.round((h - 1) / 2);
      const heat = densityMap([[cx, cy]], w, h, Math.min(w, h) / 4);
      let prior: Box | null = null;
      if (priorSize) {
        const [bw, bh] = priorSize;
        const x0 = Math.round((w - bw) / 2), y0 = Math.round((h - bh) / 2);
        prior = [x0, y0, x0 + bw - 1, y0 + bh - 1];
      }
      return { heat, boxes: { prior }, ms: performance.now() - t0 };
    },
  },
  {
    id: 'random',
    label: 'Random points',
    boxes: ['points', 'threshold'],
    unavailable: () => undefined,
    async run({ explainer, seed }, k) {
      // As many points as CNN Fixations (paper, contribution) finds for this image and class (12 on average on
      // fmnist-gap, ~100 on MobileNetV2), thrown uniformly: the control for "points anywhere".
      const count = Math.max(1, explainer.explain(k, { mode: 'paper', convMode: 'contribution' }).json.points.length);
      const t0 = performance.now();
      const { width: w, height: h } = explainer.picture;
      const rnd = seededRandom(seed * 1009 + k);
      const pts: Point[] = Array.from({ length: count }, () => [Math.floor(rnd() * w), Math.floor(rnd() * h)] as const);
      const kept = removeOutliers(pts, w, h);
      const heat = densityMap(kept, w, h, defaultSigma(w, h));
      return { heat, boxes: { points: pointsBox(kept), threshold: thresholdBox(heat) }, ms: performance.now() - t0 };
    },
  },
];

/** The one-item benchmark's and the photos' methods: CNN Fixations paper, weighted, discriminative × conv modes, then the baselines. */
export const evalMethods: readonly EvalMethod[] = [...fixationMethods(['paper', 'weighted', 'discriminative']), ...baselines];

/** The two-object benchmark's: also versus (each object's class against the other's). */
export const twoObjectMethods: readonly EvalMethod[] = [...fixationMethods(fixationModes), ...baselines];
