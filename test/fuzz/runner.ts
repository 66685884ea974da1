// Runs fuzz cases in its own process (test/fuzz/fuzz.test.ts forks it, so a crash, an out-of-memory death or a
// hang is seen from outside): each case through the pipeline as the CLI and the engine run it, one line per case on
// stdout (`FUZZ {json}`: a decoder may print lines of its own there): a result checked for sense (finite scores, points inside the picture, the HTML report with any
// label or metadata text escaped), or the failure as the panel would show it (src/engine/failure.ts).
import * as fs from 'node:fs';
import { toFailure } from '../../src/engine/failure';
import { Explainer } from '../../src/explain';
import { readLabels } from '../../src/labels';
import { exportRenderer } from '../../src/report/exports';
import { defaultOverlay } from '../../src/shared/overlay';
import type { FuzzCase } from './corpus';
import { HOSTILE } from './corpus';

export interface FuzzOutcome {
  readonly name: string;
  readonly outcome: 'ok' | 'error' | 'wrong';
  readonly kind?: string;
  readonly message?: string;
  readonly ms: number;
}

async function runCase(c: FuzzCase): Promise<Omit<FuzzOutcome, 'name' | 'ms'>> {
  try {
    const e = await Explainer.create(c.model, { image: c.image }, c.labels ? { labels: readLabels(c.labels) } : {});
    const x = e.explain();
    const r = x.json;
    const wrong: string[] = [];
    if (!r.predictions.every((p) => Number.isFinite(p.score) && p.score >= 0 && p.score <= 1)) wrong.push('a score that is not a probability');
    if (!r.points.every(([px, py]) => px >= 0 && py >= 0 && px < r.image.width && py < r.image.height)) wrong.push('a point outside the picture');
    const html = String(await exportRenderer(x, e.picture, defaultOverlay)('html'));
    if (html.includes(HOSTILE) || /<script>alert|<img src=x/.test(html)) wrong.push('unescaped label or metadata text in the HTML report');
    return wrong.length ? { outcome: 'wrong', message: wrong.join('; ') } : { outcome: 'ok' };
  } catch (err) {
    const f = toFailure(err);
    return { outcome: 'error', kind: f.kind, message: f.message };
  }
}

async function main(list: string): Promise<void> {
  const cases = JSON.parse(fs.readFileSync(list, 'utf8')) as FuzzCase[];
  for (const c of cases) {
    process.stdout.write(`\nFUZZ ${JSON.stringify({ start: c.name })}\n`);
    const t0 = performance.now();
    const r = await runCase(c);
    process.stdout.write(`\nFUZZ ${JSON.stringify({ name: c.name, ...r, ms: Math.round(performance.now() - t0) })}\n`);
  }
}

if (require.main === module) {
  main(process.argv[2]).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`fuzz runner: ${(e as Error)?.stack ?? String(e)}\n`);
      process.exit(3);
    },
  );
}
