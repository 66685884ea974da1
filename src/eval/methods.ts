// The methods under comparison, each turning (explainer, class) into a heat map and its boxes: CNN
// Fixations in its three conv modes, CAM, occlusion, and two baselines that look at nothing (a centred
// Gaussian with a centred box, and as many random points as CNN Fixations finds, run through the same
// outlier / density / box steps).
import { camHead, explainWithMethod } from '../baselines/index';
import type { Explainer } from '../explain';
import { pointsBox, thresholdBox, type Box } from '../heatmap/box';
import { defaultSigma, densityMap, type HeatMap } from '../heatmap/density';
import { removeOutliers, type Point } from '../heatmap/outliers';
import type { ConvMode } from '../unravel/types';
import { seededRandom } from './metrics';

/** points: tight box around the kept points; threshold: largest region ≥ 20% of the map's max; prior: a fixed centred box. */
export type BoxKind = 'points' | 'threshold' | 'prior';

export interface MapResult {
  readonly heat: HeatMap;
  readonly boxes: Partial<Record<BoxKind, Box | null>>;
  readonly ms: number;
}

export interface ImageContext {
  readonly explainer: Explainer;
  /** Seeds the random baseline: the same points for an image on every run. */
  readonly seed: number;
  /** [width, height] of the centre baseline's box, or none where no boxes are scored. */
  readonly priorSize?: readonly [number, number];
}

export interface EvalMethod {
  readonly id: string;
  readonly label: string;
  readonly boxes: readonly BoxKind[];
  /** Why the method cannot run on this model, or undefined when it can. */
  unavailable(explainer: Explainer): string | undefined;
  run(ctx: ImageContext, k: number): Promise<MapResult>;
}

function fixations(mode: ConvMode): EvalMethod {
  return {
    id: `fixations-${mode}`,
    label: `CNN Fixations (${mode})`,
    boxes: ['points', 'threshold'],
    unavailable: () => undefined,
    async run({ explainer }, k) {
      const t0 = performance.now();
      const x = explainer.explain(k, { convMode: mode, boxMode: 'points' });
      const ms = performance.now() - t0;
      return { heat: x.heat, boxes: { points: x.box, threshold: thresholdBox(x.heat) }, ms };
    },
  };
}

// The conv modes: contribution (the default: the tap whose activation × weight contributed most), center
// (the authors' generic code: the stride-scaled position, no search in the window) and activation (the
// largest input activation: contribution without the weight). All three are cheap, so all are scored.
export const evalMethods: readonly EvalMethod[] = [
  fixations('contribution'),
  fixations('center'),
  fixations('activation'),
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
      // As many points as CNN Fixations (default mode) finds for this image and class (12 on average on
      // fmnist-gap, ~100 on MobileNetV2), thrown uniformly: the control for "points anywhere".
      const count = Math.max(1, explainer.explain(k).json.points.length);
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
