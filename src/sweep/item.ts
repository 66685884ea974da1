// One image of a sweep, explained: read it once (its bytes give both the digest and the picture), one
// forward pass, the predicted class's map in the run's mode and, when the model is wrong, why the predicted
// class rather than the expected one (mode versus) and the expected class's own map, all from that pass,
// and the mistake's pictures for the report from the pixels already decoded (thumbnails.ts), when it can still
// be among the mistakes the report lists.
// What cannot be read or explained becomes a line with its error; the sweep goes on.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { Explainer, type Explanation, type ExplainOptions } from '../explain';
import { toFailure } from '../engine/failure';
import type { SessionCache } from '../runtime/session';
import type { SweepItem } from './dataset';
import type { Thumbnail } from '../report/sweep';
import { rankOf, roundMass, type MapSummary, type SweepLine } from './record';
import { drawMistake } from './thumbnails';

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

/**
 * The least of the mistakes the report lists so far, when they are as many as it lists (MISTAKES_LISTED): a
 * mistake ranked after it (less confident, or as confident with a later path) can never be listed, and is not
 * drawn. The bar only rises as the sweep goes on, so one sent with an image a little earlier is merely lower.
 */
export type ListedBar = { readonly confidence: number; readonly path: string } | null;

/** Whether a mistake of this confidence and path ranks before the bar (summary.ts orders the mistakes so). */
export const ranksBefore = (bar: ListedBar, confidence: number, path: string): boolean =>
  !bar || confidence > bar.confidence || (confidence === bar.confidence && path < bar.path);

/** An image's line, and a mistake's pictures; `fatal` when its failure is the model's (fatalKinds). */
export interface ItemResult {
  readonly line: SweepLine;
  readonly pictures?: Thumbnail;
  readonly fatal?: true;
}

export async function explainItem(model: string, item: SweepItem, options: ExplainOptions, cache: SessionCache, bar: ListedBar = null): Promise<ItemResult> {
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
    // Pictures that cannot be drawn here are drawn (or said why not) by the finishing step.
    const listable = wrong && ranksBefore(bar, line.predictions![0].score, line.path);
    const pictures = listable ? await drawMistake(e.picture, line).catch(() => undefined) : undefined;
    return { line, ...(pictures ? { pictures } : {}) };
  } catch (e) {
    const f = toFailure(e);
    return { line: { ...base, sha256, error: f.message }, ...(fatalKinds.includes(f.kind) ? { fatal: true as const } : {}) };
  }
}
