// Messages between the extension host and the explanation engine (a child process that owns onnxruntime,
// jimp and the unravel walk). One interface per message, keyed by `type`; requests carry an `id` that the
// reply repeats. They cross the process boundary by structured clone (fork's 'advanced' serialization), so
// typed arrays (heat grids, image bytes, activation maps) travel as binary, not as JSON number lists.
// Types only: the host imports this file without pulling in the pipeline.
import type { OverlayOptions } from '../shared/overlay';
import type { ClassRequest, ExportKind, LayerDetail, PanelExplanation, ResultPayload, Side } from '../shared/protocol';
import type { MistakeThumbnails } from '../report/sweep';
import type { RunOptions } from '../shared/settings';
import type { SweepProgress } from '../sweep/run';
import type { SweepSummary } from '../sweep/summary';

/** What the engine has done since it started: lets callers (and tests) see that a class switch ran no inference. */
export interface EngineStats {
  readonly pid: number;
  /** Forward passes through a model (one per view of each opened image). */
  readonly forwardPasses: number;
  /** Extra runs that expose every tensor on the walk, for layer details (at most one per opened image). */
  readonly inspectionRuns: number;
  /** Sessions opened (a model file parsed and loaded into onnxruntime); a cached session does not count. */
  readonly sessionsOpened: number;
  /** Explanations held open (one per panel). */
  readonly handles: number;
}

// ---- host → engine ---------------------------------------------------------------------------------

/**
 * Run the model on the image (one forward pass, kept) and explain `main` (default: the top-1 with the run's
 * options), `compare` and `contrast` (default: none). Replaces what `handle` held. A class out of range fails
 * the request (a 'range' failure), as it does in an explain request.
 */
export interface OpenRequest {
  readonly type: 'open';
  readonly id: number;
  readonly handle: number;
  readonly modelPath: string;
  readonly imagePath: string;
  /** Plain data: it is cloned across. */
  readonly options: RunOptions;
  readonly main?: ClassRequest;
  readonly compare?: ClassRequest;
  readonly contrast?: ClassRequest;
}
/** Explain another class from the kept forward pass (no inference); `target` undefined clears a side other than main. */
export interface ExplainRequest {
  readonly type: 'explain';
  readonly id: number;
  readonly handle: number;
  readonly side: Side;
  readonly target: ClassRequest | undefined;
}
/** The drill-down of layer `layerIndex` of the main explanation (an inspection run, once, when its tensor was not kept). */
export interface LayerRequest {
  readonly type: 'layer';
  readonly id: number;
  readonly handle: number;
  readonly layerIndex: number;
  readonly channel?: number;
}
/** The bytes of an export of the main explanation; the host writes them where the user chose. */
export interface ExportRequest {
  readonly type: 'export';
  readonly id: number;
  readonly handle: number;
  readonly kind: ExportKind;
  readonly overlay: OverlayOptions;
}
/** Forget an explanation (its panel closed). */
export interface ReleaseRequest {
  readonly type: 'release';
  readonly id: number;
  readonly handle: number;
}
/**
 * Sweep a labelled folder (cnn-fixations sweep's run, on the engine's own pool of worker processes) into
 * `out`; progress events carry its line of figures. Results already in `out` are resumed when they are of the
 * same model, folder and options, else replaced. Cancelling kills the engine, and its workers with it.
 */
export interface SweepRequest {
  readonly type: 'sweep';
  readonly id: number;
  readonly modelPath: string;
  readonly dir: string;
  readonly out: string;
  readonly options: RunOptions;
  /** Worker processes; 0: one per core. */
  readonly jobs: number;
}
/** How the test-only crash request ends the engine: a native abort, V8's heap running out, or a loop that never answers. */
export type CrashKind = 'abort' | 'oom' | 'hang';

/** Tests only: the engine fails as `how` says (default abort), when its environment has CNN_FIXATIONS_ENGINE_TEST=1. */
export interface CrashRequest {
  readonly type: 'crash';
  readonly id: number;
  readonly how?: CrashKind;
}

export type EngineRequest = OpenRequest | ExplainRequest | LayerRequest | ExportRequest | ReleaseRequest | SweepRequest | CrashRequest;

