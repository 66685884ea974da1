// One panel, without VS Code: a model and an image, one kept forward pass in the engine, the explained
// class, an optional compared one, and the contrast of "Why A, not B?" (the explained class against the
// compared one, shown between the two). It owns the panel's state (ready, busy, error, the result, the
// settings changed in the panel), runs its work one task at a time, and routes the webview's messages:
// validated first (messages.ts), then one exhaustive switch. Two thin adapters drive it: the VS Code
// panel (panel.ts: the webview, progress notification, file watching, save dialog, records for reloads)
// and the panel's browser tests (test/webview/host.ts), so both run this routing. The pipeline is reached
// through an EngineApi: the engine process in VS Code, an in-process engine in the browser tests.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { EngineError, EngineFailed, type EngineApi, type EngineHandle, type LogLevel } from '../engine/client';
import type { OverlayOptions } from '../shared/overlay';
import type {
  ClassRequest,
  ErrorMessage,
  ExportKind,
  FromWebview,
  PanelExplanation,
  PanelState,
  ResultPayload,
  Side,
  SideExplanation,
  ToWebview,
} from '../shared/protocol';
import type { Prediction, Timings } from '../shared/result';
import { defaultOf, perClassKeys, type FormSettings, type Mode, type RunOptions } from '../shared/settings';
import { Cancelled, errorMessage, PanelClosed, TimedOut } from './errors';
import { defaultExportPath } from './exporter';
import { parseMessage, requestId, type Limits } from './messages';
import { RemoteExplanation } from './remote';
import { noChoices, planCompare, planMain, planWhyNot, restoredChoices, sidesState, type Choices, type Plan } from './sides';

export interface Target {
  readonly modelPath: string;
  readonly imagePath: string;
}

/** What the controller needs from where it runs (VS Code, or a test host). */
export interface PanelHost {
  /** Delivers a message to the webview; called only once the webview said it is ready. */
  post(message: ToWebview): void;
  log(level: LogLevel, message: string): void;
  /** The options of a run from the user's settings, read at each run (a SettingError when one is unusable). */
  settings(): RunOptions;
  /** Runs `work` under a progress indicator whose Cancel calls `cancel`. */
  progress<T>(title: string, work: (report: (message: string) => void) => Promise<T>, cancel: () => void): Promise<T>;
  /** Where to save an export, `suggested` first; undefined when the user dismissed the question. */
  saveAs(kind: ExportKind, suggested: string): Promise<string | undefined>;
  /** Records what the panel shows, to reopen it after a reload. */
  remember(state: PanelState): void;
}

/** What a run returns: enough for a test (or a caller) to check the result. */
export interface ExplainSummary {
  readonly panelId: number;
  readonly modelPath: string;
  readonly imagePath: string;
  readonly ok: boolean;
  readonly target?: { readonly index: number; readonly label: string };
  readonly predictions?: readonly Prediction[];
  readonly timings?: Timings;
  readonly layers?: number;
  readonly box?: readonly number[] | null;
  /** Forward passes this panel has run (a class switch runs none). */
  readonly forwardPasses: number;
  /** The model's session was already open (no parse, no session creation). */
  readonly sessionCached?: boolean;
  /** Milliseconds from the request to the engine until its answer was in the host (the host's view of the run). */
  readonly roundTripMs?: number;
  readonly error?: ErrorMessage;
}

/** What the panel holds now, for tests and the log. */
export interface PanelInfo {
  readonly id: number;
  readonly target: Target;
  readonly ready: boolean;
  readonly forwardPasses: number;
  readonly state: PanelState;
  readonly error: ErrorMessage | undefined;
  readonly busy: string | undefined;
  /** A run is in flight in the engine (what Cancel would stop). */
  readonly running: boolean;
  readonly handle: EngineHandle | undefined;
}

const sides: readonly Side[] = ['main', 'compare', 'contrast'];

/** What stays the same across class switches: an open's answer without its classes. */
type Shown = Omit<ResultPayload, Side>;

