// One image of a sweep, explained: read it once (its bytes give both the digest and the picture), one
// forward pass, the predicted class's map in the run's mode and, when the model is wrong, why the predicted
// class rather than the expected one (mode versus) and the expected class's own map, all from that pass.
// The pictures of the mistakes the report lists are drawn at the end (run.ts), once the list is known.
// What cannot be read or explained becomes a line with its error; the sweep goes on.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Explainer, type Explanation, type ExplainOptions } from '../explain';
import { toFailure } from '../engine/failure';
import type { SessionCache } from '../runtime/session';
import type { SweepItem } from './dataset';
import { rankOf, roundMass, type MapSummary, type SweepLine } from './record';

const ref = (e: Explainer, k: number) => ({ index: k, label: e.label(k) });

/** A map of the line, from an explanation. */
export function mapSummary(e: Explainer, x: Explanation): MapSummary {
  const r = x.json;
  return {
    class: r.target,
    mode: r.settings.mode,
    versus: r.settings.versus === null ? null : ref(e, r.settings.versus),
    box: r.box,
    peak: r.peak,
    fixations: r.inputFixations.length,
    points: r.points.length,
    kept: r.keptPoints.length,
    keptMass: roundMass(r.keptPointWeights.reduce((a, b) => a + b, 0)),
    keptPoints: r.keptPoints,
    keptWeights: r.keptPointWeights.map(roundMass),
    sigma: r.settings.sigma,
  };
}

/** Failures that are the model's, not the image's: every image would fail the same way, so the sweep stops. */
export const fatalKinds: readonly string[] = ['model-file', 'input-spec'];

/** An image's line; `fatal` when its failure is the model's (fatalKinds). */
export interface ItemResult {
  readonly line: SweepLine;
  readonly fatal?: true;
}

export async function explainItem(model: string, item: SweepItem, options: ExplainOptions, cache: SessionCache): Promise<ItemResult> {
  const t0 = performance.now();
  const base = { path: item.rel, expected: item.expected, correct: null };
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(item.file);
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    return { line: { ...base, sha256: null, error: `cannot read ${item.rel}: ${why}` } };
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const t1 = performance.now();
  try {
    const e = await Explainer.create(model, { imageBytes: bytes, label: item.rel }, options, cache);
    const t2 = performance.now();
    const predicted = e.explain();
    const p = predicted.json.target.index;
    const k = item.expected?.index;
    if (k !== undefined && k >= e.classCount) throw new RangeError(`the expected class ${k} is out of range: the model has ${e.classCount} classes`);
    const wrong = k !== undefined && k !== p;
    // The contrast needs masses: in mode paper it is still made (versus is a mode of its own), the maps beside it stay paper's.
    const versus = wrong ? e.explain(p, { versus: k }) : undefined;
    const expectedMap = wrong ? e.explain(k) : undefined;
    const t3 = performance.now();
    const line: SweepLine = {
      ...base,
      sha256,
      image: { width: e.picture.width, height: e.picture.height },
      predictions: e.predictions(),
      ...(k !== undefined ? { expectedScore: e.probs[k], expectedRank: rankOf(e.probs, k) } : {}),
      correct: k === undefined ? null : !wrong,
      predicted: mapSummary(e, predicted),
      ...(versus ? { versus: mapSummary(e, versus) } : {}),
      ...(expectedMap ? { expectedMap: mapSummary(e, expectedMap) } : {}),
      timings: { readMs: t1 - t0, forwardMs: t2 - t1, explainMs: t3 - t2, totalMs: t3 - t0 },
    };
    return { line };
  } catch (e) {
    const f = toFailure(e);
    return { line: { ...base, sha256, error: f.message }, ...(fatalKinds.includes(f.kind) ? { fatal: true as const } : {}) };
  }
}
