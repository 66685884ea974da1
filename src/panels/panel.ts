// One CNN Fixations panel: a model and an image, one kept forward pass, the explained class (and an
// optional comparison class). Lifecycle (createOrShow / revive / dispose), the HTML, and the routing of
// the webview's messages: validated first, then one exhaustive switch. Work runs one task at a time.
// The pipeline runs in the engine process (src/engine): the panel's explanation lives there (remote.ts
// holds the handle and what the webview shows, and opens it there again when the engine restarted).
import { statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError, EngineFailed, type EngineClient, type EngineHandle, type OpenParams } from '../engine/client';
import type { ErrorMessage, FromWebview, PanelExplanation, PanelState, RunSettings, ToWebview } from '../shared/protocol';
import type { Prediction, Timings } from '../shared/result';
import { Cancelled, errorMessage } from './errors';
import { exportExplanation, type SaveDialog } from './exporter';
import { panelHtml, webviewRoot } from './html';
import { parseMessage, type Limits } from './messages';
import { RemoteExplanation } from './remote';
import { rememberPanel, stateToRestore, type PanelStore } from './restore';
import { runOptions } from './settings';
import { watchFile } from './watch';

export const VIEW_TYPE = 'cnnFixations.panel';

/** What panels share: set up once in activate(). */
export interface Services {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  /** The explanation engine (one child process for all panels, sessions cached per model file there). */
  readonly engine: EngineClient;
  /** Where panels record what they show, for restoring them after a reload (see restore.ts). */
  readonly panels: PanelStore;
  saveDialog: SaveDialog;
}

export interface Target {
  readonly modelPath: string;
  readonly imagePath: string;
}

/** What a command returns per panel: enough for a test (or a caller) to check the result. */
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

const keyOf = (t: Target) => `${path.resolve(t.modelPath)}\n${path.resolve(t.imagePath)}`;

export class ExplainPanel {
  private static readonly open = new Map<string, ExplainPanel>();
  private static nextId = 1;

  static all(): readonly ExplainPanel[] {
    return [...ExplainPanel.open.values()];
  }

  /** Deactivation: release the panels (their records stay, for the reload that may follow). */
  static disposeAll(): void {
    for (const p of ExplainPanel.all()) p.dispose();
  }

  /** The panel for this model and image, revealed, or a new one. Call run() to explain. */
  static createOrShow(services: Services, target: Target, column: vscode.ViewColumn = vscode.ViewColumn.Active): ExplainPanel {
    const existing = ExplainPanel.open.get(keyOf(target));
    if (existing) {
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, ExplainPanel.title(target), column, ExplainPanel.options(services));
    return new ExplainPanel(services, panel, target);
  }

  /** A panel VS Code restored after a reload: explain again what it showed. */
  static async revive(services: Services, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const s = stateToRestore(services.panels, state, panel.title, (t) => ExplainPanel.open.has(keyOf(t)));
    if (!s) {
      services.log.warn('a CNN Fixations panel came back without a usable state; closing it');
      panel.dispose();
      return;
    }
    panel.webview.options = ExplainPanel.options(services);
    const existing = ExplainPanel.open.get(keyOf(s));
    if (existing) {
      panel.dispose();
      return;
    }
    const p = new ExplainPanel(services, panel, s);
    services.log.info(`panel ${p.id}: restored after a reload (class ${s.classIndex}${s.compareIndex !== undefined ? `, compared ${s.compareIndex}` : ''})`);
    await p.run(s.classIndex >= 0 ? s.classIndex : undefined, s.compareIndex);
  }

