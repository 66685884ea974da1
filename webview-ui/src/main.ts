// The webview's entry (bundled to dist/webview/main.js, its CSS to dist/webview/main.css): builds the
// panel in #app, listens for the host's messages and says it is ready.
import './styles.css';
import { App } from './app';
import { hostBridge } from './vscodeApi';

function start(): void {
  const root = document.getElementById('app') ?? document.body.appendChild(document.createElement('div'));
  const bridge = hostBridge();
  const app = new App(root, bridge);
  window.addEventListener('message', (ev: MessageEvent) => app.receive(ev.data));
  app.ready();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
else start();
