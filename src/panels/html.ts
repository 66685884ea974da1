// The panel's HTML: an empty #app the webview bundle fills, its stylesheet and script from dist/webview,
// and a CSP that allows nothing else (scripts only with this load's nonce).
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { escapeHtml } from '../report/html';

export const webviewRoot = (extensionUri: vscode.Uri): vscode.Uri => vscode.Uri.joinPath(extensionUri, 'dist', 'webview');

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, title: string): string {
  const nonce = randomBytes(18).toString('base64url');
  const root = webviewRoot(extensionUri);
  const script = vscode.Uri.joinPath(root, 'main.js');
  const style = vscode.Uri.joinPath(root, 'main.css');
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} blob: data:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
  ].join('; ');
  // Without the bundle (a source checkout before `npm run build`) the panel says so instead of staying blank.
  const missing = fs.existsSync(script.fsPath)
    ? ''
    : "<p>The panel's user interface (dist/webview/main.js) is missing. Run <code>npm run build</code> and reopen the panel.</p>";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${webview.asWebviewUri(style)}">
<title>${escapeHtml(title)}</title>
</head>
<body>
<div id="app">${missing}</div>
<script nonce="${nonce}" src="${webview.asWebviewUri(script)}"></script>
</body>
</html>`;
}
