// node scripts/bench/switch-cost.mjs [--rounds N] [--mode M] [--build DIR] MODEL... (after npm run compile-tests): the
// explanation and the class switch as the bench times them (README, "Where the time goes"), in one process per call, in
// rounds: per round 3 plain forwards, then 3 times: a fresh forward that keeps the tensors (Explainer.again), the top-1's
// walk and map on it (the bench's *unravel*; explainCpu: the CPU time of that explain()), and a class switch to a class
// not walked on that forward yet, the next in the ranking each time (the bench's *class switch*: the whole explain(), no
// forward; switchCpu its CPU time). Prints medians over the rounds and the load average: with other work on the machine,
// compare CPU times. --build: another compiled tree (an old build's out/src) for A/B runs of the same script. MODEL: a
// name in test-fixtures/real/models, a zoo name (resnet50-op17) or a path.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { modelPath } from './kept-model.mjs';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : args.splice(at, 2)[1];
};
const rounds = Number(option('--rounds', 7));
const mode = option('--mode', undefined); // undefined: the explainer's default, as the bench
const out = path.resolve(option('--build', path.join(import.meta.dirname, '..', '..', 'out', 'src')));
const ort = require('onnxruntime-node');
const { Explainer, topK } = require(path.join(out, 'explain.js'));
const { SessionCache } = require(path.join(out, 'runtime', 'session.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

/** CPU time (user + system, all threads of the process) since `from`, in ms: the figure that holds on a loaded machine. */
const cpuMs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

(async () => {
  if (!args.length) throw new Error('name one or more models, e.g. resnet50-op17 (the zoo) or mobilenetv2-12-dequantized-fp32');
  for (const name of args) {
    const file = modelPath(name);
    const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [], ...(mode ? { mode } : {}) }, new SessionCache());
    const input = e.forward.values.get(e.spec.name);
    const plain = await ort.InferenceSession.create(file);
    const plainFeed = { [e.spec.name]: new ort.Tensor(input.data instanceof Uint8Array ? 'uint8' : 'float32', input.data, input.dims) };
    const classes = topK(e.probs, Math.min(e.classCount, 3 * rounds + 2));
    const t = { plain: [], unravel: [], explainCpu: [], switch: [], switchCpu: [], switchUnravel: [], switchHeat: [] };
    // Warm-up: compile the code paths once (a forward, the top-1, a switch).
    (await e.again()).explain(classes[0]);
    e.explain(classes[1]);
    for (let r = 0, next = 1; r < rounds; r++) {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await plain.run(plainFeed);
        t.plain.push(performance.now() - t0);
      }
      for (let i = 0; i < 3; i++) {
        const fresh = await e.again();
        let c0 = process.cpuUsage();
        t.unravel.push(fresh.explain(classes[0]).json.timings.unravelMs);
        t.explainCpu.push(cpuMs(c0));
        const k = classes[next];
        next = (next % (classes.length - 1)) + 1;
        const t0 = performance.now();
        c0 = process.cpuUsage();
        const x = fresh.explain(k);
        t.switchCpu.push(cpuMs(c0));
        t.switch.push(performance.now() - t0);
        t.switchUnravel.push(x.json.timings.unravelMs);
        t.switchHeat.push(x.json.timings.heatmapMs);
      }
    }
    await plain.release();
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
    m.unravelXPlain = Number((m.unravel / m.plain).toFixed(2));
    console.log(name, mode ?? 'default mode', JSON.stringify(m), `load ${os.loadavg()[0].toFixed(1)}`);
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
