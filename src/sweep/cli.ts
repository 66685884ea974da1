// `cnn-fixations sweep` and `cnn-fixations merge`: their arguments, help and output. The work is run.ts's and
// merge.ts's; this file turns flags into a SweepConfig, draws the progress, prints the summary, and makes
// Ctrl-C stop the workers and leave whole lines (exit 130; --resume finishes the sweep later).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { optionFlags, optionsHelp, runOptions, UsageError } from '../cli/options';
import { readLabels } from '../labels';
import { mergeSweeps } from './merge';
import { progressPrinter } from './progress';
import { files } from './results';
import { defaultJobs, runSweep, type SweepConfig } from './run';
import { parseShard } from './shard';
import type { SweepSummary } from './summary';
import { mark } from './timeline';

const sweepUsage = `Usage: cnn-fixations sweep [MODEL DIR] [options]

Explains every image of a labelled folder: which ones the model gets wrong, and for each mistake why the
predicted class rather than the expected one. With no MODEL and DIR, sweeps the demo: 300 Fashion-MNIST
canvases with the evaluation's classifier (eval/models/fmnist-gap.onnx), into ./cnn-fixations-sweep/.

Labels: one sub-folder per class (ImageFolder), named by a class's label or any of its synonyms
(great_white_shark), by its index (144), or by an index prefix (144_pelican); images directly in DIR are
unlabelled. Or a CSV manifest of path,label (paths relative to DIR). A folder or label that names no class
is an error listing the nearest labels, before any image is explained.

Outputs in OUT: results.jsonl (one line per image, written as each finishes), summary.json (accuracy,
confusions, the most confident mistakes), report.html (self-contained: the confusion table and the
mistakes' maps), sweep.json (what the results are of).

Options:
  --out DIR            where the outputs go (default ./cnn-fixations-sweep)
  --manifest FILE      a CSV of path,label instead of the folder layout
  --shard i/n          sweep only shard i of n (0 ≤ i < n): a fixed 1/n of the images by a hash of their path;
                       cnn-fixations merge joins the shards' outputs
  --jobs N             worker processes, each with its own session (default: the number of cores, ${defaultJobs()})
  --resume             continue the sweep in OUT: skip images already there (same path and contents)
${optionsHelp()}
  --debug              show stack traces
  -h, --help           this help

Merging shards:  cnn-fixations merge OUT1 OUT2 ... --out OUT`;

const mergeUsage = `Usage: cnn-fixations merge OUT1 OUT2 ... --out OUT

Joins the outputs of sweep shards (--shard i/n on several machines) into OUT: results.jsonl, and the
summary.json and report.html one unsharded sweep would have written. The shards must be of the same model,
folder and options. The images are read again (from the folder the shards swept) only to draw the pictures
of the mistakes in the report.

Options:
  --out DIR            where the merged outputs go (required)
  --debug              show stack traces
  -h, --help           this help`;

/** The demo: the committed Fashion-MNIST canvases and classifier, found above this bundle (dist/, out/src/sweep/). */
function demo(): { model: string; dir: string; labels: string } {
  let dir = __dirname;
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    const d = {
      model: path.join(dir, 'eval', 'models', 'fmnist-gap.onnx'),
      dir: path.join(dir, 'eval', 'fmnist-sweep', 'images'),
      labels: path.join(dir, 'eval', 'models', 'fmnist_labels.txt'),
    };
    if (fs.existsSync(d.model) && fs.existsSync(d.dir)) return d;
  }
  throw new UsageError('the sweep demo (eval/fmnist-sweep and eval/models) is not in this installation: give a MODEL and a DIR');
}

const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
const first = (l: string) => l.split(',')[0].trim();

/** What the sweep found, in a few lines. */
export function describeSummary(s: SweepSummary, out: string): string {
  const c = s.counts;
  const lines = [
    `images   ${c.images} (${c.labelled} labelled${c.unlabelled ? `, ${c.unlabelled} unlabelled` : ''}${c.errors ? `, ${c.errors} could not be explained` : ''})`,
    `accuracy top-1 ${pct(s.accuracy.top1)} · top-5 ${pct(s.accuracy.top5)} · ${c.wrong} wrong`,
  ];
  if (s.confusions.length)
    lines.push(
      `confused ${s.confusions
        .slice(0, 3)
        .map((x) => `${first(x.expected.label)} → ${first(x.predicted.label)} ×${x.count}`)
        .join(', ')}`,
    );
  const m = s.mistakes[0];
  if (m) lines.push(`worst    ${m.path}: ${first(m.predicted.label)} ${pct(m.confidence)}, expected ${first(m.expected.label)}`);
  lines.push(`wrote    ${[files.results, files.summary, files.report].map((f) => path.join(out, f)).join(', ')}`);
  return lines.join('\n');
}

