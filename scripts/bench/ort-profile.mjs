// node scripts/bench/ort-profile.mjs MODEL [RUNS] (after npm run compile-tests): where keeping the walk's tensors costs
// onnxruntime's forward, per operator type (README, "Where the time goes"). onnxruntime's own profiler times every
// kernel of RUNS forwards of the plain model and of the model with the kept tensors as graph outputs (threads not
// spinning, as in the sessions that explain); the table gives the mean per forward of each op type in both, and the
// difference. Profiling adds its own overhead to every kernel: compare the two columns, not with the bench's
// figures. An op type onnxruntime adds (ReorderOutput: a tensor taken out of its blocked NCHWc layout to be
// returned; Add, Relu: fusions the outputs prevent) shows where the kept tensors cost inside the forward; the copies
// into JavaScript come after it and are not in this table (scripts/bench/kept-cost.mjs measures them).
// MODEL: a name in test-fixtures/real/models or a path.
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explainingOptions, keptModel } from './kept-model.mjs';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const ort = require('onnxruntime-node');
const { sessionBytes } = require(path.join(out, 'onnx', 'load.js'));

/** Mean kernel time per forward (ms) and node count per op type, from one session's profile of `runs` forwards. */
async function profile(model, expose, feed, fetches, runs) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-'));
  try {
    const session = await ort.InferenceSession.create(
      sessionBytes(model, expose),
      explainingOptions(model, { enableProfiling: true, profileFilePrefix: path.join(dir, 'p') }),
    );
    for (let i = 0; i < runs; i++) await session.run(feed, fetches);
    session.endProfiling();
    await session.release();
    const [file] = fs.readdirSync(dir);
    const events = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8'));
    const byOp = new Map();
    let forwards = 0;
    for (const e of events) {
      if (e.cat === 'Session' && e.name === 'model_run') forwards++;
      if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time')) continue;
      const o = byOp.get(e.args.op_name) ?? { nodes: new Set(), us: 0 };
      o.nodes.add(e.name);
      o.us += e.dur;
      byOp.set(e.args.op_name, o);
    }
    return new Map([...byOp].map(([op, o]) => [op, { nodes: o.nodes.size, ms: o.us / forwards / 1000 }]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  const [name, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg ?? 30);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`RUNS must be a positive integer, not ${runsArg}`);
  const { file, model, graph, plan, feed } = keptModel(name);
  // Both sessions return only the model's outputs: the kept ones are outputs of the graph (what blocks fusions and
  // layouts) without being copied into JavaScript.
  const fetches = graph.outputs.map((o) => o.name);
  const plain = await profile(model, [], feed, fetches, runs);
  const kept = await profile(model, plan.expose, feed, fetches, runs);
  const ops = [...new Set([...plain.keys(), ...kept.keys()])];
  const row = (op) => [op, plain.get(op) ?? { nodes: 0, ms: 0 }, kept.get(op) ?? { nodes: 0, ms: 0 }];
  const rows = ops.map(row).sort((a, b) => b[2].ms - b[1].ms - (a[2].ms - a[1].ms));
  const total = (m) => [...m.values()].reduce((s, o) => s + o.ms, 0);
  const cell = (o) => `${String(o.nodes).padStart(4)} ${o.ms.toFixed(2).padStart(7)}`;
  console.log(`${path.basename(file)}: ${plan.expose.length} kept tensors; kernel ms per forward (mean of ${runs}), nodes and ms`);
  console.log(`  ${'op type'.padEnd(26)} ${'plain'.padStart(12)} ${'kept'.padStart(12)} ${'kept − plain'.padStart(13)}`);
  for (const [op, p, k] of rows) console.log(`  ${op.padEnd(26)} ${cell(p)} ${cell(k)} ${(k.ms - p.ms).toFixed(2).padStart(13)}`);
  console.log(
    `  ${'all kernels'.padEnd(26)} ${total(plain).toFixed(2).padStart(12)} ${total(kept).toFixed(2).padStart(12)} ${(total(kept) - total(plain)).toFixed(2).padStart(13)}`,
  );
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
