// The VS Code entry point: registers commands and the panel serializer. Thin; the work lives in src/panels.
import * as vscode from 'vscode';
import { SessionCache } from './runtime/session';
import type { ToWebview } from './shared/protocol';
import { registerCommands } from './panels/commands';
import type { SaveDialog } from './panels/exporter';
import { ExplainPanel, VIEW_TYPE, type Services } from './panels/panel';
import { Pickers } from './panels/pickers';

/** What activate() returns: a window for the integration tests onto the open panels. */
export interface CnnFixationsApi {
  panels(): ReturnType<ExplainPanel['info']>[];
  /** Delivers `message` to panel `id` as if its webview had sent it; resolves to what the host posted back. */
  send(id: number, message: unknown): Promise<ToWebview[]>;
  /** Replaces the save dialog (undefined restores VS Code's). */
  setSaveDialog(dialog: SaveDialog | undefined): void;
}

let cache: SessionCache | undefined;

export function activate(context: vscode.ExtensionContext): CnnFixationsApi {
  const log = vscode.window.createOutputChannel('CNN Fixations', { log: true });
  cache = new SessionCache();
  const showSaveDialog: SaveDialog = (o) => vscode.window.showSaveDialog(o);
  const services: Services = { extensionUri: context.extensionUri, log, cache, memento: context.workspaceState, saveDialog: showSaveDialog };
  context.subscriptions.push(
    log,
    ...registerCommands(services, new Pickers(context.workspaceState)),
    vscode.window.registerWebviewPanelSerializer(VIEW_TYPE, {
      deserializeWebviewPanel: (panel, state: unknown) =>
        ExplainPanel.revive(services, panel, state).catch((e: unknown) => log.error(`restoring a panel failed: ${String(e)}`)),
    }),
    { dispose: () => ExplainPanel.disposeAll() },
  );
  log.info(`activated (extension host: node ${process.version}, ${process.platform}-${process.arch})`);
  return {
    panels: () => ExplainPanel.all().map((p) => p.info()),
    send: (id, message) => {
      const p = ExplainPanel.all().find((x) => x.id === id);
      return p ? p.receive(message) : Promise.reject(new Error(`no panel ${id}`));
    },
    setSaveDialog: (dialog) => {
      services.saveDialog = dialog ?? showSaveDialog;
    },
  };
}

export async function deactivate(): Promise<void> {
  await cache?.dispose();
  cache = undefined;
}
