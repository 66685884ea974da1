// The panel's HTML as src/panels/html.ts writes it (the webview harness serves its own copy of the markup):
// its CSP allows nothing but the bundle's script with this load's nonce and the webview's own origin, no
// inline script or handler, no remote origin; the panel's resource root holds only the webview bundle.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { repo } from '../helpers/tmp';

// 'vscode' exists only inside VS Code; the HTML needs only Uri.joinPath from it (the webview is an argument)
interface FakeUri {
  readonly fsPath: string;
}
const vscode = { Uri: { joinPath: (base: FakeUri, ...parts: string[]): FakeUri => ({ fsPath: path.join(base.fsPath, ...parts) }) } };
const load = (Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown })._load;
(Module as unknown as { _load: typeof load })._load = (request, ...rest) => (request === 'vscode' ? vscode : load(request, ...rest));
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { panelHtml, webviewRoot } = require('../../src/panels/html') as typeof import('../../src/panels/html');

const ORIGIN = 'https://webview.test';
const webview = { cspSource: ORIGIN, asWebviewUri: (u: FakeUri) => `${ORIGIN}/${path.relative(repo, u.fsPath)}` };
const render = (title = 'pelican.jpeg · mobilenetv2-12-int8') => panelHtml(webview as never, { fsPath: repo } as never, title);

function csp(html: string): Map<string, string[]> {
  const metas = [...html.matchAll(/<meta http-equiv="Content-Security-Policy" content="([^"]*)">/g)];
  assert.equal(metas.length, 1, 'one CSP');
  return new Map(
    metas[0][1]
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...values]) => [name, values]),
  );
}

describe('panel HTML: the webview security audit', () => {
  it("allows scripts only by this load's nonce: no inline script, no handler attributes, no eval", () => {
    const html = render();
    const policy = csp(html);
    assert.deepEqual(policy.get('default-src'), ["'none'"]);
    const scriptSrc = policy.get('script-src')!;
    assert.equal(scriptSrc.length, 1);
    const nonce = /^'nonce-([A-Za-z0-9_-]+)'$/.exec(scriptSrc[0])?.[1];
    assert.ok(nonce && Buffer.from(nonce, 'base64url').length >= 16, `a nonce of 128 bits or more: ${scriptSrc[0]}`);
    const scripts = [...html.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, new RegExp(`nonce="${nonce}"`));
      assert.match(attrs, /src="https:\/\/webview\.test\/dist\/webview\/main\.js"/);
      assert.equal(body.trim(), '', 'no inline script');
    }
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no event handler attributes');
    for (const values of policy.values()) for (const v of values) assert.ok(!/unsafe-(inline|eval)|^\*$/.test(v), `nothing unsafe: ${v}`);
    assert.notEqual(/'nonce-([^']+)'/.exec(render())?.[1], nonce, 'a new nonce each load');
  });

  it("names no origin but the webview's own, and loads only the bundle's script and stylesheet", () => {
    const html = render();
    for (const values of csp(html).values()) for (const v of values) assert.ok(v === ORIGIN || /^'|^(blob|data):$/.test(v), `only the webview's origin: ${v}`);
    const urls = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls.sort(), [`${ORIGIN}/dist/webview/main.css`, `${ORIGIN}/dist/webview/main.js`]);
    assert.doesNotMatch(html, /https?:\/\/(?!webview\.test)/, 'no remote origin anywhere');
  });

  it("escapes the title (file names are the user's)", () => {
    const html = render('<img src=x onerror=alert(1)>.png · m');
    assert.match(html, /<title>&lt;img src=x onerror=alert\(1\)&gt;\.png · m<\/title>/);
  });

  it("the webviews' only resource root is dist/webview, which holds their bundles and nothing else", () => {
    assert.equal(webviewRoot({ fsPath: repo } as never).fsPath, path.join(repo, 'dist', 'webview'));
    const files = fs.readdirSync(path.join(repo, 'dist', 'webview')).filter((f) => !f.endsWith('.map'));
    // the explanation panel's bundle and stylesheet, and the sweep view's script
    assert.deepEqual(files.sort(), ['main.css', 'main.js', 'sweep.js']);
    for (const js of ['main.js', 'sweep.js']) {
      const bundle = fs.readFileSync(path.join(repo, 'dist', 'webview', js), 'utf8');
      assert.doesNotMatch(bundle, /\beval\(|new Function\(/, `no eval in ${js}`);
      assert.doesNotMatch(bundle, /(fetch|XMLHttpRequest|WebSocket|EventSource)\s*\(\s*['"`]https?:/, `no request to a remote origin in ${js}`);
    }
  });
});
