// How class-specific are the fixations? Explains one image for several classes through the CLI (its JSON
// contract) and prints, for each class against the first, how many input fixations they share (Jaccard).
//
//   node scripts/class-overlap.mjs MODEL IMAGE CLASS [CLASS ...]     (npm run build first)
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [model, image, ...classes] = process.argv.slice(2);
if (!model || !image || classes.length < 2) {
  console.error('usage: node scripts/class-overlap.mjs MODEL IMAGE CLASS CLASS [CLASS ...]');
  process.exit(2);
}
const tmp = fs.mkdtempSync(join(os.tmpdir(), 'class-overlap-'));
const fixations = classes.map((k) => {
  const out = join(tmp, `${k}.json`);
  const r = spawnSync(process.execPath, [join(repo, 'dist', 'cli.js'), 'explain', model, image, '--class', k, '--json', out], { encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(r.stderr.trim());
    process.exit(1);
  }
  const json = JSON.parse(fs.readFileSync(out, 'utf8'));
  return { k, label: json.target.label, set: new Set(json.inputFixations.map((f) => f.join(','))) };
});
fs.rmSync(tmp, { recursive: true, force: true });
const [first, ...rest] = fixations;
for (const other of rest) {
  const shared = [...first.set].filter((f) => other.set.has(f)).length;
  const jaccard = shared / (first.set.size + other.set.size - shared);
  console.log(`${first.k} ${first.label} (${first.set.size}) vs ${other.k} ${other.label} (${other.set.size}): ${shared} shared, Jaccard ${jaccard.toFixed(2)}`);
}
