// One entry for every method, so the CLI and the eval harness ask for a map the same way: CNN Fixations
// (the explainer's own walk), CAM (GAP-head models) or occlusion (any model). All return the same
// Explanation structure; the baselines have no fixations or points and box the thresholded map.
import type { Explainer, Explanation } from '../explain';
import { batchRunner, forwardWithOutputs } from '../runtime/batch';
import { camMap, findCamHead, type CamHead } from './cam';
import { gridToHeat, mapExplanation, minMax, positivePart, targetClass, type Method } from './common';
import { occlusionMap, occlusionScores, type OcclusionOptions, type OcclusionScores } from './occlusion';

export { methods, type Method } from './common';

const heads = new WeakMap<object, CamHead>();
const occlusions = new WeakMap<object, Promise<OcclusionScores>>();

/** The CAM head of the explainer's model, found once per model. */
export function camHead(explainer: Explainer): CamHead {
  const key = explainer.model;
  let h = heads.get(key);
  if (!h) {
    h = findCamHead(explainer.model.model.graph, explainer.model.unraveler.constants, explainer.outputName);
    heads.set(key, h);
  }
  return h;
}

async function explainCam(explainer: Explainer, k: number): Promise<Explanation> {
  const t0 = performance.now();
  const head = camHead(explainer);
  let features = explainer.forward.values.get(head.features);
  if (!features) {
    // The walk did not keep the pooled maps (e.g. a QDQ model keeps them quantized): one more forward.
    const input = explainer.forward.values.get(explainer.spec.name)!;
    const feed = { name: explainer.spec.name, dims: input.dims, data: input.data as Float32Array | Uint8Array };
    features = (await forwardWithOutputs(explainer.model.model.path, feed, [head.features])).get(head.features)!;
  }
  const cam = camMap(head, features, k);
  // The CAM authors' normalization: (cam − min) / (max − min).
  const { values, flat } = minMax(cam.values);
  const t1 = performance.now();
  const heat = gridToHeat({ cols: cam.cols, rows: cam.rows, values }, explainer.map, flat);
  return mapExplanation(explainer, k, 'cam', heat, t1 - t0, performance.now() - t1);
}

/** The occluded forwards of this explainer's input, run once and kept for every class. */
export function occlusionOf(explainer: Explainer, o: OcclusionOptions = {}): Promise<OcclusionScores> {
  let s = occlusions.get(explainer);
  if (!s || o.patch !== undefined || o.stride !== undefined) {
    const input = explainer.forward.values.get(explainer.spec.name)!;
    s = batchRunner(explainer.model.model.path).then((r) =>
      occlusionScores(r, { dims: input.dims, data: input.data as Float32Array | Uint8Array }, explainer.spec.layout, o),
    );
    if (o.patch === undefined && o.stride === undefined) occlusions.set(explainer, s);
  }
  return s;
}

async function explainOcclusion(explainer: Explainer, k: number, o: OcclusionOptions = {}): Promise<Explanation> {
  const t0 = performance.now();
  const s = await occlusionOf(explainer, o);
  // Drops below zero (the patch made the class more likely) are not evidence for it.
  const { values, flat } = positivePart(occlusionMap(s, k));
  const t1 = performance.now();
  const heat = gridToHeat({ cols: s.width, rows: s.height, values }, explainer.map, flat);
  return mapExplanation(explainer, k, 'occlusion', heat, t1 - t0, performance.now() - t1);
}

/**
 * Explains class `classIndex` (default: the top-1) of the explainer's image with `method`. CNN Fixations
 * reuses the kept forward pass; CAM reads the pooled conv maps from it; occlusion runs its batched
 * forwards once per explainer and reuses them for any other class.
 */
export async function explainWithMethod(explainer: Explainer, method: Method, classIndex?: number, occlusion: OcclusionOptions = {}): Promise<Explanation> {
  const k = targetClass(explainer, classIndex);
  switch (method) {
    case 'fixations': {
      const x = explainer.explain(k);
      return { ...x, json: { ...x.json, settings: { ...x.json.settings, method: 'fixations' } } };
    }
    case 'cam':
      return explainCam(explainer, k);
    case 'occlusion':
      return explainOcclusion(explainer, k, occlusion);
    default: {
      const never: never = method;
      throw new Error(`unknown method '${String(never)}'; choose one of fixations, cam, occlusion`);
    }
  }
}
