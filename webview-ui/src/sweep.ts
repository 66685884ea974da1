// The sweep view's script (dist/webview/sweep.js): the page is the sweep report itself (src/report/sweep.ts,
// rendered by the host), so all this does is turn clicks into messages: a mistake's button opens it in the
// explanation panel on "why predicted, not expected", the Export button asks where to copy the results.
import type { FromSweepView } from '../../src/shared/sweep-view';

declare function acquireVsCodeApi(): { postMessage(message: FromSweepView): void; setState(state: unknown): void };

const vscode = acquireVsCodeApi();
const state = (document.currentScript as HTMLScriptElement | null)?.dataset.state;
if (state) vscode.setState(JSON.parse(state));

document.addEventListener('click', (event) => {
  const button = (event.target as Element | null)?.closest('button');
  if (!button) return;
  const open = button.getAttribute('data-open');
  if (open !== null) vscode.postMessage({ type: 'openMistake', path: open });
  else if (button.hasAttribute('data-export')) vscode.postMessage({ type: 'export' });
});
