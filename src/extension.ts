// The VS Code entry point: registers commands and the panel serializer. Thin; the work lives elsewhere.
import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Commands arrive with the extension issue.
}

export function deactivate(): void {}
