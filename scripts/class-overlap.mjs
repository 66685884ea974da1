// How class-specific are the fixations? Explains one image for several classes through the CLI (its JSON
// contract) and prints, for each class against the first, how many input fixations they share (Jaccard of
// the sets) and how much of their mass (Σ min / Σ max of inputFixationWeights). With --versus, the first
// class is explained against each other one and that one against the first ("why A rather than B" both ways).
// `npm run eval` measures the same per mode and conv mode on every photo, with the maps' overlap as well.
//
//   node scripts/class-overlap.mjs MODEL IMAGE CLASS CLASS [CLASS ...] [--mode M] [--conv-mode C] [--versus]
//   (npm run build first; CNNFX_CLI=path/to/cli.js to use another build)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = process.env.CNNFX_CLI ?? join(repo, 'dist', 'cli.js');
const { values: o, positionals } = parseArgs({
  allowPositionals: true,
  options: { mode: { type: 'string' }, 'conv-mode': { type: 'string' }, versus: { type: 'boolean' } },
});
const [model, image, ...classes] = positionals;
if (!model || !image || classes.length < 2) {
  console.error('usage: node scripts/class-overlap.mjs MODEL IMAGE CLASS CLASS [CLASS ...] [--mode M] [--conv-mode C] [--versus]');
  process.exit(2);
}
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'class-overlap-'));
const settings = [...(o.mode ? ['--mode', o.mode] : []), ...(o['conv-mode'] ? ['--conv-mode', o['conv-mode']] : [])];

function explain(k, versus) {
  const out = join(tmp, `${k}-${versus ?? ''}.json`);
  const extra = versus === undefined ? [] : ['--versus', versus];
  const r = spawnSync(process.execPath, [cli, 'explain', model, image, '--class', k, ...settings, ...extra, '--json', out], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stderr.trim());
    process.exit(1);
  }
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  const weights = json.inputFixationWeights ?? json.inputFixations.map(() => 1 / json.inputFixations.length);
  return { k, label: json.target.label.split(',')[0], mode: json.settings.mode, mass: new Map(json.inputFixations.map((f, i) => [f.join(','), weights[i]])) };
}

function compare(a, b) {
  let shared = 0,
    lo = 0,
    hi = 0;
  for (const [f, m] of a.mass) {
    const n = b.mass.get(f);
    if (n !== undefined) shared++;
    lo += Math.min(m, n ?? 0);
    hi += Math.max(m, n ?? 0);
  }
  for (const [f, n] of b.mass) if (!a.mass.has(f)) hi += n;
  const jaccard = shared / (a.mass.size + b.mass.size - shared);
  return `${a.k} ${a.label} (${a.mass.size}) vs ${b.k} ${b.label} (${b.mass.size}), ${a.mode}: ${shared} shared, Jaccard ${jaccard.toFixed(2)}, of masses ${(lo / hi).toFixed(2)}`;
}

try {
  const [first, ...rest] = classes;
  if (o.versus) for (const k of rest) console.log(compare(explain(first, k), explain(k, first)));
  else {
    const a = explain(first);
    for (const k of rest) console.log(compare(a, explain(k)));
  }
} finally {
  fs.rmSync(tmp, { recursive: true, force: true });
}