  private static options(services: Services): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // The panel loads only its bundle; the image travels as bytes in the messages.
    return { enableScripts: true, localResourceRoots: [webviewRoot(services.extensionUri)] };
  }

  /** `pelican.jpeg · mobilenetv2-12-int8`: the same image under two models gets two telling tabs. */
  static title(t: Target): string {
    return `${path.basename(t.imagePath)} · ${path.basename(t.modelPath).replace(/\.onnx$/i, '')}`;
  }

  /** Records what this panel shows, for revive() after a reload. */
  private remember(): void {
    if (!this.disposed) rememberPanel(this.services.panels, ExplainPanel.title(this.target), this.state);
  }

  readonly id = ExplainPanel.nextId++;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private ready = false;
  private queue: Promise<unknown> = Promise.resolve();
  private recorder: ToWebview[] | undefined;
  /** The explanation in the engine and what the webview shows of it. */
  private readonly remote: RemoteExplanation;
  /** The open in flight (the progress notification's Cancel aborts it). */
  private running: AbortController | undefined;
  private error: ErrorMessage | undefined;
  private busy: string | undefined;
  private classIndex: number | undefined;
  private compareIndex: number | undefined;
  /** Settings changed in the panel (rerun), over the workspace settings. */
  private overrides: RunSettings = {};

  private constructor(
    private readonly services: Services,
    private readonly panel: vscode.WebviewPanel,
    readonly target: Target,
  ) {
    ExplainPanel.open.set(keyOf(target), this);
    this.remote = new RemoteExplanation(services.engine, this.id, {
      log: (message) => services.log.info(`panel ${this.id}: ${message}`),
      busy: (label) => this.setBusy(label),
    });
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'icon.png');
    panel.webview.html = panelHtml(panel.webview, services.extensionUri, ExplainPanel.title(target));
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.receive(m)),
      this.watch(target.modelPath, 'model'),
      this.watch(target.imagePath, 'image'),
    );
  }

  get state(): PanelState {
    return {
      modelPath: this.target.modelPath,
      imagePath: this.target.imagePath,
      classIndex: this.remote.main?.result.target.index ?? this.classIndex ?? -1,
      ...(this.remote.compare ? { compareIndex: this.remote.compare.result.target.index } : {}),
    };
  }

  /** For tests and the log: what the panel holds now. */
  info(): {
    id: number;
    target: Target;
    ready: boolean;
    forwardPasses: number;
    state: PanelState;
    error: ErrorMessage | undefined;
    busy: string | undefined;
    /** An open is in flight in the engine (what Cancel would stop). */
    running: boolean;
    handle: EngineHandle | undefined;
  } {
    const { forwardPasses, held: handle } = this.remote;
    return { id: this.id, target: this.target, ready: this.ready, forwardPasses, state: this.state, error: this.error, busy: this.busy, running: !!this.running, handle };
  }

  /** What the progress notification's Cancel does: stops the open in flight (killing the engine). False when none runs. */
  cancel(): boolean {
    if (!this.running) return false;
    this.running.abort(new Cancelled());
    return true;
  }

  /** A new forward pass with the current settings, then classes `classIndex` (default top-1) and `compareIndex`. */
  run(classIndex?: number, compareIndex?: number): Promise<ExplainSummary> {
    return this.enqueue(() => this.fullRun(classIndex, compareIndex));
  }

  /** A message from the webview (or a test standing in for it). Resolves to what the host posted back. */
  receive(raw: unknown): Promise<ToWebview[]> {
    return this.enqueue(async () => {
      const sent: ToWebview[] = [];
      this.recorder = sent;
      try {
        await this.handle(raw);
      } catch (e) {
        this.services.log.warn(`panel ${this.id}: ${(e as Error).message}`);
        this.post(errorMessage(e));
      } finally {
        this.recorder = undefined;
      }
      return sent;
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ExplainPanel.open.get(keyOf(this.target)) === this) ExplainPanel.open.delete(keyOf(this.target));
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    // An open still running is left to finish (killing the engine would cost the other panels their
    // explanations); fullRun() then releases what it opened.
    this.remote.release();
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const next = this.queue.then(task, task);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private post(m: ToWebview): void {
    this.recorder?.push(m);
    if (this.disposed || !this.ready) return; // the webview asks with 'ready' and then gets everything
    this.panel.webview.postMessage(m).then(undefined, (e: unknown) => this.services.log.warn(`panel ${this.id}: postMessage failed: ${String(e)}`));
  }

  private limits(): Limits | undefined {
    const { shown, main } = this.remote;
    if (!shown || !main) return undefined;
    return { classCount: shown.classCount, layers: main.result.layers };
  }

  private async handle(raw: unknown): Promise<void> {
    const m: FromWebview = parseMessage(raw, this.limits());
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendCurrent();
        return;
      case 'explainClass':
        this.post({ type: 'showClass', side: 'main', explanation: await this.explainClass('main', m.classIndex), state: this.state });
        this.remember();
        return;
      case 'compare':
        this.post({ type: 'showClass', side: 'compare', explanation: await this.explainClass('compare', m.classIndex), state: this.state });
        this.remember();
        return;
      case 'selectLayer':
        this.post({ type: 'showLayer', detail: await this.layer(m.layerIndex, m.channel) });
        return;
      case 'export': {
        const file = await exportExplanation(m, this.remote.main!.result, this.target.imagePath, this.services.saveDialog, () => this.remote.exportData(m.kind, m.overlay));
        if (file) {
          this.services.log.info(`panel ${this.id}: saved ${m.kind.toUpperCase()} to ${file}`);
          this.post({ type: 'exported', kind: m.kind, path: file });
        }
        return;
      }
      case 'rerun':
        this.overrides = { ...this.overrides, ...m.settings };
        await this.fullRun(this.remote.main?.result.target.index ?? this.classIndex, this.remote.compare?.result.target.index ?? this.compareIndex);
        return;
      default: {
        const never: never = m;
        throw new Error(`unhandled message ${JSON.stringify(never)}`);
      }
    }
  }

  /** Everything the webview needs after (re)loading. */
  private sendCurrent(): void {
    if (this.busy) this.post({ type: 'busy', busy: true, label: this.busy });
    if (this.error) {
      this.post(this.error);
    } else if (this.remote.shown && this.remote.main) {
      this.post({ type: 'showResult', ...this.remote.shown, main: this.remote.main, compare: this.remote.compare, state: this.state });
    }
  }

  /** Another class from the kept forward pass (in the engine): no inference. Undefined clears the compare side. */
  private async explainClass(side: 'main' | 'compare', k: number | undefined): Promise<PanelExplanation | undefined> {
    const t0 = performance.now();
    const x = await this.remote.explain(side, k);
    if (x) {
      const t = x.result.timings;
      this.services.log.info(
        `panel ${this.id}: class ${x.result.target.index} ${x.result.target.label} from the kept forward pass: unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms (${(performance.now() - t0).toFixed(0)} ms with the round trip)`,
      );
    }
    return x;
  }

  private async layer(layerIndex: number, channel: number | undefined) {
    const r = await this.remote.layer(layerIndex, channel);
    if (r.inspected) this.services.log.info(`panel ${this.id}: layer ${layerIndex} ('${r.detail.tensor}') needed the inspection run`);
    return r.detail;
  }

  private setBusy(label: string | undefined): void {
    this.busy = label;
    this.post({ type: 'busy', busy: label !== undefined, ...(label ? { label } : {}) });
  }

  private async fullRun(classIndex: number | undefined, compareIndex: number | undefined): Promise<ExplainSummary> {
    const { log } = this.services;
    const { modelPath, imagePath } = this.target;
    const imageName = path.basename(imagePath);
    this.classIndex = classIndex;
    this.compareIndex = compareIndex;
    this.setBusy(`Explaining ${imageName} with ${path.basename(modelPath)}…`);
    let sessionCached = false;
    let roundTripMs: number | undefined;
    try {
      const options = { ...runOptions(vscode.Uri.file(imagePath)), ...this.overrides };
      const params: OpenParams = { modelPath, imagePath, options, classIndex, compareIndex };
      const t0 = performance.now();
      const opened = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `CNN Fixations: ${imageName}`, cancellable: true },
        async (progress, token) => {
          // Cancel kills the engine: the only way to stop onnxruntime mid-run. The next request starts a new one.
          const running = (this.running = new AbortController());
          const sub = token.onCancellationRequested(() => running.abort(new Cancelled()));
          try {
            progress.report({ message: `running ${path.basename(modelPath)}…` });
            return await this.remote.open(params, { signal: running.signal, onProgress: (message) => progress.report({ message }) });
          } finally {
            sub.dispose();
            if (this.running === running) this.running = undefined;
          }
        },
      );
      roundTripMs = performance.now() - t0;
      if (this.disposed) {
        this.remote.release();
        throw new Cancelled();
      }
      sessionCached = opened.sessionCached;
      this.error = undefined;
      const r = opened.main.result;
      const t = r.timings;
      const p = r.predictions.find((x) => x.index === r.target.index);
      log.info(
        `panel ${this.id}: ${imageName} with ${path.basename(modelPath)} → class ${r.target.index} ${r.target.label}` +
          `${p ? ` (${(p.score * 100).toFixed(1)}%)` : ''}; session ${sessionCached ? 'cached' : 'opened'}; ` +
          `load ${t.loadMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms, ` +
          `unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms; ${r.layers.length} layers, ${r.keptPoints.length} points; ` +
          `engine ${opened.engineMs.toFixed(0)} ms, round trip ${roundTripMs.toFixed(0)} ms`,
      );
      this.busy = undefined;
      this.sendCurrent();
      this.remember();
    } catch (e) {
      this.remote.clear();
      this.error = errorMessage(e);
      if (e instanceof Cancelled) log.info(`panel ${this.id}: cancelled`);
      // a failure the engine reported is data (its own stack, if any, is logged by the client); a host error gets its stack
      else log.error(`panel ${this.id}: ${imageName} with ${path.basename(modelPath)} failed: ${e instanceof EngineFailed || e instanceof EngineError ? e.message : ((e as Error)?.stack ?? String(e))}`);
      this.busy = undefined;
      this.post(this.error);
    } finally {
      this.post({ type: 'busy', busy: false });
    }
    return this.summary(sessionCached, roundTripMs);
  }

  private summary(sessionCached: boolean, roundTripMs: number | undefined): ExplainSummary {
    const r = this.remote.main?.result;
    const base = { panelId: this.id, modelPath: this.target.modelPath, imagePath: this.target.imagePath, forwardPasses: this.remote.forwardPasses };
    if (!r) return { ...base, ok: false, error: this.error };
    return { ...base, ok: true, target: r.target, predictions: r.predictions, timings: r.timings, layers: r.layers.length, box: r.box, sessionCached, roundTripMs };
  }

  /** Re-explain when the model (re-exported) or the image changes on disk. */
  private watch(file: string, what: string): vscode.Disposable {
    const version = () => {
      try {
        const st = statSync(file);
        return `${st.size}:${st.mtimeMs}`;
      } catch {
        return 'missing';
      }
    };
    const again = async (kind: string) => {
      // A write still going on when the run read the file: if the file moved on meanwhile, run once more.
      for (let round = 0; round < 3 && !this.disposed; round++) {
        const before = version();
        this.services.log.info(`panel ${this.id}: the ${what} was ${kind} on disk (${file}); explaining again`);
        await this.run(this.remote.main?.result.target.index ?? this.classIndex, this.remote.compare?.result.target.index ?? this.compareIndex);
        if (version() === before) return;
        kind = 'changed again';
      }
    };
    return watchFile(file, (kind) => void again(kind));
  }
}
