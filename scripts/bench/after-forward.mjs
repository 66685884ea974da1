// node --expose-gc [V8 FLAGS] scripts/bench/after-forward.mjs MODEL [RUNS] (after npm run compile-tests): why the walk
// costs more right after a forward than on its own (README, "Where the time goes"). In one process, in rounds, the
// CPU ms of one explanation of the top class (walk + heat map; process.cpuUsage, so V8's GC threads count) and the
// full (mark-compact) collections during it, when it runs: alone; after a forward that keeps the walk's tensors;
// after such a forward and a collection forced before the timer starts; after touching as many bytes as the forward
// keeps (caches evicted, nothing allocated); after a forced collection alone. Compare V8 flags by running it with and
// without them (the engine's are in src/engine/heap.ts). MODEL: a name in test-fixtures/real/models, or a path.
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { PerformanceObserver, constants } from 'node:perf_hooks';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const { Explainer } = require(path.join(out, 'explain.js'));
const { runForward } = require(path.join(out, 'runtime', 'session.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

(async () => {
  const [name, runsArg] = process.argv.slice(2);
  if (!name) throw new Error('name a model of test-fixtures/real/models (e.g. mobilenetv2-12-dequantized-fp32) or give its path');
  if (typeof globalThis.gc !== 'function') throw new Error('run it with node --expose-gc');
  const runs = Number(runsArg ?? 10);
  const file = name.endsWith('.onnx') ? name : fixturePath(`models/${name}.onnx`);
  const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] });
  const input = e.views[0].forward.values.get(e.spec.name);
  const feed = { name: e.spec.name, dims: input.dims, data: input.data };
  let bytes = 0;
  for (const v of e.views[0].forward.values.values()) bytes += v.data.byteLength;
  const junk = new Float32Array(bytes / 4);
  const majors = [], // start times of the full collections
    minors = []; // and of the scavenges
  new PerformanceObserver((list) => {
    for (const g of list.getEntries()) (g.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR ? majors : minors).push(g.startTime);
  }).observe({ entryTypes: ['gc'] });
  const before = {
    alone: async () => undefined,
    'after a forward': () => runForward(e.model, feed),
    'after a forward + gc()': async () => {
      await runForward(e.model, feed);
      globalThis.gc();
    },
    [`after touching ${(bytes / 2 ** 20).toFixed(0)} MB`]: async () => {
      for (let j = 0; j < junk.length; j += 4) junk[j] += 1;
    },
    'after gc() alone': async () => globalThis.gc(),
  };
  const t = Object.fromEntries(Object.keys(before).map((k) => [k, { cpu: [], majors: 0, minors: 0 }]));
  for (let i = 0; i < runs + 2; i++)
    for (const [k, f] of Object.entries(before)) {
      await f();
      const w = performance.now();
      const c = cpuMs();
      e.explain();
      const used = cpuMs() - c;
      const end = performance.now();
      await new Promise((r) => setTimeout(r, 0)); // the GC observer's entries arrive on a later tick
      if (i < 2) continue;
      t[k].cpu.push(used);
      t[k].majors += majors.filter((s) => s >= w && s <= end).length;
      t[k].minors += minors.filter((s) => s >= w && s <= end).length;
    }
  const flags = process.execArgv.filter((f) => f !== '--expose-gc').join(' ') || 'no V8 flags';
  console.log(
    `${path.basename(file)}: ${(bytes / 2 ** 20).toFixed(1)} MB kept; ${flags}; load ${os.loadavg()[0].toFixed(1)}; explain() CPU ms, median of ${runs}:`,
  );
  for (const [k, v] of Object.entries(t))
    console.log(`  ${k.padEnd(28)} ${median(v.cpu).toFixed(1).padStart(7)} ms  ${v.majors} mark-compacts, ${v.minors} scavenges`);
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
