// The panel's tests in headless Chromium against a real host (npm run test:webview, after npm run build):
// bundles test/webview/host.ts, then runs test/webview/panel.test.mjs with mocha. Screenshots go to
// test-results/webview/.
//
//   node test/webview/run.mjs                       the tests
//   node test/webview/run.mjs --serve [PORT]        the development page on http://127.0.0.1:PORT (default 5173)
//        [--model M.onnx] [--image I.jpg]            with another model or image (default: the shipped demo)
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Mocha from 'mocha';
import { HOST_BUNDLE, ROOT, SHOTS, startDevServer } from './harness.mjs';

const { values: args } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    port: { type: 'string', default: '5173' },
    model: { type: 'string' },
    image: { type: 'string' },
    grep: { type: 'string' },
  },
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
  mocha.addFile(path.join(ROOT, 'test', 'webview', 'sweep.test.mjs'));
  await mocha.loadFilesAsync();
  const failures = await new Promise((resolve) => mocha.run(resolve));
  process.exitCode = failures ? 1 : 0;
}

async function serve() {
  const { url, model, image } = await startDevServer({ port: Number(args.port), model: args.model, image: args.image });
  console.log(`CNN Fixations panel: ${url}/  (${path.basename(model)} on ${path.basename(image)}; rebuild with npm run build -- --watch; Ctrl+C stops)`);
}