export class PanelController {
  private ready = false;
  private busy: string | undefined;
  private error: ErrorMessage | undefined;
  private shown: Shown | undefined;
  private readonly explained: Record<Side, PanelExplanation | undefined> = { main: undefined, compare: undefined, contrast: undefined };
  /**
   * The classes the panel shows or, before a result, asks for: the explained one (none: the top-1), the compared
   * one, and the contrast (the explained class against the compared one, in the "Why A, not B?" view).
   */
  private choices: Choices = { ...noChoices };
  /** Settings changed in the panel, over the user's settings. */
  private overrides: FormSettings = {};
  /** The options of the last run (the user's settings and the panel's). */
  private options: RunOptions = {};
  private running: AbortController | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** What the task being handled posted (the replies receive() resolves to). */
  private replies: ToWebview[] | undefined;
  private disposed = false;
  private readonly remote: RemoteExplanation;

  constructor(
    readonly id: number,
    readonly target: Target,
    engine: EngineApi,
    private readonly host: PanelHost,
  ) {
    this.remote = new RemoteExplanation(engine, id, {
      log: (message) => this.log('info', message),
      busy: (label) => this.setBusy(label),
      shown: () => ({ main: this.request('main'), compare: this.request('compare'), contrast: this.request('contrast') }),
    });
  }

  /** Takes up what a panel showed before a reload: its classes, the "why not" view, and mode (then run() explains them). */
  restore(state: Pick<PanelState, 'classIndex' | 'compareIndex' | 'versusIndex' | 'mode'>): void {
    this.choices = restoredChoices(state);
    if (state.mode) this.overrides = { ...this.overrides, mode: state.mode };
  }

  /** The mode the classes are explained in: the panel's choice, else the user's setting, else the default. */
  get mode(): Mode {
    return this.overrides.mode ?? this.options.mode ?? defaultOf('mode');
  }

  get state(): PanelState {
    return { ...this.target, ...sidesState(this.choices), mode: this.mode };
  }

  info(): PanelInfo {
    return {
      id: this.id,
      target: this.target,
      ready: this.ready,
      forwardPasses: this.remote.forwardPasses,
      state: this.state,
      error: this.error,
      busy: this.busy,
      running: !!this.running,
      handle: this.remote.held,
    };
  }

  /** A new forward pass with the current settings, explaining the classes the panel shows (or the top-1). */
  run(): Promise<ExplainSummary> {
    return this.enqueue(() => this.fullRun(undefined));
  }

  /** What the progress indicator's Cancel does: stops the run in flight (killing the engine). False when none runs. */
  cancel(): boolean {
    if (!this.running) return false;
    this.running.abort(new Cancelled());
    return true;
  }

  /** A message from the webview (or a test standing in for it). Resolves to what the controller posted back. */
  receive(raw: unknown): Promise<ToWebview[]> {
    return this.enqueue(async () => {
      const replies: ToWebview[] = (this.replies = []);
      try {
        await this.route(parseMessage(raw, this.limits()));
      } catch (e) {
        if (e instanceof PanelClosed) this.log('info', `'${String((raw as { type?: unknown } | null)?.type)}' dropped: the panel was closed`);
        else this.log('warn', (e as Error)?.message ?? String(e));
        const id = requestId(raw);
        this.post({ ...errorMessage(e), ...(id !== undefined ? { id } : {}) });
      } finally {
        this.replies = undefined;
      }
      return replies;
    });
  }

  /**
   * The panel closed. A run still going is left to finish (killing the engine would cost other panels their explanations); its result is then
   * released. Work still queued (a webview message that came with the close) opens nothing again: the remote refuses it (PanelClosed).
   */
  dispose(): void {
    this.disposed = true;
    this.remote.release();
  }

