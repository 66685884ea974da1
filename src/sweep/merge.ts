// `cnn-fixations merge OUT1 OUT2 ... --out OUT`: the results of shards (each a folder a sweep wrote) joined
// into one folder, as if one machine had swept everything: every line once, sorted by path, then the same
// summary.json and report.html an unsharded run makes from its lines (summary.ts is independent of order).
// The shards must be of the same model (by content), folder, manifest, options and class names.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Shard, SweepLine, SweepMeta } from './record';
import { files, metaDifference, readLines, readMeta, ResultsError, writeWhole } from './results';
import { finishResults } from './run';
import type { SweepSummary } from './summary';

export interface MergeOutcome {
  readonly summary: SweepSummary;
  readonly lines: number;
  /** Shards of the same count that none of the inputs holds (empty when complete, or when an input is unsharded). */
  readonly missing: readonly Shard[];
  readonly warnings: readonly string[];
}

export async function mergeSweeps(inputs: readonly string[], out: string): Promise<MergeOutcome> {
  if (!inputs.length) throw new ResultsError('give the result folders to merge');
  const outAbs = path.resolve(out);
  if (inputs.some((i) => path.resolve(i) === outAbs)) throw new ResultsError(`--out ${out} is one of the folders to merge: write the merge to another folder`);
  const metas = inputs.map((i) => readMeta(i));
  const first = metas[0];
  metas.forEach((m, i) => {
    const d = metaDifference(first, m);
    if (d) throw new ResultsError(`${inputs[i]} is not a shard of the same sweep as ${inputs[0]}: ${d}`);
  });
  const warnings: string[] = [];
  const shards: Shard[] = [];
  let whole = false;
  metas.forEach((m, i) => {
    if (!m.shards) return void (whole = true);
    for (const s of m.shards) {
      if (shards.some((t) => t.index === s.index && t.count === s.count))
        throw new ResultsError(`shard ${s.index}/${s.count} is in more than one of the folders (again in ${inputs[i]})`);
      shards.push(s);
    }
  });
  const counts = new Set(shards.map((s) => s.count));
  if (counts.size > 1)
    throw new ResultsError(`the folders are shards of different splits (${[...counts].map((n) => `/${n}`).join(', ')}): merge shards of one split`);
  const n = [...counts][0];
  const missing =
    whole || n === undefined ? [] : Array.from({ length: n }, (_, index) => ({ index, count: n })).filter((s) => !shards.some((t) => t.index === s.index));
  const byPath = new Map<string, { line: SweepLine; from: string }>();
  inputs.forEach((dir) => {
    const { lines, torn } = readLines(path.join(dir, files.results));
    if (torn) warnings.push(`${dir}: its results.jsonl ends in an unfinished line (an interrupted sweep), left out`);
    if (!fs.existsSync(path.join(dir, files.summary)))
      warnings.push(`${dir}: the sweep did not finish (no summary.json); its images without a line are missing here`);
    for (const line of lines) {
      const seen = byPath.get(line.path);
      if (seen && seen.from !== dir && seen.line.sha256 !== line.sha256)
        throw new ResultsError(`${line.path} has different contents in ${seen.from} and ${dir}: were they swept from the same folder?`);
      if (!seen || seen.from === dir) byPath.set(line.path, { line, from: dir }); // within one folder, the last line of a path stands (a resume)
    }
  });
  const lines = [...byPath.values()].map((v) => v.line).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const meta: SweepMeta = { ...first, shards: whole ? null : [...shards].sort((a, b) => a.index - b.index) };
  fs.mkdirSync(out, { recursive: true });
  writeWhole(path.join(out, files.meta), JSON.stringify(meta, null, 1) + '\n');
  writeWhole(path.join(out, files.results), lines.map((l) => JSON.stringify(l) + '\n').join(''));
  // The shards' pictures of their mistakes: the merge draws only those missing, from the images.
  return { summary: (await finishResults(out, meta, lines, inputs)).summary, lines: lines.length, missing, warnings };
}
