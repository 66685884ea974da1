// Messages between the extension host and the webview panel. One interface per message, keyed by `type`.
// Bulk data travels as typed arrays or bytes (structured clone), never as JSON number lists. Every request
// from the webview carries an `id` (a number it counts up); the replies to it repeat that id, so the
// webview drops a reply that a newer request of its own has made stale.
// Class indices are never replaced by others: one out of range is refused (src/panels/messages.ts checks
// the webview's against the current result; the engine refuses one a run asks for, as Explainer.explain does).
import type { HeatGrid, OverlayOptions } from './overlay';
import type { ExplanationJson } from './result';
import type { ClassOptions, FormSettings, Mode } from './settings';

/** A class to explain and how: per-class options over the run's (the mode), and the class it is explained against. */
export type ClassRequest = ClassOptions & { readonly classIndex: number };

/**
 * The figures a panel shows, each one class's explanation: `main`, the explained class A; `compare`, another
 * class's own map beside it; `contrast`, A rather than B (A explained against the compared class B). The
 * "Why A, not B?" view shows all three: A's own map, A rather than B, and B's own map.
 */
export type Side = 'main' | 'compare' | 'contrast';

/** One explained class, everything the panel draws for it. */
export interface PanelExplanation {
  readonly result: ExplanationJson;
  readonly heat: HeatGrid;
}

export interface ModelSummary {
  readonly path: string;
  readonly fileName: string;
  readonly opsets: readonly { readonly domain: string; readonly version: number }[];
  readonly producer: string;
  readonly inputs: readonly { readonly name: string; readonly dims: readonly (number | string)[]; readonly type: string }[];
  readonly outputs: readonly { readonly name: string; readonly dims: readonly (number | string)[]; readonly type: string }[];
  /** Op type → count, most frequent first. */
  readonly opCounts: readonly (readonly [string, number])[];
  readonly nodeCount: number;
  readonly exposedTensors: number;
  readonly preprocessing: string;
  /** What the user should check (a labels file that does not fit the model); shown above the panel. */
  readonly warnings: readonly string[];
}

/** The image as encoded bytes (PNG or JPEG) so the webview needs no file access. */
export interface PanelImage {
  readonly mime: string;
  readonly bytes: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly name: string;
}

/** Per-layer drill-down for one record of `result.layers`. */
export interface LayerDetail {
  readonly layerIndex: number;
  readonly classIndex: number;
  readonly node: string;
  readonly op: string;
  readonly tensor: string;
  readonly shape: readonly number[];
  /** Spatial grid of the tensor ([H, W]); 1×1 for vectors. */
  readonly gridHeight: number;
  readonly gridWidth: number;
  /** Fixation count per grid cell (summed over channels), row-major H×W. */
  readonly cellCounts: Uint32Array;
  /**
   * The share of the class's mass per grid cell (summed over channels), row-major H×W, when the mode carries
   * masses (all but paper); the layer's total is about 1 (a layer beside a residual branch holds part of it).
   */
  readonly cellMass: Float32Array | undefined;
  /** Receptive-field centres of the fixated cells, in original-image pixels, with their counts (and masses, with masses). */
  readonly projected: readonly (readonly [x: number, y: number, count: number, mass?: number])[];
  /** The channels that matter most: [channel, count, mass], by mass when the mode carries masses, else by count; largest first (at most 16). */
  readonly topChannels: readonly (readonly [channel: number, count: number, mass?: number])[];
  /** Activation map of `channel` (H×W), when values of this tensor can be had. */
  readonly channel: number | undefined;
  readonly activation: Float32Array | undefined;
  readonly activationNote: string | undefined;
}

/**
 * What the host needs to reopen a panel after a reload. The webview keeps the last one it received in its
 * saved state (setState) under the key `host`; VS Code hands that saved state to the host's serializer.
 */
export interface PanelState {
  readonly modelPath: string;
  readonly imagePath: string;
  /** The explained class; -1 when none is yet (the next run explains the top-1). */
  readonly classIndex: number;
  readonly compareIndex?: number;
  /** B of the "Why A, not B?" view (A explained against B), when that view is shown; compareIndex is B then too. */
  readonly versusIndex?: number;
  /** The mode the classes are explained in (absent in records of older versions: the setting's). */
  readonly mode?: Mode;
}

// ---- host → webview ------------------------------------------------------------------------------