// ---- engine → host ---------------------------------------------------------------------------------

export interface OpenedResponse extends ResultPayload {
  readonly type: 'opened';
  readonly id: number;
  /** The model's session was already open in the engine (no parse, no session creation). */
  readonly sessionCached: boolean;
  /** Forward passes this open ran. */
  readonly forwardPasses: number;
  /** Wall time of the whole open inside the engine (load, decode, inference, walks, heat maps, image bytes). */
  readonly engineMs: number;
  readonly stats: EngineStats;
}
export interface ExplainedResponse {
  readonly type: 'explained';
  readonly id: number;
  readonly side: Side;
  readonly explanation: PanelExplanation | undefined;
  readonly stats: EngineStats;
}
export interface LayerResponse {
  readonly type: 'layerDetail';
  readonly id: number;
  readonly detail: LayerDetail;
  /** This request ran the inspection session (the tensor was not kept by the forward pass). */
  readonly inspected: boolean;
  readonly stats: EngineStats;
}
export interface ExportResponse {
  readonly type: 'exportData';
  readonly id: number;
  readonly kind: ExportKind;
  /** PNG bytes, or the JSON / HTML text. */
  readonly data: Uint8Array | string;
  readonly stats: EngineStats;
}
export interface ReleasedResponse {
  readonly type: 'released';
  readonly id: number;
  readonly stats: EngineStats;
}
export interface SweptResponse {
  readonly type: 'swept';
  readonly id: number;
  readonly out: string;
  readonly summary: SweepSummary;
  /** The listed mistakes' pictures (PNG bytes), for the view to show as the report does. */
  readonly thumbs: MistakeThumbnails;
  readonly progress: SweepProgress;
  readonly stats: EngineStats;
}
/** A request failed; the failure is data (the error classes stay in the engine). */
export interface FailedResponse {
  readonly type: 'failed';
  readonly id: number;
  readonly failure: EngineFailure;
}

export type EngineResponse = OpenedResponse | ExplainedResponse | LayerResponse | ExportResponse | ReleasedResponse | SweptResponse | FailedResponse;

/** Unsolicited: the engine is up. */
export interface StartedEvent {
  readonly type: 'started';
  readonly pid: number;
  readonly node: string;
}
/** Unsolicited: a line for the host's log (the output channel). */
export interface LogEvent {
  readonly type: 'log';
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
}
/** Progress of request `id` (the progress notification's text). */
export interface ProgressEvent {
  readonly type: 'progress';
  readonly id: number;
  readonly message: string;
}

export type FromEngine = EngineResponse | StartedEvent | LogEvent | ProgressEvent;

/** The reply each request type gets when it succeeds. */
export interface Replies {
  open: OpenedResponse;
  explain: ExplainedResponse;
  layer: LayerResponse;
  export: ExportResponse;
  release: ReleasedResponse;
  sweep: SweptResponse;
  crash: never;
}

// ---- failures --------------------------------------------------------------------------------------

/**
 * Which stage failed, from the core's error classes: unsupported (a node without a rule), model-file,
 * runtime (onnxruntime), image, input-spec, unravel, range (a class or layer out of range), limit (an image or
 * the memory an explanation needs over its limit), non-finite (NaN or Inf in the forward pass), no-handle
 * (the engine holds no such explanation), refused (a request the engine does not allow), unexpected.
 */
export type FailureKind =
  'unsupported' | 'model-file' | 'runtime' | 'image' | 'input-spec' | 'unravel' | 'range' | 'limit' | 'non-finite' | 'no-handle' | 'refused' | 'unexpected';

/** An error as the panel shows it (title, message, node, hint), plus its kind and, for a node without a rule, the node. */
export interface EngineFailure {
  readonly kind: FailureKind;
  readonly title: string;
  readonly message: string;
  readonly node?: string;
  readonly hint?: string;
  /** For kind 'unsupported': the core's UnsupportedError, field by field. */
  readonly unsupported?: { readonly opType: string; readonly nodeName: string; readonly detail: string; readonly path: readonly string[] };
  /** The engine-side stack of an unexpected error, for the log. */
  readonly stack?: string;
}
