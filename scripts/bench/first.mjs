// node scripts/bench/first.mjs [--runs N] MODEL [WARMUP] (after npm run compile-tests): whether the first walk of a
// model in a fresh process (the bench's `first`, README) pays for V8 compiling the walk's code or for the model's own
// first reads (weights from the file, dequantized, transposed). Alternates N fresh processes that explain MODEL
// first thing with N that explain WARMUP (default: the shipped int8 MobileNetV2) before it, and prints the medians of
// MODEL's first explanation, by part. MODEL, WARMUP: a name in test-fixtures/real/models, a zoo name (resnet50-op17)
// or a path.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { modelPath } from './kept-model.mjs';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const { explainHeapFlags } = require(path.join(out, 'engine', 'heap.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

const args = process.argv.slice(2);
const child = args[0] === '--child';
if (child) {
  // one fresh process: [WARMUP's explanation,] then MODEL's, its timings on stdout
  const { Explainer } = require(path.join(out, 'explain.js'));
  const [, file, warm] = args;
  const image = { image: fixturePath('images/pelican.jpeg') };
  if (warm) (await Explainer.create(warm, image, { labels: [] })).explain();
  const t = (await Explainer.create(file, image, { labels: [] })).explain().json.timings;
  process.stdout.write(JSON.stringify(t) + '\n');
} else {
  const at = args.indexOf('--runs');
  const runs = at < 0 ? 5 : Number(args.splice(at, 2)[1]);
  const [name, warmName] = args;
  const file = modelPath(name);
  const warm = warmName ? modelPath(warmName) : fixturePath('models/mobilenetv2-12-int8.onnx');
  const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
  const firsts = { alone: [], [`after ${path.basename(warm)}`]: [] };
  for (let i = 0; i < runs; i++)
    for (const [k, extra] of [
      ['alone', []],
      [`after ${path.basename(warm)}`, [warm]],
    ]) {
      const r = spawnSync(process.execPath, [...explainHeapFlags, import.meta.filename, '--child', file, ...extra], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr.trim().split('\n').pop());
      firsts[k].push(JSON.parse(r.stdout.trim().split('\n').pop()));
    }
  console.log(`${path.basename(file)}: its first explanation in a fresh process, ms, medians of ${runs}`);
  for (const [k, ts] of Object.entries(firsts)) {
    const m = (f) =>
      median(ts.map((t) => t[f]))
        .toFixed(1)
        .padStart(6);
    console.log(
      `  ${k.padEnd(36)} open ${m('loadMs')}  preprocess ${m('preprocessMs')}  forward ${m('inferenceMs')}  unravel ${m('unravelMs')}  heat map ${m('heatmapMs')}`,
    );
    console.log(`  ${''.padEnd(36)} unravel each run: ${ts.map((t) => t.unravelMs.toFixed(0)).join(', ')}`);
  }
}
