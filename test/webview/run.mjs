// The panel's tests in headless Chromium against a real host (npm run test:webview, after npm run build):
// bundles test/webview/host.ts, then runs test/webview/panel.test.mjs with mocha. Screenshots go to
// test-results/webview/.
//
//   node test/webview/run.mjs                       the tests
//   node test/webview/run.mjs --serve [PORT]        the development page on http://127.0.0.1:PORT (default 5173)
//        [--model M.onnx] [--image I.jpg]            with another model or image (default: the shipped demo)
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Mocha from 'mocha';
import { HOST_BUNDLE, ROOT, SHOTS, loadHostModule, renderPage, staticFile } from './harness.mjs';

const { values: args } = parseArgs({
  options: { serve: { type: 'boolean' }, port: { type: 'string', default: '5173' }, model: { type: 'string' }, image: { type: 'string' }, grep: { type: 'string' } },
  allowPositionals: true,
});

if (!existsSync(path.join(ROOT, 'dist', 'webview', 'main.js'))) {
  console.error('dist/webview/main.js is missing: run npm run build first (npm run test:webview does).');
  process.exit(2);
}
await esbuild.build({
  entryPoints: [path.join(ROOT, 'test', 'webview', 'host.ts')],
  outfile: HOST_BUNDLE,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['onnxruntime-node'],
  sourcemap: 'inline',
  logLevel: 'warning',
});

if (args.serve) await serve();
else await test();

async function test() {
  mkdirSync(SHOTS, { recursive: true });
  const mocha = new Mocha({ timeout: 120_000, slow: 5_000, reporter: 'spec', ...(args.grep ? { grep: args.grep } : {}) });
  mocha.addFile(path.join(ROOT, 'test', 'webview', 'panel.test.mjs'));
  await mocha.loadFilesAsync();
  const failures = await new Promise((resolve) => mocha.run(resolve));
  process.exitCode = failures ? 1 : 0;
}

/** JSON with typed arrays as base64 (the stub's reviver turns them back). */
function encode(messages) {
  return JSON.stringify(messages, (_key, v) =>
    ArrayBuffer.isView(v) && !(v instanceof DataView) ? { $typed: v.constructor.name, base64: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') } : v,
  );
}

async function serve() {
  const { DevHost } = loadHostModule();
  const demo = path.join(ROOT, 'media', 'demo');
  const model = path.resolve(args.model ?? path.join(demo, 'mobilenetv2-12-int8.onnx'));
  const image = path.resolve(args.image ?? path.join(demo, 'pelican.jpeg'));
  let outbox = [];
  let queue = Promise.resolve();
  const host = new DevHost({ model, image, exportDir: path.join(ROOT, 'test-results', 'webview', 'exports') }, (m) => void outbox.push(m));
  const origin = `http://127.0.0.1:${args.port}`;
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', origin);
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
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(renderPage({ origin, nonce: 'dev', cspExtra: "; connect-src 'self'" }));
      return;
    }
    const file = staticFile(url.pathname);
    if (file) res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-store' }).end(file.body);
    else res.writeHead(404).end('not found');
  });
  server.listen(Number(args.port), '127.0.0.1', () => {
    console.log(`CNN Fixations panel: ${origin}/  (${path.basename(model)} on ${path.basename(image)}; rebuild with npm run build -- --watch; Ctrl+C stops)`);
  });
}
