// The explanation as JSON: the CLI's --json output, the webview's data and the HTML report all use this
// one versioned contract. Coordinates: inputFixations are [c, y, x] in the model-input tensor (batch
// dropped); points, keptPoints and box are original-image pixels.

export const RESULT_VERSION = 1;

export interface Prediction {
  readonly index: number;
  readonly label: string;
  /** Probability (softmax of the logits, or the model's own if it ends in Softmax). */
  readonly score: number;
}

export interface LayerJson {
  readonly node: string;
  readonly op: string;
  readonly tensor: string;
  readonly shape: readonly number[];
  readonly count: number;
  readonly notes?: readonly string[];
}

export interface Timings {
  readonly loadMs: number;
  readonly preprocessMs: number;
  readonly inferenceMs: number;
  readonly unravelMs: number;
  readonly heatmapMs: number;
}

export interface ExplanationJson {
  readonly version: typeof RESULT_VERSION;
  readonly model: { readonly path: string; readonly input: { readonly name: string; readonly shape: readonly number[] } };
  readonly predictions: readonly Prediction[];
  readonly target: { readonly index: number; readonly label: string };
  readonly layers: readonly LayerJson[];
  readonly inputFixations: readonly (readonly [number, number, number])[];
  readonly points: readonly (readonly [number, number])[];
  readonly keptPoints: readonly (readonly [number, number])[];
  readonly box: readonly [number, number, number, number] | null;
  readonly timings: Timings;
  readonly settings: {
    readonly preset: string;
    /**
     * paper (the paper's method: every fixation counts 1), weighted (masses), discriminative (masses, the class
     * against the rest), or versus (masses, the class against class `versus`).
     */
    readonly mode: string;
    /** The class explained against (mode versus), else null. */
    readonly versus: number | null;
    readonly versusLabel?: string;
    readonly convMode: string;
    readonly flattenMode: string;
    readonly sigma: number;
    readonly boxMode: string;
    /** 'single', or the five-crop protocol with the views traced. */
    readonly views?: string;
    /**
     * How the map was made: 'fixations' (CNN Fixations; absent means this), or a gradient-free baseline,
     * 'cam' or 'occlusion', which have no points (empty lists, sigma 0, threshold box).
     */
    readonly method?: 'fixations' | 'cam' | 'occlusion';
  };
  readonly image: { readonly path: string; readonly width: number; readonly height: number };
  // Added in version 1 (docs/ALGORITHM.md, "Masses" and "Class contrasts"):
  /** One per entry of inputFixations: its share of the target's mass (sum 1; uniform in mode paper). */
  readonly inputFixationWeights: readonly number[];
  /** One per entry of points, same order: the mass of that point's input fixation (sum 1; uniform in mode paper). */
  readonly pointWeights: readonly number[];
  /** One per entry of keptPoints: the same masses as in pointWeights (their sum says how much outlier removal kept). */
  readonly keptPointWeights: readonly number[];
  /** The heat map's maximum in original-image pixels, or null when the map is empty. */
  readonly peak: readonly [number, number] | null;
  /** What does not stop the run but should be checked (a labels file that does not fit the model); absent when none. */
  readonly warnings?: readonly string[];
}
