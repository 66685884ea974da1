// What a sweep writes, as types: one line of results.jsonl per image, the run's description (sweep.json,
// what --resume and merge check a folder of results against), and the explanation summary a line carries
// for each map (enough to draw it again: the kept points, their masses and the heat map's sigma).
// Types and pure shaping only: the workers, the coordinator, the report and the extension host share them.
import type { Prediction } from '../shared/result';
import type { RunOptions } from '../shared/settings';

export const SWEEP_VERSION = 1;

/** A class by index and name. */
export interface ClassRef {
  readonly index: number;
  readonly label: string;
}

/** One map of a line: a class's explanation, summed up. */
export interface MapSummary {
  readonly class: ClassRef;
  /** paper, weighted, discriminative, or versus (then `versus` is the class explained against). */
  readonly mode: string;
  readonly versus: ClassRef | null;
  readonly box: readonly [number, number, number, number] | null;
  readonly peak: readonly [number, number] | null;
  /** Input fixations, points in the image, points kept after outlier removal. */
  readonly fixations: number;
  readonly points: number;
  readonly kept: number;
  /** The share of the class's mass on the kept points (1 in mode paper). */
  readonly keptMass: number;
  readonly keptPoints: readonly (readonly [number, number])[];
  /** One per kept point, its mass (6 significant digits). */
  readonly keptWeights: readonly number[];
  /** The heat map's sigma in image pixels. */
  readonly sigma: number;
}

export interface LineTimings {
  /** Reading the file and its digest. */
  readonly readMs: number;
  /** Decode, preprocess and the forward pass. */
  readonly forwardMs: number;
  /** The walks and heat maps of every map of the line. */
  readonly explainMs: number;
  readonly totalMs: number;
}

/** One line of results.jsonl: an image, what the model said of it and why. */
export interface SweepLine {
  /** Relative to the swept folder, '/' separated. */
  readonly path: string;
  /** Of the file's bytes; null when it could not be read. */
  readonly sha256: string | null;
  readonly expected: ClassRef | null;
  /** Set when the image could not be explained: what went wrong; the other fields below are then absent. */
  readonly error?: string;
  readonly image?: { readonly width: number; readonly height: number };
  /** The top-k predictions (the run's --top). */
  readonly predictions?: readonly Prediction[];
  /** The expected class's probability and rank among all classes (1 = top-1), when there is an expected class. */
  readonly expectedScore?: number;
  readonly expectedRank?: number;
  /** Top-1 is the expected class; null without one. */
  readonly correct: boolean | null;
  /** The predicted class's explanation in the run's mode. */
  readonly predicted?: MapSummary;
  /** A mistake: the predicted class rather than the expected one. */
  readonly versus?: MapSummary;
  /** A mistake: the expected class's own map. */
  readonly expectedMap?: MapSummary;
  readonly timings?: LineTimings;
}

/** sweep.json: what a folder of results is of. A resume and a merge must agree on all of it but the shard. */
export interface SweepMeta {
  readonly version: typeof SWEEP_VERSION;
  readonly model: { readonly path: string; readonly sha256: string };
  readonly dataset: { readonly root: string; readonly manifest: string | null };
  /** The class names the labels came from (the labels file, ImageNet's for 1000 classes), or null: indices. */
  readonly labels: readonly string[] | null;
  readonly classCount: number;
  /** The run's options, without the labels (above). */
  readonly options: Omit<RunOptions, 'labels'>;
  /** Shards: this run's, or every one a merge joined (sorted). */
  readonly shards: readonly Shard[] | null;
}

export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Rounds a mass for the results file: six significant digits keep the maps, and the file small. */
export const roundMass = (m: number): number => (m === 0 ? 0 : Number(m.toPrecision(6)));

/** The rank of class `k` among the probabilities (1 = top-1), ties to the lower index, as topK orders them. */
export function rankOf(probs: ArrayLike<number>, k: number): number {
  let rank = 1;
  for (let j = 0; j < probs.length; j++) if (probs[j] > probs[k] || (probs[j] === probs[k] && j < k)) rank++;
  return rank;
}
