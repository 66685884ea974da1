// The VS Code entry point: registers commands and the panels' serializers. Thin; the work lives in src/panels,
// and the pipeline in the engine process (src/engine), started on the first explanation.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineClient, EngineError } from './engine/client';
import type { EngineStats } from './engine/protocol';
import type { ToWebview } from './shared/protocol';
import { registerCommands } from './panels/commands';
import type { PanelInfo } from './panels/controller';
import { ExplainPanel, VIEW_TYPE, type SaveDialog, type Services } from './panels/panel';
import { Pickers } from './panels/pickers';
import { Sweeper } from './panels/sweep-command';
import { SWEEP_VIEW_TYPE, SweepView, type SweepViewInfo } from './panels/sweep-view';

/** What activate() returns in the extension's test mode only: a window for the integration tests onto the open panels. */
export interface CnnFixationsApi {
  panels(): PanelInfo[];
  /** Delivers `message` to panel `id` as if its webview had sent it; resolves to what the host posted back. */
  send(id: number, message: unknown): Promise<ToWebview[]>;
  /** Replaces the save dialog (undefined restores VS Code's). */
  setSaveDialog(dialog: SaveDialog | undefined): void;
  /** The engine process: its pid (undefined when none runs), how many have been started, its counters. */
  engine(): { pid: number | undefined; generation: number; stats: EngineStats | undefined };
  /** Tests (CNN_FIXATIONS_ENGINE_TEST=1): makes the engine abort as a native crash would; resolves once it is gone. */
  crashEngine(): Promise<string>;
  /** Tests: makes the engine stop answering (a loop that never returns), as a runaway native call would. */
  hangEngine(): void;
  /** Does what the progress notification's Cancel does for panel `id`; false when it runs nothing. */
  cancel(id: number): boolean;
  /** The open sweep views. */
  sweepViews(): SweepViewInfo[];
  /** Delivers `message` to the sweep view of folder `dir` as if its webview had sent it; resolves to the explanation panel it opened, if any. */
  sendSweepView(dir: string, message: unknown): Promise<PanelInfo | undefined>;
  /** Does what the sweep's progress notification's Cancel does; false when no sweep runs. */
  cancelSweep(): boolean;
  /** Does what VS Code's serializer does after a reload: a sweep view panel titled `title` brought back with `state`. */
  reviveSweepView(title: string, state: unknown): SweepViewInfo | undefined;
}

let engine: EngineClient | undefined;

export function activate(context: vscode.ExtensionContext): CnnFixationsApi | undefined {
  const log = vscode.window.createOutputChannel('CNN Fixations', { log: true });
  const client = new EngineClient({ enginePath: path.join(context.extensionPath, 'dist', 'engine.js'), log: (level, message) => log[level](message) });
  engine = client;
  const showSaveDialog: SaveDialog = (o) => vscode.window.showSaveDialog(o);
  // panel records on disk beside the workspace's storage (the extension host's own file system: a reload cannot outrun it)
  const storage = context.storageUri ?? context.globalStorageUri;
  const panels = { memento: context.workspaceState, file: storage.scheme === 'file' ? path.join(storage.fsPath, 'panels.json') : undefined };
  const services: Services = { extensionUri: context.extensionUri, log, engine: client, panels, saveDialog: showSaveDialog };
  const pickers = new Pickers(context.workspaceState);
  // sweeps' outputs: the extension's global storage (one folder per swept folder), never the user's folder (the
  // view's Export copies them out). Not the workspace's storage: in VS Code for the Web a browser reload can come back
  // with another workspace storage folder, and the sweep view it restores found its results gone (seen in e2e).
  const sweeper = new Sweeper(services, pickers, context.workspaceState, context.globalStorageUri.fsPath);
  // disposed in this order: the panels release their explanations, the engine stops, and the log closes last
  context.subscriptions.push(
    ...registerCommands(services, pickers, sweeper),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: unknown) =>
        ExplainPanel.revive(services, panel, state).catch((e: unknown) => log.error(`restoring a panel failed: ${String(e)}`)),
    }),
    vscode.window.registerWebviewPanelSerializer(SWEEP_VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: unknown) => {
        try {
          SweepView.revive(services, sweeper, panel, state);
        } catch (e) {
          log.error(`restoring a sweep view failed: ${String(e)}`);
        }
        return Promise.resolve();
      },
    }),
    { dispose: () => ExplainPanel.disposeAll() },
    { dispose: () => SweepView.all().forEach((v) => v.dispose()) },
    { dispose: () => client.dispose() },
    log,
  );
  log.info(`activated (extension host: node ${process.version}, ${process.platform}-${process.arch})`);
  // The test hooks (sending messages as the webview, replacing the save dialog, crashing the engine) exist
  // only when VS Code runs the extension's tests, never in an install.
  if (context.extensionMode !== vscode.ExtensionMode.Test) return undefined;
  const panel = (id: number) => ExplainPanel.all().find((x) => x.id === id);
  return {
    panels: () => ExplainPanel.all().map((p) => p.info()),
    send: (id, message) => panel(id)?.controller.receive(message) ?? Promise.reject(new Error(`no panel ${id}`)),
    setSaveDialog: (dialog) => {
      services.saveDialog = dialog ?? showSaveDialog;
    },
    engine: () => ({ pid: client.pid, generation: client.generation, stats: client.stats }),
    crashEngine: () =>
      client.crash().then(
        () => Promise.reject(new Error('the engine answered a crash request')),
        (e: unknown) => (e instanceof EngineError ? e.message : Promise.reject(e)),
      ),
    hangEngine: () => void client.crash('hang').catch(() => undefined),
    cancel: (id) => panel(id)?.controller.cancel() ?? false,
    sweepViews: () => SweepView.all().map((v) => v.info()),
    sendSweepView: async (dir, message) => {
      const view = SweepView.all().find((v) => v.info().dir === dir);
      if (!view) throw new Error(`no sweep view of ${dir}`);
      return (await view.receive(message))?.info();
    },
    cancelSweep: () => sweeper.cancel(),
    reviveSweepView: (title, state) => {
      const panel = vscode.window.createWebviewPanel(SWEEP_VIEW_TYPE, title, vscode.ViewColumn.Active);
      return SweepView.revive(services, sweeper, panel, state)?.info();
    },
  };
}

export function deactivate(): void {
  engine?.dispose();
  engine = undefined;
}
