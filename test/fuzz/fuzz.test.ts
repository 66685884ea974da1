// The fuzz lane: the corpus (test/fuzz/corpus.ts: hand-made hostile files, then a seeded mutation run) through
// the pipeline in a child process (test/fuzz/runner.ts) with a heap cap. Each case must end in a correct result
// or a clear failure (a known kind, one line, no stack trace) within its time, the process must not die, and
// no input file may change.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tmpFile } from '../helpers/tmp';
import { writeCorpus, type FuzzCase } from './corpus';
import type { FuzzOutcome } from './runner';

/** The mutation run's size (FUZZ_MUTATIONS overrides). */
const MUTATIONS = Number(process.env.FUZZ_MUTATIONS ?? 300);
/** No case may take longer (a hang). */
const CASE_MS = 30_000;

const hashes = (dir: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const f = path.join(e.parentPath, e.name);
    out.set(f, crypto.createHash('sha256').update(fs.readFileSync(f)).digest('hex'));
  }
  return out;
};

/** Runs the cases in one child process; resolves with the outcomes, or the case it was on when it died or hung. */
function runAll(list: string): Promise<{ outcomes: FuzzOutcome[]; stray: string[]; died?: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--max-old-space-size=2048', path.join(__dirname, 'runner.js'), list], { stdio: ['ignore', 'pipe', 'pipe'] });
    const outcomes: FuzzOutcome[] = [],
      stray: string[] = [];
    let current = '',
      buffered = '',
      stderr = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve({ outcomes, stray, died: `hung on ${current} (no answer in ${CASE_MS / 1000} s)` });
      }, CASE_MS);
    };
    arm();
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
        const text = buffered.slice(0, i);
        buffered = buffered.slice(i + 1);
        if (!text.startsWith('FUZZ ')) {
          if (text) stray.push(`${current}: ${text}`);
          continue;
        }
        const line = JSON.parse(text.slice(5)) as FuzzOutcome & { start?: string };
        if (line.start) current = line.start;
        else outcomes.push(line);
        arm();
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ outcomes, stray, ...(code === 0 ? {} : { died: `the runner died (${signal ?? `exit ${code}`}) on ${current}: ${stderr.slice(-400)}` }) });
    });
  });
}

describe('fuzz: hostile models and images, and a seeded mutation run', function () {
  this.timeout(600_000);

  it(`every case ends in a correct result or a clear failure: no crash, no hang, no stack trace, no input changed (${MUTATIONS} mutants)`, async () => {
    const dir = path.dirname(tmpFile('fuzz/corpus/x'));
    const cases: FuzzCase[] = writeCorpus(dir, MUTATIONS);
    const list = tmpFile('fuzz/cases.json', JSON.stringify(cases));
    const before = hashes(dir);
    const t0 = Date.now();
    const { outcomes, stray, died } = await runAll(list);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(died, undefined, died);
    assert.equal(outcomes.length, cases.length);
    const byName = new Map(outcomes.map((o) => [o.name, o]));
    const problems: string[] = [];
    for (const c of cases) {
      const o = byName.get(c.name)!;
      if (o.outcome === 'wrong') problems.push(`${c.name}: a wrong result: ${o.message}`);
      else if (o.outcome === 'error' && (o.kind === 'unexpected' || /\n|\bat .+:\d+:\d+/.test(o.message ?? '')))
        problems.push(`${c.name}: not a clear failure (${o.kind}): ${o.message}`);
      else if (c.expect !== 'either' && o.outcome !== c.expect)
        problems.push(`${c.name}: expected ${c.expect}, got ${o.outcome}${o.message ? `: ${o.message}` : ''}`);
    }
    const after = hashes(dir);
    for (const [f, h] of before) if (after.get(f) !== h) problems.push(`${f} was changed`);
    for (const f of after.keys()) if (!before.has(f)) problems.push(`${f} was created`);
    const ok = outcomes.filter((o) => o.outcome === 'ok').length;
    const kinds = new Map<string, number>();
    for (const o of outcomes) if (o.kind) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    console.log(
      `      ${cases.length} cases in ${seconds.toFixed(1)} s (slowest ${Math.max(...outcomes.map((o) => o.ms))} ms): ${ok} explained, ` +
        `${outcomes.length - ok} refused (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')})`,
    );
    // omggif (jimp's GIF decoder) prints its warnings with console.log: noted, not failed
    if (stray.length) console.log(`      ${stray.length} lines printed by a decoder, e.g. ${stray[0]}`);
    assert.deepEqual(problems, []);
  });
});
