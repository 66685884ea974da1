/* global window, document, MutationObserver */
// The pieces the panel's Chromium tests and the development server share: the page (webview-ui/index.html
// under the panel's CSP), the static files it may load, VS Code themes as CSS variables, Chromium, and the
// real host (test/webview/host.ts, bundled by run.mjs) wired to a page through Playwright bindings.
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../scripts/vscode-server.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const HOST_BUNDLE = path.join(ROOT, 'out', 'webview-test', 'host.cjs');
export const SHOTS = path.join(ROOT, 'test-results', 'webview');
export const ORIGIN = 'http://cnnf.test';

/** The page, as the extension serves it: same markup, same CSP (cspSource = the origin), one nonce. */
export function renderPage({ origin = ORIGIN, nonce = 'cnnf-test-nonce', stub = true, cspExtra = '', bodyClass = 'vscode-dark' } = {}) {
  let html = readFileSync(path.join(ROOT, 'webview-ui', 'index.html'), 'utf8');
  if (!stub) html = html.replace(/^[ \t]*<script[^>]*vscode-stub\.js[^>]*><\/script>\n/m, '');
  return html.replaceAll('%CSP_SOURCE%', origin).replaceAll('%NONCE%', nonce).replaceAll('%CSP_EXTRA%', cspExtra).replaceAll('%BODY_CLASS%', bodyClass);
}

const types = { '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.html': 'text/html' };
const servable = ['dist/webview/', 'webview-ui/dev/'];

/** A file the page may load (the bundle and the stub), or undefined. */
export function staticFile(urlPath) {
  const rel = decodeURIComponent(urlPath).replace(/^\/+/, '');
  if (!servable.some((p) => rel.startsWith(p)) || rel.includes('..')) return undefined;
  const file = path.join(ROOT, rel);
  if (!existsSync(file)) return undefined;
  return { body: readFileSync(file), contentType: types[path.extname(file)] ?? 'application/octet-stream' };
}

/** VS Code sets its theme as CSS variables on <html> and a class on <body>; these are Light/Dark Modern's. */
export const themes = {
  dark: { kind: 'vscode-dark', vars: {} }, // the stylesheet's fallbacks are Dark Modern
  light: {
    kind: 'vscode-light',
    vars: {
      '--vscode-foreground': '#3b3b3b',
      '--vscode-descriptionForeground': '#717171',
      '--vscode-editor-background': '#ffffff',
      '--vscode-editorWidget-background': '#f8f8f8',
      '--vscode-panel-border': '#e5e5e5',
      '--vscode-focusBorder': '#005fb8',
      '--vscode-button-background': '#005fb8',
      '--vscode-button-foreground': '#ffffff',
      '--vscode-button-hoverBackground': '#0258a8',
      '--vscode-button-secondaryBackground': '#e5e5e5',
      '--vscode-button-secondaryForeground': '#3b3b3b',
      '--vscode-button-secondaryHoverBackground': '#cccccc',
      '--vscode-input-background': '#ffffff',
      '--vscode-input-foreground': '#3b3b3b',
      '--vscode-input-border': '#cecece',
      '--vscode-list-hoverBackground': '#f2f2f2',
      '--vscode-list-activeSelectionBackground': '#e8e8e8',
      '--vscode-list-activeSelectionForeground': '#000000',
      '--vscode-badge-background': '#cccccc',
      '--vscode-badge-foreground': '#3b3b3b',
      '--vscode-textCodeBlock-background': '#f0f0f0',
      '--vscode-errorForeground': '#f85149',
      '--vscode-inputValidation-errorBackground': '#f2dede',
      '--vscode-inputValidation-errorBorder': '#be1100',
      '--vscode-progressBar-background': '#005fb8',
      '--vscode-charts-blue': '#1a85ff',
      '--vscode-charts-purple': '#652d90',
    },
  },
};

export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

/** The bundled host module ({ DevHost }). */
export function loadHostModule() {
  if (!existsSync(HOST_BUNDLE)) throw new Error(`${HOST_BUNDLE} is missing: run the tests with node test/webview/run.mjs, which bundles it`);
  return createRequire(import.meta.url)(HOST_BUNDLE);
}

/** A real model or photo of the repository by name (`models/mnist-8.onnx`), through src/fixtures (bundled in the host). */
export function fixture(name) {
  return loadHostModule().fixturePath(name);
}

