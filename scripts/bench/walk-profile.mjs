// node scripts/bench/walk-profile.mjs [--runs N] [--top K] [--table] MODEL... (after npm run compile-tests): where an
// explanation's walk and map spend their time (README, "Where the time goes"). Per model, in one process: N fresh
// forward passes (Explainer.again) and on each the top-1's walk and map (explain(), what the bench times as *unravel*
// and *heat map*), all under V8's sampling profiler (100 µs), only the samples inside explain() counted. Prints the
// mean per walk of each part, from the functions' self time, and the K functions that take the most. The profiler
// slows everything a little: compare the parts with each other, not with the bench's figures. MODEL: a name in
// test-fixtures/real/models, a zoo name (resnet50-op17) or a path.
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { modelPath } from './kept-model.mjs';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const { Explainer } = require(path.join(out, 'explain.js'));
const { SessionCache } = require(path.join(out, 'runtime', 'session.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at < 0 ? fallback : Number(args.splice(at, 2)[1]);
};
const runs = option('--runs', 30);
// --table: also a Markdown table of the parts, a row per model (the README's)
const table = args.includes('--table') && Boolean(args.splice(args.indexOf('--table'), 1));
const top = option('--top', 12);

/** The float and integer conv kernels' JavaScript side (src/unravel/wasm/conv.ts, qconv.ts). */
const convKernel = (f) => /unravel\/wasm\/q?conv\.js$/.test(f.url);
/**
 * The parts of a walk, first match wins: a WebAssembly function by its name (scripts/build-wasm.mjs names them after
 * their exports), JavaScript by its file under out/src.
 */
const parts = [
  [
    'conv channel choice (WebAssembly, its calls)',
    (f) => (f.wasm && /^(bestChannel|bestOne|lane)$/.test(f.name)) || (convKernel(f) && /^(best|lists|filter|useFilters)$/.test(f.name)),
  ],
  ['conv inputs copied channel-last', (f) => (f.wasm && /^(transpose|affineRows|bytes)$/.test(f.name)) || (convKernel(f) && f.name !== 'sum')],
  [
    'residual operands computed',
    (f) => (f.wasm && f.name === 'total') || /rules\/conv-values\.js$/.test(f.url) || f.name === 'convSums' || (convKernel(f) && f.name === 'sum'),
  ],
  ['fully connected (WebAssembly and its copies)', (f) => (f.wasm && /^(argmax|argmax32|sums|split)$/.test(f.name)) || /unravel\/wasm\/fc\.js$/.test(f.url)],
  ['rules in TypeScript', (f) => /unravel\/rules\//.test(f.url)],
  ['walk: fixation sets, memo, records', (f) => /unravel\//.test(f.url)],
  ['heat map', (f) => /heatmap\//.test(f.url)],
  ['garbage collector', (f) => f.name === '(garbage collector)'],
  ['the rest (result, checks, Node)', () => true],
];

/**
 * Self time (µs) per function of the samples taken inside Explainer.explain (the walk and the map; not the forward
 * passes between them), keyed by name and file. A garbage collection has no stack: it counts where the sample
 * before it was.
 */
function selfTimes(profile, into) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const inWalk = new Map();
  const walking = (id) => {
    if (!inWalk.has(id)) {
      const { functionName, url } = byId.get(id).callFrame;
      const up = parent.get(id);
      inWalk.set(id, (functionName === 'explain' && url.endsWith('/explain.js')) || (up !== undefined && walking(up)));
    }
    return inWalk.get(id);
  };
  let last = false;
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    if (functionName !== '(garbage collector)') last = walking(id);
    if (!last) return;
    const key = `${functionName || '(anonymous)'}\t${url}\t${lineNumber}`;
    into.set(key, (into.get(key) ?? 0) + profile.timeDeltas[i]);
  });
}

(async () => {
  if (!args.length) throw new Error('name one or more models, e.g. resnet50-op17 (the zoo) or mobilenetv2-12-dequantized-fp32');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  const tableRows = [];
  for (const name of args) {
    const file = modelPath(name); // a zoo name asks zoo-fixtures.mjs where its cache is: once
    const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache());
    // Compile the code paths with the profiler on: starting it makes V8 compile again what runs (with the source
    // positions it records), and the first walks after a start ran half again as long.
    await session.post('Profiler.start');
    for (let i = 0; i < 10; i++) (await e.again()).explain();
    await session.post('Profiler.stop');
    const self = new Map();
    let wall = 0;
    await session.post('Profiler.start');
    for (let i = 0; i < runs; i++) {
      const x = await e.again();
      const t0 = performance.now();
      x.explain();
      wall += performance.now() - t0;
    }
    selfTimes((await session.post('Profiler.stop')).profile, self);
    const sums = new Map(parts.map(([label]) => [label, 0]));
    let total = 0;
    const rows = [...self].map(([key, us]) => {
      const [fn, url, line] = key.split('\t');
      const f = { name: fn, url: url.replace(/\\/g, '/'), wasm: url.startsWith('wasm://') };
      const [label] = parts.find(([, match]) => match(f));
      sums.set(label, sums.get(label) + us);
      total += us;
      const file = f.wasm ? 'WebAssembly' : url ? `${path.relative(out, url.replace(/^file:\/\//, ''))}:${Number(line) + 1}` : 'native';
      return { us, text: `${fn} (${file})`, label };
    });
    const ms = (us) => (us / 1000 / runs).toFixed(2).padStart(7);
    console.log(`${path.basename(file, '.onnx')}: ${(wall / runs).toFixed(1)} ms per walk and map (profiled), ${ms(total).trim()} ms sampled`);
    for (const [label, us] of sums) if (us > 0) console.log(`  ${ms(us)} ms  ${label}`);
    console.log(`  the ${top} functions that take the most (self time per walk):`);
    for (const r of rows.sort((a, b) => b.us - a.us).slice(0, top)) console.log(`  ${ms(r.us)} ms  ${r.text}  [${r.label}]`);
    tableRows.push(
      `| ${path.basename(file, '.onnx')} | ${(wall / runs).toFixed(1)} | ${[...sums.values()].map((us) => (us > 0 ? ms(us).trim() : '–')).join(' | ')} |`,
    );
  }
  if (table) {
    console.log(`\n| model | walk and map (profiled) | ${parts.map(([label]) => label).join(' | ')} |`);
    console.log(`|---|---|${parts.map(() => '---|').join('')}`);
    for (const row of tableRows) console.log(row);
  }
  session.disconnect();
  process.exit(0);
})().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
