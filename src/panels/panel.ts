// One CNN Fixations panel in VS Code: the webview panel around a PanelController (controller.ts), which
// holds the panel's state and routes its messages. This adapter gives the controller what only VS Code
// has: the webview (HTML with CSP, its messages), the progress notification with Cancel, the workspace
// settings, the save dialog, file watching (re-explain when the model or image changes on disk), and the
// records that bring panels back after a reload; plus the lifecycle (createOrShow / revive / dispose).
import { statSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineClient } from '../engine/client';
import { PanelController, type ExplainSummary, type PanelHost, type PanelInfo, type Target } from './controller';
import { exportFilters } from './exporter';
import { panelHtml, webviewRoot } from './html';
import { panelKey, rememberPanel, stateToRestore, type PanelStore } from './restore';
import { runOptions } from './settings';
import { watchFile } from './watch';

export const VIEW_TYPE = 'cnnFixations.panel';

export type SaveDialog = (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;

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
    const existing = ExplainPanel.open.get(panelKey(target));
    if (existing) {
      existing.panel.reveal(undefined, false);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(VIEW_TYPE, ExplainPanel.title(target), column, ExplainPanel.options(services));
    return new ExplainPanel(services, panel, target);
  }

  /** A panel VS Code restored after a reload: explain again what it showed. */
  static async revive(services: Services, panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    const s = stateToRestore(services.panels, state, panel.title, (t) => ExplainPanel.open.has(panelKey(t)));
    if (!s || ExplainPanel.open.has(panelKey(s))) {
      if (!s) services.log.warn('a CNN Fixations panel came back without a usable state; closing it');
      panel.dispose();
      return;
    }
    panel.webview.options = ExplainPanel.options(services);
    const p = new ExplainPanel(services, panel, s);
    const shown = [
      `class ${s.classIndex}`,
      s.compareIndex !== undefined && `compared ${s.compareIndex}`,
      s.versusIndex !== undefined && `why not ${s.versusIndex}`,
      s.mode && `mode ${s.mode}`,
    ];
    services.log.info(`panel ${p.id}: restored after a reload (${shown.filter(Boolean).join(', ')})`);
    p.controller.restore(s);
    await p.run();
  }

  private static options(services: Services): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    // The panel loads only its bundle; the image travels as bytes in the messages.
    return { enableScripts: true, localResourceRoots: [webviewRoot(services.extensionUri)] };
  }

  /** `pelican.jpeg · mobilenetv2-12-int8`: the same image under two models gets two telling tabs. */
  static title(t: Target): string {
    return `${path.basename(t.imagePath)} · ${path.basename(t.modelPath).replace(/\.onnx$/i, '')}`;
  }

  readonly id = ExplainPanel.nextId++;
  readonly controller: PanelController;
  private readonly disposables: vscode.Disposable[] = [];
  private disposed = false;

  private constructor(
    private readonly services: Services,
    private readonly panel: vscode.WebviewPanel,
    readonly target: Target,
  ) {
    ExplainPanel.open.set(panelKey(target), this);
    this.controller = new PanelController(this.id, { modelPath: target.modelPath, imagePath: target.imagePath }, services.engine, this.host());
    panel.iconPath = vscode.Uri.joinPath(services.extensionUri, 'media', 'icon.png');
    panel.webview.html = panelHtml(panel.webview, services.extensionUri, ExplainPanel.title(target));
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => void this.controller.receive(m)),
      this.watch(target.modelPath, 'model'),
      this.watch(target.imagePath, 'image'),
    );
  }

  /** A new forward pass with the current settings, explaining the classes the panel shows (or the top-1). */
  run(): Promise<ExplainSummary> {
    return this.controller.run();
  }

  info(): PanelInfo {
    return this.controller.info();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (ExplainPanel.open.get(panelKey(this.target)) === this) ExplainPanel.open.delete(panelKey(this.target));
    this.panel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.controller.dispose();
  }

  /** What the controller gets from VS Code. */
  private host(): PanelHost {
    const { services, panel, target } = this;
    return {
      post: (m) => void panel.webview.postMessage(m).then(undefined, (e: unknown) => services.log.warn(`panel ${this.id}: postMessage failed: ${String(e)}`)),
      log: (level, message) => services.log[level](message),
      settings: () => runOptions(vscode.Uri.file(target.imagePath)),
      progress: async (title, work, cancel) =>
        await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, token) => {
          const sub = token.onCancellationRequested(cancel);
          try {
            progress.report({ message: `running ${path.basename(target.modelPath)}…` });
            return await work((message) => progress.report({ message }));
          } finally {
            sub.dispose();
          }
        }),
      saveAs: async (kind, suggested) => {
        const file = await services.saveDialog({
          title: `CNN Fixations: save the ${kind.toUpperCase()}`,
          defaultUri: vscode.Uri.file(suggested),
          filters: exportFilters[kind],
          saveLabel: 'Save',
        });
        return file?.fsPath;
      },
      remember: (state) => rememberPanel(services.panels, ExplainPanel.title(target), state),
    };
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
        await this.run();
        if (version() === before) return;
        kind = 'changed again';
      }
    };
    return watchFile(file, (kind) => void again(kind));
  }
}
