// summary.json: what a sweep found, from its lines alone. Counts, top-1 and top-5 accuracy, per-class
// accuracy, the confusion matrix (sparse), the most frequent confusions, the most confident mistakes and the
// images that could not be explained. Pure and independent of the lines' order, so a merge of shards gives
// the very summary of an unsharded run.
import type { ClassRef, SweepLine, SweepMeta } from './record';

/** Mistakes listed (and shown with their maps in the report): the most confident first. */
export const MISTAKES_LISTED = 100;
const CONFUSIONS_LISTED = 20;
const ERRORS_LISTED = 100;

export interface Mistake {
  readonly path: string;
  readonly expected: ClassRef;
  readonly predicted: ClassRef;
  /** The predicted class's probability. */
  readonly confidence: number;
  readonly expectedScore: number;
  readonly expectedRank: number;
}

export interface SweepSummary {
  readonly version: 1;
  readonly model: SweepMeta['model'];
  readonly dataset: SweepMeta['dataset'];
  readonly options: SweepMeta['options'];
  readonly classCount: number;
  readonly counts: {
    readonly images: number;
    /** Images with an expected class (accuracy is over those explained). */
    readonly labelled: number;
    readonly unlabelled: number;
    /** Images that could not be read or explained. */
    readonly errors: number;
    readonly correct: number;
    readonly wrong: number;
  };
  /** Over the labelled images explained; null when there are none. */
  readonly accuracy: { readonly top1: number | null; readonly top5: number | null };
  /** Classes with labelled images explained, by index: how many, how many right, and how often the model said the class. */
  readonly perClass: readonly {
    readonly class: ClassRef;
    readonly images: number;
    readonly correct: number;
    readonly accuracy: number;
    readonly predicted: number;
  }[];
  /** Every (expected, predicted) pair seen, with its count, diagonal included; by expected then predicted index. */
  readonly confusion: readonly { readonly expected: number; readonly predicted: number; readonly count: number }[];
  /** The most frequent confusions: share is of the expected class's images. */
  readonly confusions: readonly { readonly expected: ClassRef; readonly predicted: ClassRef; readonly count: number; readonly share: number }[];
  readonly mistakes: readonly Mistake[];
  readonly errors: readonly { readonly path: string; readonly error: string }[];
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

export function summarize(lines: readonly SweepLine[], meta: SweepMeta): SweepSummary {
  const label = (k: number): ClassRef => ({ index: k, label: meta.labels?.[k] ?? String(k) });
  const explained = lines.filter((l) => !l.error && l.predictions?.length);
  const labelled = explained.filter((l) => l.expected);
  const correct = labelled.filter((l) => l.correct).length;
  const top5 = labelled.filter((l) => (l.expectedRank ?? Infinity) <= 5).length;
  const pairs = new Map<string, { expected: number; predicted: number; count: number }>();
  const perClass = new Map<number, { images: number; correct: number; predicted: number }>();
  const classOf = (k: number) => perClass.get(k) ?? perClass.set(k, { images: 0, correct: 0, predicted: 0 }).get(k)!;
  for (const l of labelled) {
    const e = l.expected!.index,
      p = l.predictions![0].index;
    const key = `${e},${p}`;
    const pair = pairs.get(key) ?? pairs.set(key, { expected: e, predicted: p, count: 0 }).get(key)!;
    pair.count++;
    classOf(e).images++;
    if (l.correct) classOf(e).correct++;
    classOf(p).predicted++;
  }
  const confusion = [...pairs.values()].sort((a, b) => a.expected - b.expected || a.predicted - b.predicted);
  const confusions = confusion
    .filter((c) => c.expected !== c.predicted)
    .sort((a, b) => b.count - a.count || a.expected - b.expected || a.predicted - b.predicted)
    .slice(0, CONFUSIONS_LISTED)
    .map((c) => ({ expected: label(c.expected), predicted: label(c.predicted), count: c.count, share: c.count / classOf(c.expected).images }));
  const mistakes = labelled
    .filter((l) => !l.correct)
    .map((l): Mistake => ({
      path: l.path,
      expected: l.expected!,
      predicted: l.predictions![0],
      confidence: l.predictions![0].score,
      expectedScore: l.expectedScore!,
      expectedRank: l.expectedRank!,
    }))
    .map((m) => ({ ...m, predicted: { index: m.predicted.index, label: m.predicted.label } }))
    .sort((a, b) => b.confidence - a.confidence || byPath(a, b))
    .slice(0, MISTAKES_LISTED);
  const errors = lines.filter((l) => l.error);
  return {
    version: 1,
    model: meta.model,
    dataset: meta.dataset,
    options: meta.options,
    classCount: meta.classCount,
    counts: {
      images: lines.length,
      labelled: lines.filter((l) => l.expected).length,
      unlabelled: lines.filter((l) => !l.expected).length,
      errors: errors.length,
      correct,
      wrong: labelled.length - correct,
    },
    accuracy: { top1: labelled.length ? correct / labelled.length : null, top5: labelled.length ? top5 / labelled.length : null },
    perClass: [...perClass]
      .filter(([, c]) => c.images > 0)
      .sort(([a], [b]) => a - b)
      .map(([k, c]) => ({ class: label(k), images: c.images, correct: c.correct, accuracy: c.correct / c.images, predicted: c.predicted })),
    confusion,
    confusions,
    mistakes,
    errors: errors
      .map((l) => ({ path: l.path, error: l.error! }))
      .sort(byPath)
      .slice(0, ERRORS_LISTED),
  };
}