function positiveInt(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 256) throw new UsageError(`${flag} takes a whole number from 1 to 256, got '${text}'`);
  return Number(text);
}

export async function sweepMain(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...optionFlags(),
      out: { type: 'string' },
      manifest: { type: 'string' },
      shard: { type: 'string' },
      jobs: { type: 'string' },
      resume: { type: 'boolean' },
      debug: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  mark('cli parsed');
  if (values.help) {
    console.log(sweepUsage);
    return 0;
  }
  if (positionals.length > 2) throw new UsageError(`too many arguments: ${positionals.slice(2).join(' ')}`);
  if (positionals.length === 1) throw new UsageError('give a DIR of images after the MODEL (or neither, for the demo)');
  let [model, dir] = positionals;
  let out = values.out;
  const options = runOptions(values);
  let existing: SweepConfig['existing'] = values.resume ? 'resume' : 'refuse';
  if (!model) {
    const d = demo();
    ({ model, dir } = d);
    out ??= 'cnn-fixations-sweep';
    // The demo's own folder: a second demo replaces the first.
    if (!values.resume) existing = 'replace';
    if (!options.labels) Object.assign(options, { labels: readLabels(d.labels) });
    console.log(`demo: sweeping ${path.relative(process.cwd(), dir) || dir} with ${path.basename(model)}; outputs go to ${path.resolve(out)}/`);
  }
  out ??= 'cnn-fixations-sweep';
  const shard = values.shard === undefined ? undefined : parseShard(values.shard);
  if (typeof shard === 'string') throw new UsageError(shard);
  const jobs = positiveInt(values.jobs, '--jobs', defaultJobs());
  const printer = progressPrinter(process.stderr);
  // Ctrl-C: stop the workers, keep the lines written (the workers, in the same process group, stop by themselves).
  const stop = new AbortController();
  const onSigint = () => {
    if (stop.signal.aborted) process.exit(130); // a second Ctrl-C: out now
    stop.abort();
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const r = await runSweep(
      { model, dir: dir!, manifest: values.manifest, out, options, shard, jobs, existing },
      { progress: (p) => printer.update(p), log: (m) => console.error(`sweep: ${m}`), finishing: () => printer.end() },
      stop.signal,
    );
    if (!r.summary) {
      printer.end();
      const p = r.progress;
      console.error(
        `interrupted after ${p.done} of ${p.total} images: ${path.join(out, files.results)} holds their lines; run the same command with --resume to finish`,
      );
      return 130;
    }
    const p = r.progress;
    const rate = p.elapsedMs > 0 ? (p.done / p.elapsedMs) * 1000 : 0;
    console.log(
      `swept    ${p.done} images in ${(p.elapsedMs / 1000).toFixed(1)} s (${rate.toFixed(1)} img/s, ${jobs} job${jobs > 1 ? 's' : ''})${p.skipped ? `; ${p.skipped} already done` : ''}`,
    );
    console.log(describeSummary(r.summary, out));
    return 0;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

export async function mergeMain(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: 'string' }, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(mergeUsage);
    return 0;
  }
  if (!values.out) throw new UsageError('merge needs --out DIR, the folder for the merged outputs');
  if (!positionals.length) throw new UsageError('give the result folders of the shards to merge');
  const r = await mergeSweeps(positionals, values.out);
  for (const w of r.warnings) console.error(`merge: ${w}`);
  if (r.missing.length)
    console.error(`merge: missing shard(s) ${r.missing.map((s) => `${s.index}/${s.count}`).join(', ')}: the merge covers only part of the images`);
  console.log(`merged   ${positionals.length} folders, ${r.lines} images`);
  console.log(describeSummary(r.summary, values.out));
  return 0;
}
