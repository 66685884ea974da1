// One CNN Fixations panel: a model and an image, one kept forward pass, the explained class (and an
// optional comparison class). Lifecycle (createOrShow / revive / dispose), the HTML, and the routing of
// the webview's messages: validated first, then one exhaustive switch. Work runs one task at a time.
import { statSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { Explainer, type Explanation } from '../explain';
import { encodePng } from '../heatmap/render';
import type { OpenModel, SessionCache } from '../runtime/session';
import type { ErrorMessage, FromWebview, PanelImage, PanelState, RunSettings, ToWebview } from '../shared/protocol';
import type { Prediction, Timings } from '../shared/result';
import { Activations } from './activations';
import { Cancelled, errorMessage } from './errors';
import { exportExplanation, type SaveDialog } from './exporter';
import { panelHtml, webviewRoot } from './html';
import { parseMessage, type Limits } from './messages';
import { layerDetail, modelSummary, panelExplanation } from './payload';
import { rememberPanels, stateToRestore } from './restore';
import { explainOptions } from './settings';
import { watchFile } from './watch';

export const VIEW_TYPE = 'cnnFixations.panel';

/** What panels share: set up once in activate(). */
export interface Services {
  readonly extensionUri: vscode.Uri;
  readonly log: vscode.LogOutputChannel;
  readonly cache: SessionCache;
  /** workspaceState: where open panels are remembered, in case a restored webview brings no state. */
  readonly memento: vscode.Memento;
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
  readonly error?: ErrorMessage;
}

const mimes: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.bmp': 'image/bmp' };

const keyOf = (t: Target) => `${path.resolve(t.modelPath)}\n${path.resolve(t.imagePath)}`;

export class ExplainPanel {
  private static readonly open = new Map<string, ExplainPanel>();
  private static nextId = 1;
  /** OpenModel last seen per model file, to tell a cached session from a new one (weakly: the cache owns it). */
  private static readonly models = new Map<string, WeakRef<OpenModel>>();

  private static shuttingDown = false;

  static all(): readonly ExplainPanel[] {
    return [...ExplainPanel.open.values()];
  }

  /** Deactivation: release the panels without forgetting them. */
  static disposeAll(): void {
    ExplainPanel.shuttingDown = true;
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
    const s = stateToRestore(services.memento, state, panel.title, (t) => ExplainPanel.open.has(keyOf(t)));
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

  /** Keeps the list of open panels in workspaceState for revive(). */
  private static remember(services: Services): void {
    if (ExplainPanel.shuttingDown) return; // panels closed by a reload are to come back
    rememberPanels(services.memento, ExplainPanel.all().map((p) => ({ title: ExplainPanel.title(p.target), state: p.state })));
  }

  readonly id = ExplainPanel.nextId++;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;
  private ready = false;
  private queue: Promise<unknown> = Promise.resolve();
  private recorder: ToWebview[] | undefined;
  private forwardPasses = 0;
  private explainer: Explainer | undefined;
  private main: Explanation | undefined;
  private compare: Explanation | undefined;
  private activations: Activations | undefined;
  private image: PanelImage | undefined;
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
      classIndex: this.main?.json.target.index ?? this.classIndex ?? -1,
      ...(this.compare ? { compareIndex: this.compare.json.target.index } : {}),
    };
  }

  /** For tests and the log: what the panel holds now. */
  info(): { id: number; target: Target; ready: boolean; forwardPasses: number; state: PanelState; error: ErrorMessage | undefined; busy: string | undefined } {
    return { id: this.id, target: this.target, ready: this.ready, forwardPasses: this.forwardPasses, state: this.state, error: this.error, busy: this.busy };
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
    ExplainPanel.remember(this.services);
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.explainer = this.main = this.compare = this.activations = undefined;
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
    if (!this.explainer || !this.main) return undefined;
    return { classCount: this.explainer.classCount, layers: this.main.unravel.layers };
  }

  private async handle(raw: unknown): Promise<void> {
    const m: FromWebview = parseMessage(raw, this.limits());
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.sendCurrent();
        return;
      case 'explainClass':
        this.main = this.explainClass(m.classIndex);
        this.post({ type: 'showClass', side: 'main', explanation: panelExplanation(this.main), state: this.state });
        ExplainPanel.remember(this.services);
        return;
      case 'compare':
        this.compare = m.classIndex === undefined ? undefined : this.explainClass(m.classIndex);
        this.post({ type: 'showClass', side: 'compare', explanation: this.compare && panelExplanation(this.compare), state: this.state });
        ExplainPanel.remember(this.services);
        return;
      case 'selectLayer':
        this.post({ type: 'showLayer', detail: await this.layer(m.layerIndex, m.channel) });
        return;
      case 'export': {
        const file = await exportExplanation(m, this.explainer!, this.main!, this.target.imagePath, this.services.saveDialog);
        if (file) {
          this.services.log.info(`panel ${this.id}: saved ${m.kind.toUpperCase()} to ${file}`);
          this.post({ type: 'exported', kind: m.kind, path: file });
        }
        return;
      }
      case 'rerun':
        this.overrides = { ...this.overrides, ...m.settings };
        await this.fullRun(this.main?.json.target.index ?? this.classIndex, this.compare?.json.target.index ?? this.compareIndex);
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
    } else if (this.explainer && this.main && this.image) {
      this.post({
        type: 'showResult',
        model: modelSummary(this.explainer),
        image: this.image,
        classCount: this.explainer.classCount,
        labels: this.explainer.labels,
        main: panelExplanation(this.main),
        compare: this.compare && panelExplanation(this.compare),
        state: this.state,
      });
    }
  }

  /** Another class from the kept forward pass: no inference. */
  private explainClass(k: number): Explanation {
    const t0 = performance.now();
    const x = this.explainer!.explain(k);
    const t = x.json.timings;
    this.services.log.info(`panel ${this.id}: class ${k} ${x.json.target.label} from the kept forward pass: unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms (${(performance.now() - t0).toFixed(0)} ms in all)`);
    return x;
  }

  private async layer(layerIndex: number, channel: number | undefined) {
    const tensor = this.main!.unravel.layers[layerIndex].tensor;
    let note: string | undefined;
    try {
      if (!this.activations!.kept(tensor)) this.services.log.info(`panel ${this.id}: running the inspection session for '${tensor}'`);
      await this.activations!.prepare(tensor);
    } catch (e) {
      note = `activations unavailable: ${(e as Error).message}`;
      this.services.log.warn(`panel ${this.id}: ${note}`);
    }
    const detail = layerDetail(this.explainer!, this.main!, layerIndex, this.main!.json.target.index, channel, await this.activations!.lookup());
    return note && !detail.activation ? { ...detail, activationNote: note } : detail;
  }

  private setBusy(label: string | undefined): void {
    this.busy = label;
    this.post({ type: 'busy', busy: label !== undefined, ...(label ? { label } : {}) });
  }

  private async fullRun(classIndex: number | undefined, compareIndex: number | undefined): Promise<ExplainSummary> {
    const { log, cache } = this.services;
    const { modelPath, imagePath } = this.target;
    const imageName = path.basename(imagePath);
    this.classIndex = classIndex;
    this.compareIndex = compareIndex;
    this.setBusy(`Explaining ${imageName} with ${path.basename(modelPath)}…`);
    let sessionCached = false;
    try {
      const options = { ...explainOptions(vscode.Uri.file(imagePath)), ...this.overrides };
      const explainer = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `CNN Fixations: ${imageName}`, cancellable: true },
        async (progress, token) => {
          progress.report({ message: `running ${path.basename(modelPath)}…` });
          const work = Explainer.create(modelPath, { image: imagePath }, options, cache);
          const e = await untilCancelled(work, token);
          this.forwardPasses++;
          progress.report({ message: 'unravelling…' });
          return e;
        },
      );
      if (this.disposed) throw new Cancelled();
      sessionCached = ExplainPanel.models.get(path.resolve(modelPath))?.deref() === explainer.model;
      ExplainPanel.models.set(path.resolve(modelPath), new WeakRef(explainer.model));
      const valid = (k: number | undefined) => (k !== undefined && k >= 0 && k < explainer.classCount ? k : undefined);
      const main = explainer.explain(valid(classIndex));
      const cmp = valid(compareIndex);
      const compare = cmp === undefined ? undefined : explainer.explain(cmp);
      const image = await this.panelImage(explainer);
      this.explainer = explainer;
      this.main = main;
      this.compare = compare;
      this.image = image;
      this.activations = new Activations(explainer);
      this.error = undefined;
      const r = main.json;
      const t = r.timings;
      log.info(
        `panel ${this.id}: ${imageName} with ${path.basename(modelPath)} → class ${r.target.index} ${r.target.label} ` +
          `(${(explainer.probs[r.target.index] * 100).toFixed(1)}%); session ${sessionCached ? 'cached' : 'opened'}; ` +
          `load ${t.loadMs.toFixed(0)} ms, preprocess ${t.preprocessMs.toFixed(0)} ms, inference ${t.inferenceMs.toFixed(0)} ms, ` +
          `unravel ${t.unravelMs.toFixed(0)} ms, heat map ${t.heatmapMs.toFixed(0)} ms; ${r.layers.length} layers, ${r.keptPoints.length} points`,
      );
      this.busy = undefined;
      this.sendCurrent();
      ExplainPanel.remember(this.services);
    } catch (e) {
      this.explainer = this.main = this.compare = this.activations = this.image = undefined;
      this.error = errorMessage(e);
      if (e instanceof Cancelled) log.info(`panel ${this.id}: cancelled`);
      else log.error(`panel ${this.id}: ${imageName} with ${path.basename(modelPath)} failed: ${(e as Error)?.stack ?? String(e)}`);
      this.busy = undefined;
      this.post(this.error);
    } finally {
      this.post({ type: 'busy', busy: false });
    }
    return this.summary(sessionCached);
  }

  private summary(sessionCached: boolean): ExplainSummary {
    const r = this.main?.json;
    const base = { panelId: this.id, modelPath: this.target.modelPath, imagePath: this.target.imagePath, forwardPasses: this.forwardPasses };
    if (!r) return { ...base, ok: false, error: this.error };
    return { ...base, ok: true, target: r.target, predictions: r.predictions, timings: r.timings, layers: r.layers.length, box: r.box, sessionCached };
  }

  /** The image as the webview shows it: the file's bytes when browsers decode them, else a PNG of the decoded pixels. */
  private async panelImage(e: Explainer): Promise<PanelImage> {
    const { width, height } = e.picture;
    const name = path.basename(this.target.imagePath);
    const mime = mimes[path.extname(name).toLowerCase()];
    const bytes = mime ? await fs.readFile(this.target.imagePath) : await encodePng(width, height, e.picture.rgba);
    return { mime: mime ?? 'image/png', bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), width, height, name };
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
        await this.run(this.main?.json.target.index ?? this.classIndex, this.compare?.json.target.index ?? this.compareIndex);
        if (version() === before) return;
        kind = 'changed again';
      }
    };
    return watchFile(file, (kind) => void again(kind));
  }
}

/** Resolves with `work`, or rejects with Cancelled as soon as the user cancels (the work's result is then dropped). */
function untilCancelled<T>(work: Promise<T>, token: vscode.CancellationToken): Promise<T> {
  if (token.isCancellationRequested) return Promise.reject(new Cancelled());
  return new Promise<T>((resolve, reject) => {
    const sub = token.onCancellationRequested(() => {
      sub.dispose();
      reject(new Cancelled());
    });
    work.then(
      (v) => (sub.dispose(), resolve(v)),
      (e: unknown) => (sub.dispose(), reject(e)),
    );
  });
}
