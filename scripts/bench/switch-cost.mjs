// node scripts/bench/switch-cost.mjs [--rounds N] MODEL... (after npm run compile-tests): the unravel and the class
// switch as the bench times them (README, "Where the time goes"), in one process per call, in rounds: per round 3 plain
// forwards, 3 explanations of the top-1 each right after a forward that keeps the tensors (the bench's *unravel*;
// explainCpu: the CPU time of that whole explain()), and 3 switches to the second class and back (the bench's *class
// switch*: the whole explain(), no forward; switchCpu its CPU time). Prints medians over the rounds and the load average:
// with other work on the machine, compare CPU times. MODEL: a name in test-fixtures/real/models, a zoo name (resnet50-op17) or a path.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const ort = require('onnxruntime-node');
const { Explainer, topK } = require(path.join(out, 'explain.js'));
const { SessionCache, runForward } = require(path.join(out, 'runtime', 'session.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

/** CPU time (user + system, all threads of the process) since `from`, in ms: the figure that holds on a loaded machine. */
const cpuMs = (from) => {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1000;
};
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

function modelPath(name) {
  if (name.endsWith('.onnx')) return name;
  try {
    return fixturePath(`models/${name}.onnx`);
  } catch {
    // not a shipped model: the zoo's
  }
  const zoo = spawnSync(process.execPath, [path.join(import.meta.dirname, '..', 'zoo-fixtures.mjs'), '--check'], { encoding: 'utf8' }).stdout.trim();
  return path.join(zoo, `${name}.onnx`);
}

(async () => {
  const args = process.argv.slice(2);
  let rounds = 7;
  if (args[0] === '--rounds') [, rounds] = [args.shift(), Number(args.shift())];
  if (!args.length) throw new Error('name one or more models, e.g. resnet50-op17 (the zoo) or mobilenetv2-12-dequantized-fp32');
  for (const name of args) {
    const file = modelPath(name);
    const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache());
    const open = e.model;
    const input = e.forward.values.get(e.spec.name);
    const feed = { name: e.spec.name, dims: input.dims, data: input.data };
    const plain = await ort.InferenceSession.create(file);
    const plainFeed = { [feed.name]: new ort.Tensor(input.data instanceof Uint8Array ? 'uint8' : 'float32', input.data, input.dims) };
    const [first, second] = topK(e.probs, 2);
    const t = { plain: [], unravel: [], switch: [], switchCpu: [], switchUnravel: [], switchHeat: [], explainCpu: [] };
    e.explain(first);
    e.explain(second);
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        await plain.run(plainFeed);
        t.plain.push(performance.now() - t0);
      }
      for (let i = 0; i < 3; i++) {
        await runForward(open, feed);
        const c0 = process.cpuUsage();
        t.unravel.push(e.explain(first).json.timings.unravelMs);
        t.explainCpu.push(cpuMs(c0));
      }
      for (let i = 0; i < 6; i++) {
        const t0 = performance.now();
        const c0 = process.cpuUsage();
        const x = e.explain(i % 2 ? first : second);
        t.switchCpu.push(cpuMs(c0));
        t.switch.push(performance.now() - t0);
        t.switchUnravel.push(x.json.timings.unravelMs);
        t.switchHeat.push(x.json.timings.heatmapMs);
      }
    }
    await plain.release();
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
    m.unravelXPlain = Number((m.unravel / m.plain).toFixed(2));
    console.log(name, JSON.stringify(m), `load ${os.loadavg()[0].toFixed(1)}`);
  }
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
