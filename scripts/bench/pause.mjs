// node scripts/bench/pause.mjs [--runs N] [--rounds N] [--pauses 0,20,50] MODEL... (after npm run compile-tests):
// whether an explanation is slowed by the one before it (README, "Where the time goes"). The bench times its
// explanations back to back, each a fresh forward and a walk right after the last one's class switch; a user's
// click comes after an idle pause. Per model, in one process: the plain forward (onnxruntime's default session, as
// the bench's) and the explanation (a fresh forward that keeps the walk's tensors, the top-1's walk and map; then a
// class switch, untimed, as the bench runs it), each run after a pause of each length in turn (0: back to back), in
// blocks per pause length, the blocks alternated for N rounds. Prints wall medians and explain ÷ plain per pause.
// MODEL: a name in test-fixtures/real/models, a zoo name (resnet50-op17) or a path.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelPath } from './kept-model.mjs';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const ort = require('onnxruntime-node');
const { Explainer } = require(path.join(out, 'explain.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : args.splice(at, 2)[1];
};
const runs = Number(option('--runs', 10));
const rounds = Number(option('--rounds', 4));
const pauses = option('--pauses', '0,20,50').split(',').map(Number);
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const pause = (ms) => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());

for (const name of args) {
  const file = modelPath(name);
  const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] });
  const input = e.forward.values.get(e.spec.name);
  const plain = await ort.InferenceSession.create(file);
  const feed = { [e.spec.name]: new ort.Tensor(input.data instanceof Uint8Array ? 'uint8' : 'float32', input.data, input.dims) };
  const t = Object.fromEntries(pauses.map((p) => [p, { plain: [], explain: [] }]));
  let k = 0;
  const explainOnce = async () => {
    const w = performance.now();
    const fresh = await e.again();
    fresh.explain();
    const ms = performance.now() - w;
    fresh.explain(1 + (k++ % 5)); // the class switch the bench runs after each explanation
    return ms;
  };
  for (let r = 0; r < rounds; r++)
    for (const p of pauses) {
      for (let i = 0; i < runs + 2; i++) {
        await pause(p);
        const w = performance.now();
        await plain.run(feed);
        if (i >= 2) t[p].plain.push(performance.now() - w);
      }
      for (let i = 0; i < runs + 2; i++) {
        await pause(p);
        const ms = await explainOnce();
        if (i >= 2) t[p].explain.push(ms);
      }
    }
  await plain.release();
  console.log(`${path.basename(file)}: wall ms, medians of ${runs} × ${rounds} rounds, load ${os.loadavg()[0].toFixed(1)}`);
  for (const p of pauses) {
    const pl = median(t[p].plain),
      ex = median(t[p].explain);
    console.log(`  pause ${String(p).padStart(3)} ms: plain ${pl.toFixed(1).padStart(6)}  explain ${ex.toFixed(1).padStart(6)}  (${(ex / pl).toFixed(2)}×)`);
  }
}