/**
 * A panel page in a fresh browser context, talking to `host` (a DevHost made with `sink` as its post).
 * With stub=false the page has no acquireVsCodeApi and the host is reached through window.cnnfHost, the
 * browser fallback of webview-ui/src/vscodeApi.ts.
 */
export async function openPanel(browser, sink, host, { width = 1280, height = 900, theme = 'dark', stub = true } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
  });
  const t = themes[theme];
  await page.addInitScript(
    ({ vars }) => {
      window.__csp = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
      // Init scripts run before <html> exists; VS Code sets these as soon as the document is there.
      const apply = () => {
        for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      };
      if (document.documentElement) apply();
      else new MutationObserver((_, o) => document.documentElement && (o.disconnect(), apply())).observe(document, { childList: true });
    },
    { vars: t.vars },
  );
  await page.route(`${ORIGIN}/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname === '/') return route.fulfill({ status: 200, contentType: 'text/html', body: renderPage({ stub, bodyClass: t.kind }) });
    const file = staticFile(url.pathname);
    return file ? route.fulfill({ status: 200, contentType: file.contentType, body: file.body }) : route.fulfill({ status: 404, body: 'not found' });
  });
  // Everything else (remote content) is refused: the panel must not need the network.
  await page.route(
    (url) => !url.href.startsWith(ORIGIN),
    (route) => {
      problems.push(`network request outside the panel: ${route.request().url()}`);
      return route.abort();
    },
  );
  const deliver = async (message) => {
    if (!page.isClosed()) await page.evaluate((m) => window.postMessage(m, '*'), message).catch(() => undefined);
  };
  sink.post = deliver;
  await page.exposeBinding(stub ? 'cnnfHostBinding' : 'cnnfHost', (_source, message) => host.handle(message));
  await page.goto(`${ORIGIN}/`);
  return { context, page, problems };
}

/** Problems the page reported: errors, CSP violations, refused requests. */
export async function pageProblems(panel) {
  const csp = panel.page.isClosed() ? [] : await panel.page.evaluate(() => window.__csp ?? []).catch(() => []);
  return [...panel.problems, ...csp.map((c) => `CSP violation: ${c}`)];
}

/** JSON with typed arrays as base64 (the stub's reviver turns them back). */
function encode(messages) {
  return JSON.stringify(messages, (_key, v) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView)
      ? { $typed: v.constructor.name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') }
      : v,
  );
}

/**
 * The development server: the page over HTTP on 127.0.0.1 (port 0 = any free one), the real host behind
 * POST /host. The CSP is the panel's plus connect-src 'self' for that one endpoint. Default: the shipped demo.
 */
export async function startDevServer({ port = 5173, model, image } = {}) {
  const { DevHost } = loadHostModule();
  const demo = path.join(ROOT, 'media', 'demo');
  model = path.resolve(model ?? path.join(demo, 'mobilenetv2-12-int8.onnx'));
  image = path.resolve(image ?? path.join(demo, 'pelican.jpeg'));
  let outbox = [];
  let queue = Promise.resolve();
  const host = new DevHost({ model, image, exportDir: path.join(SHOTS, 'exports') }, (m) => void outbox.push(m));
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const origin = `http://127.0.0.1:${server.address().port}`;
    if (req.method === 'POST' && url.pathname === '/host') {
      let body = '';
      for await (const chunk of req) body += chunk;
      // Messages are handled one at a time; the replies to each go back in its response.
      queue = queue.then(async () => {
        outbox = [];
        try {
          await host.handle(JSON.parse(body));
        } catch (e) {
          outbox.push({ type: 'error', title: 'The development host failed', message: String(e?.message ?? e) });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(encode(outbox));
      });
      return;
    }
    if (url.pathname === '/')
      return void res.writeHead(200, { 'content-type': 'text/html' }).end(renderPage({ origin, nonce: 'dev', cspExtra: "; connect-src 'self'" }));
    if (url.pathname === '/favicon.ico') return void res.writeHead(204).end();
    const file = staticFile(url.pathname);
    if (file) res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-store' }).end(file.body);
    else res.writeHead(404).end('not found');
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, host, model, image, url: `http://127.0.0.1:${server.address().port}` };
}
