// Bundles the CLI, the extension host code, the explanation engine, the webview UI, the bench/eval tools and the
// fixtures' resolver with esbuild.
// onnxruntime-node stays external: its native binding loads from node_modules.
import * as esbuild from 'esbuild';
import { chmodSync, copyFileSync, existsSync, mkdirSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external: ['vscode', 'onnxruntime-node'],
  logLevel: 'warning',
};
/** The webviews' scripts: one self-contained file each, loaded under the panel's CSP. */
const browser = { bundle: true, platform: 'browser', target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'warning' };
const builds = [
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { ...node, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js' },
  // the explanation engine: the extension host forks it (src/engine/client.ts) and it runs the pipeline
  { ...node, entryPoints: ['src/engine/main.ts'], outfile: 'dist/engine.js' },
  // a sweep's worker process: the CLI and the engine fork them (src/sweep/pool.ts)
  { ...node, entryPoints: ['src/sweep/worker.ts'], outfile: 'dist/sweep-worker.js' },
  { ...node, entryPoints: ['src/bench/main.ts'], outfile: 'dist/bench.js' },
  { ...node, entryPoints: ['src/eval/main.ts'], outfile: 'dist/eval.js' },
  // the tests' real models and photos, for the .mjs scripts (src/fixtures: the manifest, made files)
  { ...node, entryPoints: ['src/fixtures/main.ts'], outfile: 'dist/fixtures.js' },
  { ...browser, entryPoints: ['webview-ui/src/main.ts'], outfile: 'dist/webview/main.js', loader: { '.css': 'css' } },
  // the sweep view's script: its page is the sweep report, rendered by the host
  { ...browser, entryPoints: ['webview-ui/src/sweep.ts'], outfile: 'dist/webview/sweep.js' },
].filter((b) => existsSync(b.entryPoints[0]));
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  chmodSync('dist/cli.js', 0o755);
}
// The JPEG, WebP and AVIF decoders' WebAssembly, beside the bundles that load it (src/preprocess/decode.ts)
mkdirSync('dist/codecs', { recursive: true });
for (const [pkg, f] of [
  ['webp', 'webp'],
  ['avif', 'avif'],
  ['jpeg', 'mozjpeg'],
])
  copyFileSync(`node_modules/@jsquash/${pkg}/codec/dec/${f}_dec.wasm`, `dist/codecs/${f}_dec.wasm`);
// and wasm-vips for big JPEGs at a reduced scale (src/preprocess/jpeg-scaled.ts): its script as it is, not bundled,
// because its worker threads run that file
for (const f of ['vips-node.js', 'vips.wasm']) copyFileSync(`node_modules/wasm-vips/lib/${f}`, `dist/codecs/${f}`);
