// node scripts/bench/kept-cost.mjs MODEL [RUNS] (after npm run compile-tests): what the tensors the walk keeps cost
// onnxruntime's forward (README, "Where the time goes"). In one process, warm medians (rounds of 3 runs per variant) of: the plain model; the model
// with the kept tensors as graph outputs, all fetched (what an explanation runs); the same session fetching only
// the original outputs (the kept tensors still block fusions and layouts, but none is copied into JavaScript); and
// the kept set without each producer kind in turn. MODEL: a name in test-fixtures/real/models or a path.
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { explainingOptions, keptModel } from './kept-model.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const { sessionBytes } = require(path.join(out, 'onnx', 'load.js'));

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

(async () => {
  const [name, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg ?? 15);
  const { file, model, graph, plan, feed, outputs } = keptModel(name);
  const options = explainingOptions(model);
  const kinds = new Map();
  for (const t of plan.expose) {
    const k = graph.producer.get(t)?.opType ?? '?';
    kinds.set(k, [...(kinds.get(k) ?? []), t]);
  }
  const variants = [
    ['plain', [], undefined],
    ['kept', plan.expose, undefined],
    ['kept, outputs fetched only', plan.expose, outputs],
    ...[...kinds].map(([k, ts]) => [`kept without ${ts.length} ${k}`, plan.expose.filter((t) => !ts.includes(t)), undefined]),
  ];
  // All sessions open, run in rounds of a few runs each, so that a shared machine's load falls on every variant alike.
  const sessions = [];
  for (const [label, expose, fetches] of variants)
    sessions.push({ label, fetches, s: await ort.InferenceSession.create(sessionBytes(model, expose), options), t: [] });
  const first = await sessions[1].s.run(feed);
  const keptMb = Object.values(first).reduce((a, v) => a + v.data.byteLength, 0) / 2 ** 20;
  for (let i = 0; i < runs + 1; i++)
    for (const v of sessions) {
      const t0 = performance.now();
      for (let k = 0; k < 3; k++) await (v.fetches ? v.s.run(feed, v.fetches) : v.s.run(feed));
      if (i >= 1) v.t.push((performance.now() - t0) / 3);
    }
  for (const v of sessions) await v.s.release();
  const rows = sessions.map((v) => [v.label, median(v.t)]);
  const plain = rows[0][1];
  console.log(`${path.basename(file)}: ${plan.expose.length} kept tensors, ${keptMb.toFixed(1)} MB per forward`);
  for (const [label, ms] of rows) console.log(`  ${label.padEnd(34)} ${ms.toFixed(1).padStart(7)} ms  ${(ms / plain).toFixed(2)}× plain`);
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
