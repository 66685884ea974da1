// The VS Code entry point: registers commands and the panel serializer. Thin; the work lives in src/panels,
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
  /** Does what the progress notification's Cancel does for panel `id`; false when it runs nothing. */
  cancel(id: number): boolean;
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
  // disposed in this order: the panels release their explanations, the engine stops, and the log closes last
  context.subscriptions.push(
    ...registerCommands(services, new Pickers(context.workspaceState)),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: unknown) =>
        ExplainPanel.revive(services, panel, state).catch((e: unknown) => log.error(`restoring a panel failed: ${String(e)}`)),
    }),
    { dispose: () => ExplainPanel.disposeAll() },
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
    cancel: (id) => panel(id)?.controller.cancel() ?? false,
  };
}

export function deactivate(): void {
  engine?.dispose();
  engine = undefined;
}