/** An opened explanation: model, image, predictions, and each side shown (the explained class, the compared one, the contrast). */
export interface ResultPayload {
  readonly model: ModelSummary;
  readonly image: PanelImage;
  readonly classCount: number;
  readonly labels: readonly string[] | undefined;
  readonly main: PanelExplanation;
  readonly compare: PanelExplanation | undefined;
  readonly contrast: PanelExplanation | undefined;
}
/** A new explanation for the panel; `id` when it answers a request (ready, rerun), none when the host sends it by itself. */
export interface ShowResultMessage extends ResultPayload {
  readonly type: 'showResult';
  readonly id?: number;
  readonly state: PanelState;
}
/** A side as a class request left it: its new explanation, or undefined when that side is no longer shown. */
export interface SideExplanation {
  readonly side: Side;
  readonly explanation: PanelExplanation | undefined;
}
/** Classes explained from the kept forward pass: every side one request changed, in one message (drawn at once). */
export interface ShowClassMessage {
  readonly type: 'showClass';
  readonly id: number;
  readonly sides: readonly SideExplanation[];
  readonly state: PanelState;
}
/** The drill-down of one layer. */
export interface ShowLayerMessage {
  readonly type: 'showLayer';
  readonly id: number;
  readonly detail: LayerDetail;
}
/** Work started or ended (the panel dims and shows the label). */
export interface BusyMessage {
  readonly type: 'busy';
  readonly busy: boolean;
  readonly label?: string;
}
/** Something failed: what and what to do; `node` names the offending node when there is one. */
export interface ErrorMessage {
  readonly type: 'error';
  /** The request that failed, when the failure answers one. */
  readonly id?: number;
  readonly title: string;
  readonly message: string;
  readonly node?: string;
  readonly hint?: string;
}
/** An export was written. */
export interface ExportedMessage {
  readonly type: 'exported';
  readonly id: number;
  readonly kind: ExportKind;
  readonly path: string;
}

export type ToWebview = ShowResultMessage | ShowClassMessage | ShowLayerMessage | BusyMessage | ErrorMessage | ExportedMessage;

// ---- webview → host ------------------------------------------------------------------------------

export type ExportKind = 'png' | 'json' | 'html';

/** The webview has loaded and wants the current result. */
export interface ReadyMessage {
  readonly type: 'ready';
  readonly id: number;
}
/**
 * Explain another class (no new forward pass), optionally against a second one. In the "Why A, not B?" view
 * the contrast follows (the new class against the same B); it ends when the new class is B.
 */
export interface ExplainClassMessage extends Pick<ClassRequest, 'classIndex' | 'versus'> {
  readonly type: 'explainClass';
  readonly id: number;
}
/** Show a second class side by side (optionally against another), or stop comparing (classIndex undefined); either ends the "Why A, not B?" view unless it keeps B. */
export interface CompareMessage extends Pick<ClassRequest, 'versus'> {
  readonly type: 'compare';
  readonly id: number;
  readonly classIndex: number | undefined;
}
/**
 * "Why A, not B?": beside the explained class A, A explained against B and B's own map (classIndex B, never A),
 * from the kept forward pass; classIndex undefined leaves that view (A alone again).
 */
export interface WhyNotMessage {
  readonly type: 'whyNot';
  readonly id: number;
  readonly classIndex: number | undefined;
}
/** Drill into layer `layerIndex` of the main explanation, optionally with one channel's activation map. */
export interface SelectLayerMessage {
  readonly type: 'selectLayer';
  readonly id: number;
  readonly layerIndex: number;
  readonly channel?: number;
}
/** Save the overlay PNG (with the panel's toggles and opacity), the JSON, or the HTML report. */
export interface ExportMessage {
  readonly type: 'export';
  readonly id: number;
  readonly kind: ExportKind;
  readonly overlay: OverlayOptions;
}
/**
 * Run the model again, with settings from the panel's form over the host's (an absent field keeps the
 * current value). When every setting given applies per class (the mode), the shown classes are explained
 * again from the kept forward pass instead: no model runs.
 */
export interface RerunMessage {
  readonly type: 'rerun';
  readonly id: number;
  readonly settings?: FormSettings;
}

export type FromWebview = ReadyMessage | ExplainClassMessage | CompareMessage | WhyNotMessage | SelectLayerMessage | ExportMessage | RerunMessage;