  private async route(m: FromWebview): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendCurrent(m.id);
        return;
      case 'explainClass':
        return this.explainSides(m.id, planMain(this.choices, { classIndex: m.classIndex, versus: m.versus }));
      case 'compare':
        return this.explainSides(m.id, planCompare(this.choices, m.classIndex === undefined ? undefined : { classIndex: m.classIndex, versus: m.versus }));
      case 'whyNot':
        return this.explainSides(m.id, planWhyNot(this.choices, m.classIndex));
      case 'selectLayer': {
        const r = await this.remote.layer(m.layerIndex, m.channel);
        if (r.inspected) this.log('info', `layer ${m.layerIndex} ('${r.detail.tensor}') needed the inspection run`);
        this.post({ type: 'showLayer', id: m.id, detail: r.detail });
        return;
      }
      case 'export':
        return this.export(m.id, m.kind, m.overlay);
      case 'rerun':
        return this.rerun(m.id, m.settings);
      default: {
        const never: never = m;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private post(m: ToWebview): void {
    this.replies?.push(m);
    if (!this.disposed && this.ready) this.host.post(m); // the webview asks with 'ready' and then gets everything
  }

  private log(level: LogLevel, message: string): void {
    this.host.log(level, `panel ${this.id}: ${message}`);
  }

  private remember(): void {
    if (!this.disposed) this.host.remember(this.state);
  }

  private limits(): Limits | undefined {
    const { shown } = this;
    const main = this.explained.main;
    return shown && main ? { classCount: shown.classCount, explained: main.result.target.index, layers: main.result.layers } : undefined;
  }

  /** The request for a side's class: its choice with the panel's per-class options. */
  private request(side: Side): ClassRequest | undefined {
    const c = this.choices[side];
    return c && { ...c, mode: this.mode };
  }

  /** Everything the webview needs after (re)loading, or after settings that explained the classes again. */
  private sendCurrent(id: number | undefined): void {
    const { shown } = this;
    const { main, compare, contrast } = this.explained;
    if (this.busy) this.post({ type: 'busy', busy: true, label: this.busy });
    if (this.error) this.post(id === undefined ? this.error : { ...this.error, id });
    else if (shown && main) this.post({ type: 'showResult', ...(id === undefined ? {} : { id }), ...shown, main, compare, contrast, state: this.state });
  }

  /**
   * Explains the plan's sides (sides.ts decides which) from the kept forward pass (no inference), in order, and shows what changed in one
   * message; when a side fails, the sides before it are still shown, then the error.
   */
  private async explainSides(id: number, plan: Plan): Promise<void> {
    const t0 = performance.now();
    const done: SideExplanation[] = [];
    try {
      for (const [side, choice] of plan) {
        const x = await this.remote.explain(side, choice && { ...choice, mode: this.mode });
        this.explained[side] = x;
        this.choices[side] = choice;
        done.push({ side, explanation: x });
      }
    } finally {
      if (done.length) {
        this.logSides(done, performance.now() - t0);
        this.post({ type: 'showClass', id, sides: done, state: this.state });
        this.remember();
      }
    }
  }

  private logSides(done: readonly SideExplanation[], ms: number): void {
    const what = done.map(({ side, explanation: x }) => {
      if (!x) return `${side} cleared`;
      const s = x.result.settings,
        t = x.result.timings;
      const versus = s.versus !== null ? ` against ${s.versus}` : '';
      return `${side}: class ${x.result.target.index} ${x.result.target.label}${versus} (unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms)`;
    });
    this.log('info', `${what.join('; ')} in mode ${this.mode}, from the kept forward pass (${ms.toFixed(0)} ms with the round trips)`);
  }

  /** Settings from the panel's form: a new forward pass, unless each one given applies per class (then the classes are explained again). */
  private async rerun(id: number, settings: FormSettings | undefined): Promise<void> {
    const given = Object.keys(settings ?? {});
    this.overrides = { ...this.overrides, ...settings };
    const perClass = given.length > 0 && given.every((k) => (perClassKeys as readonly string[]).includes(k));
    if (!perClass || !this.explained.main) {
      await this.fullRun(id);
      return;
    }
    for (const side of sides) {
      const target = this.request(side);
      if (target) this.explained[side] = await this.remote.explain(side, target);
    }
    this.log('info', `explained again in mode ${this.mode}, from the kept forward pass`);
    this.sendCurrent(id);
    this.remember();
  }

  private async export(id: number, kind: ExportKind, overlay: OverlayOptions): Promise<void> {
    const main = this.explained.main;
    if (!main) throw new Error('there is nothing to export yet');
    const file = await this.host.saveAs(kind, defaultExportPath(this.target.imagePath, main.result, kind));
    if (!file) return;
    const { data } = await this.remote.exportData(kind, overlay);
    await fs.writeFile(file, data);
    this.log('info', `saved ${kind.toUpperCase()} to ${file}`);
    this.post({ type: 'exported', id, kind, path: file });
  }

  private setBusy(label: string | undefined): void {
    this.busy = label;
    this.post({ type: 'busy', busy: label !== undefined, ...(label ? { label } : {}) });
  }

  private async fullRun(id: number | undefined): Promise<ExplainSummary> {
    const { modelPath, imagePath } = this.target;
    const imageName = path.basename(imagePath),
      modelName = path.basename(modelPath);
    this.setBusy(`Explaining ${imageName} with ${modelName}…`);
    let sessionCached: boolean | undefined;
    let roundTripMs: number | undefined;
    try {
      this.options = { ...this.host.settings(), ...this.overrides };
      const params = {
        modelPath,
        imagePath,
        options: this.options,
        main: this.request('main'),
        compare: this.request('compare'),
        contrast: this.request('contrast'),
      };
      const t0 = performance.now();
      // Cancel kills the engine: the only way to stop onnxruntime mid-run. The next request starts a new one.
      const running = (this.running = new AbortController());
      // the time limit stops the run as Cancel does
      const seconds = this.options.timeLimit ?? defaultOf('timeLimit');
      const timer = seconds > 0 ? setTimeout(() => running.abort(new TimedOut(seconds)), seconds * 1000) : undefined;
      const opened = await this.host
        .progress(
          `CNN Fixations: ${imageName}`,
          (report) => this.remote.open(params, { signal: running.signal, onProgress: report }),
          () => running.abort(new Cancelled()),
        )
        .finally(() => {
          clearTimeout(timer);
          if (this.running === running) this.running = undefined;
        });
      roundTripMs = performance.now() - t0;
      if (this.disposed) {
        this.remote.release();
        throw new PanelClosed();
      }
      sessionCached = opened.sessionCached;
      const { main, compare, contrast, model, image, classCount, labels } = opened;
      this.shown = { model, image, classCount, labels };
      Object.assign(this.explained, { main, compare, contrast });
      this.choices = {
        main: { ...this.choices.main, classIndex: main.result.target.index },
        compare: compare && { ...this.choices.compare, classIndex: compare.result.target.index },
        contrast: contrast && { ...this.choices.contrast, classIndex: contrast.result.target.index },
      };
      this.error = undefined;
      this.logRun(main, opened.engineMs, roundTripMs, sessionCached);
      this.busy = undefined;
      this.sendCurrent(id);
      this.remember();
    } catch (e) {
      this.shown = this.explained.main = this.explained.compare = this.explained.contrast = undefined;
      this.error = errorMessage(e);
      if (e instanceof EngineFailed && e.failure.kind === 'range') {
        // A class kept from before (a reload, a re-exported model) the model does not have: start over from its top-1.
        this.choices = { ...noChoices };
        this.error = { ...this.error, hint: 'Press Rerun to explain the top-1 class.' };
      }
      if (e instanceof PanelClosed) this.log('info', 'the panel was closed during the run; its result is released');
      else if (e instanceof Cancelled) this.log('info', 'cancelled');
      else if (e instanceof TimedOut) this.log('warn', e.message);
      // a failure the engine reported is data (its own stack, if any, is logged by the client); a host error gets its stack
      else
        this.log(
          'error',
          `${imageName} with ${modelName} failed: ${e instanceof EngineFailed || e instanceof EngineError ? e.message : ((e as Error)?.stack ?? String(e))}`,
        );
      this.busy = undefined;
      this.post(id === undefined ? this.error : { ...this.error, id });
    } finally {
      this.post({ type: 'busy', busy: false });
    }
    return this.summary(sessionCached, roundTripMs);
  }

  private logRun(main: PanelExplanation, engineMs: number, roundTripMs: number, sessionCached: boolean): void {
    const r = main.result;
    const t = r.timings;
    const p = r.predictions.find((x) => x.index === r.target.index);
    this.log(
      'info',
      `${path.basename(this.target.imagePath)} with ${path.basename(this.target.modelPath)} → class ${r.target.index} ${r.target.label}` +
        `${p ? ` (${(p.score * 100).toFixed(1)}%)` : ''}; session ${sessionCached ? 'cached' : 'opened'}; ` +
        `load ${t.loadMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms, ` +
        `unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms; ${r.layers.length} layers, ${r.keptPoints.length} points; ` +
        `engine ${engineMs.toFixed(0)} ms, round trip ${roundTripMs.toFixed(0)} ms`,
    );
  }

  private summary(sessionCached: boolean | undefined, roundTripMs: number | undefined): ExplainSummary {
    const r = this.explained.main?.result;
    const base = { panelId: this.id, modelPath: this.target.modelPath, imagePath: this.target.imagePath, forwardPasses: this.remote.forwardPasses };
    if (!r) return { ...base, ok: false, error: this.error };
    return {
      ...base,
      ok: true,
      target: r.target,
      predictions: r.predictions,
      timings: r.timings,
      layers: r.layers.length,
      box: r.box,
      sessionCached,
      roundTripMs,
    };
  }
}
