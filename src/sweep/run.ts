// A sweep from start to end, the same in the CLI and in the engine process (VS Code): check everything before
// any work (the model, the folder or manifest, every class name, the results folder) while the worker pool
// starts (its workers load onnxruntime and the model meanwhile), explain the images on it, append each line to results.jsonl as it finishes, then make summary.json and report.html
// from the lines. A stopped sweep keeps its lines; a resume skips every image already there (same path, same
// bytes). Merging shards (merge.ts) ends with the same finishing step, so its outputs are an unsharded run's.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { imagenetLabels } from '../labels';
import { loadModelFile } from '../onnx/load';
import { imageExtensions } from '../preprocess/formats';
import { imageInputSpec } from '../preprocess/input-spec';
import { renderSweepReport, type MistakeThumbnails } from '../report/sweep';
import type { RunOptions } from '../shared/settings';
import { DatasetError, imageFolderItems, manifestItems, type SweepItem } from './dataset';
import { defaultWorkerPath, startPool, type Pool } from './pool';
import { SWEEP_VERSION, type Shard, type SweepLine, type SweepMeta } from './record';
import { files, metaDifference, readLines, readMeta, ResultsError, writeWhole } from './results';
import { inShard } from './shard';
import { summarize, type SweepSummary } from './summary';
import { pictureFile, pictureKey, PICTURES, writePictures } from './pictures';
import { thumbnailsOf } from './thumbnails';
import { mark } from './timeline';

export interface SweepConfig {
  readonly model: string;
  readonly dir: string;
  readonly manifest?: string;
  readonly out: string;
  readonly options: RunOptions;
  readonly shard?: Shard;
  readonly jobs: number;
  /**
   * What to do with results already in `out`: refuse to touch them (the CLI without --resume), resume (they
   * must be of the same model, folder and options), replace them, or resume when they are of the same run and
   * replace them otherwise (VS Code, whose results folder is its own).
   */
  readonly existing: 'refuse' | 'resume' | 'replace' | 'resume-or-replace';
  /** dist/sweep-worker.js (default: beside this bundle). */
  readonly workerPath?: string;
}

export interface SweepProgress {
  /** Images explained in this run, and to explain in it (what a resume skipped is in neither). */
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
  readonly wrong: number;
  readonly errors: number;
  readonly elapsedMs: number;
}

export interface SweepHooks {
  progress?(p: SweepProgress): void;
  /** A line for the user (what is skipped, resumed, replaced). */
  log?(message: string): void;
  /** The finishing step began (summary, pictures of the mistakes, report). */
  finishing?(): void;
}

export interface SweepOutcome {
  readonly out: string;
  /** Undefined when the sweep was stopped before the end (its lines are kept: a resume finishes it). */
  readonly summary: SweepSummary | undefined;
  /** The listed mistakes' pictures, as the report shows them (empty when stopped). */
  readonly thumbs: MistakeThumbnails;
  readonly progress: SweepProgress;
}

/** A default for --jobs: one worker per core. */
export const defaultJobs = (): number => Math.max(1, os.availableParallelism?.() ?? os.cpus().length);

function sha256File(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0;) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

/** The number of classes from the model's first output (its last dimension), or the labels'. */
function classCountOf(model: string, labels: readonly string[] | undefined): number {
  const g = loadModelFile(model).graph;
  imageInputSpec(g); // a model without one image input fails here, before any image
  const dims = g.outputs[0]?.dims;
  const last = dims?.[dims.length - 1];
  if (typeof last === 'number' && last > 0) return last;
  if (labels?.length) return labels.length;
  throw new DatasetError(`the model's output '${g.outputs[0]?.name ?? '?'}' has no fixed number of classes: give --labels FILE (one class name per line)`);
}

export interface PreparedSweep {
  readonly meta: SweepMeta;
  readonly items: readonly SweepItem[];
  readonly todo: readonly SweepItem[];
  /** Lines kept from before (a resume): the images they are of are not explained again. */
  readonly kept: number;
}

/** Everything checked and decided before the first image: throws a DatasetError or ResultsError that says what is wrong. */
export function prepareSweep(c: SweepConfig, log: (message: string) => void = () => undefined): PreparedSweep {
  if (!fs.existsSync(c.model)) throw new DatasetError(`model file not found: ${c.model}`);
  const dir = path.resolve(c.dir);
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new DatasetError(`not a folder: ${c.dir}`);
  const classCount = classCountOf(c.model, c.options.labels);
  mark('model parsed');
  const labels = c.options.labels ?? (classCount === 1000 ? imagenetLabels() : undefined);
  const all = c.manifest ? manifestItems(c.manifest, dir, labels, classCount) : imageFolderItems(dir, labels, classCount);
  if (!all.length)
    throw new DatasetError(
      c.manifest
        ? `the manifest ${c.manifest} lists no images`
        : `no images under ${dir} (looked for ${imageExtensions.join(', ')} files in it and its sub-folders)`,
    );
  const items = all.filter((i) => inShard(i.rel, c.shard ?? null));
  mark(`dataset scanned: ${items.length} images`);
  const options = Object.fromEntries(Object.entries(c.options).filter(([k]) => k !== 'labels')) as SweepMeta['options'];
  const meta: SweepMeta = {
    version: SWEEP_VERSION,
    model: { path: path.resolve(c.model), sha256: sha256File(c.model) },
    dataset: { root: dir, manifest: c.manifest ? path.resolve(c.manifest) : null },
    labels: labels ?? null,
    classCount,
    options,
    shards: c.shard ? [c.shard] : null,
  };
  fs.mkdirSync(c.out, { recursive: true });
  const resultsFile = path.join(c.out, files.results);
  const before = fs.existsSync(path.join(c.out, files.meta)) || fs.existsSync(resultsFile);
  let resume = false;
  if (before) {
    const old = readMetaOrUndefined(c.out);
    const differs = old
      ? (metaDifference(old, meta) ?? (JSON.stringify(old.shards) !== JSON.stringify(meta.shards) ? 'the shard differs' : undefined))
      : 'its sweep.json is missing';
    if (c.existing === 'refuse')
      throw new ResultsError(`${c.out} already holds sweep results: --resume continues them, or choose another --out (or remove ${c.out})`);
    if (c.existing === 'resume' && differs)
      throw new ResultsError(`cannot resume the sweep in ${c.out}: ${differs}. Resume with the same model, folder and options, or choose another --out`);
    resume = c.existing === 'resume' || (c.existing === 'resume-or-replace' && !differs);
    if (!resume) {
      for (const f of [...Object.values(files), PICTURES]) fs.rmSync(path.join(c.out, f), { force: true, recursive: true });
      log(`replacing the results in ${c.out}${differs && c.existing === 'resume-or-replace' ? ` (${differs})` : ''}`);
    }
  }
  writeWhole(path.join(c.out, files.meta), JSON.stringify(meta, null, 1) + '\n');
  mark('model hashed, results folder ready');
  if (!resume) return { meta, items, todo: items, kept: 0 };
  const { lines, validBytes, torn } = readLines(resultsFile);
  if (torn) {
    fs.truncateSync(resultsFile, validBytes); // the line a killed run was writing
    log('dropped the last, unfinished line of results.jsonl');
  }
  const done = new Map(lines.filter((l) => l.sha256).map((l) => [l.path, l.sha256]));
  // Only images with a line of the same path are read here, to compare their bytes; the others go straight to work.
  const todo = items.filter((i) => done.get(i.rel) === undefined || done.get(i.rel) !== sha256FileOr(i.file));
  log(`resuming: ${items.length - todo.length} of ${items.length} images already have their line`);
  return { meta, items, todo, kept: items.length - todo.length };
}

function readMetaOrUndefined(dir: string): SweepMeta | undefined {
  try {
    return readMeta(dir);
  } catch {
    return undefined;
  }
}

function sha256FileOr(file: string): string | undefined {
  try {
    return sha256File(file);
  } catch {
    return undefined;
  }
}

/** The lines that stand: the last one of each path (a resumed image's new line replaces its old one), only of `paths` when given. */
export function standingLines(lines: readonly SweepLine[], paths?: ReadonlySet<string>): SweepLine[] {
  const last = new Map<string, SweepLine>();
  for (const l of lines) if (!paths || paths.has(l.path)) last.set(l.path, l);
  return [...last.values()];
}

/**
 * summary.json and report.html from the lines, and the listed mistakes' pictures (which it returns too): those
 * the workers drew, from `stored` results folders' pictures (`out`'s by default), the others from the images.
 */
export async function finishResults(
  out: string,
  meta: SweepMeta,
  lines: readonly SweepLine[],
  stored: readonly string[] = [out],
): Promise<{ readonly summary: SweepSummary; readonly thumbs: MistakeThumbnails }> {
  const summary = summarize(lines, meta);
  mark('summary');
  const thumbs = await thumbnailsOf(meta.dataset.root, summary.mistakes, new Map(lines.map((l) => [l.path, l])), stored, out);
  writeWhole(path.join(out, files.summary), JSON.stringify(summary, null, 1) + '\n');
  mark('pictures');
  writeWhole(path.join(out, files.report), renderSweepReport(summary, thumbs));
  mark('report written');
  return { summary, thumbs };
}

export async function runSweep(c: SweepConfig, hooks: SweepHooks = {}, signal?: AbortSignal): Promise<SweepOutcome> {
  // The workers start first: their start (onnxruntime, the model, a session) is most of a small sweep's time.
  const pool = startPool({
    workerPath: c.workerPath ?? defaultWorkerPath(),
    jobs: c.jobs,
    model: path.resolve(c.model),
    options: c.options,
    threads: Math.max(1, Math.floor(defaultJobs() / c.jobs)),
  });
  let prepared: PreparedSweep;
  try {
    prepared = prepareSweep(c, (m) => hooks.log?.(m));
  } catch (e) {
    await pool.close('kill');
    throw e;
  }
  const outcome = await sweepOn(pool, c, prepared, hooks, signal).catch(async (e: unknown) => {
    await pool.close('kill');
    throw e;
  });
  await pool.close(); // long since done: the workers were let go before the finishing step
  return outcome;
}

async function sweepOn(pool: Pool, c: SweepConfig, prepared: PreparedSweep, hooks: SweepHooks, signal?: AbortSignal): Promise<SweepOutcome> {
  const { meta, items, todo, kept } = prepared;
  const resultsFile = path.join(c.out, files.results);
  const fd = fs.openSync(resultsFile, 'a');
  const t0 = performance.now();
  let done = 0,
    wrong = 0,
    errors = 0;
  let fatal: string | undefined;
  const progress = (): SweepProgress => ({ done, total: todo.length, skipped: kept, wrong, errors, elapsedMs: performance.now() - t0 });
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let stopped: boolean;
  try {
    hooks.progress?.(progress());
    ({ stopped } = await pool.run(
      todo,
      {
        onResults: (results) => {
          let text = '';
          for (const { line, fatal: isFatal } of results) {
            if (isFatal) {
              fatal ??= line.error;
              stop.abort();
              break;
            }
            text += JSON.stringify(line) + '\n';
            done++;
            if (line.error) errors++;
            else if (line.correct === false) wrong++;
          }
          // One write of whole lines: an interrupted sweep leaves whole lines only.
          if (text) fs.writeSync(fd, text);
          hooks.progress?.(progress());
        },
      },
      stop.signal,
    ));
  } finally {
    fs.closeSync(fd);
    signal?.removeEventListener('abort', onAbort);
  }
  if (fatal) throw new DatasetError(`${fatal} (the sweep stopped: every image would fail the same way)`);
  const swept = progress();
  if (stopped) return { out: c.out, summary: undefined, thumbs: new Map(), progress: swept };
  hooks.finishing?.();
  const all = readLines(resultsFile).lines;
  const lines = standingLines(all, new Set(items.map((i) => i.rel)));
  // Lines replaced by a resume, or of images no longer in the folder: the file keeps only what the summary counts.
  if (lines.length !== all.length) writeWhole(resultsFile, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  await drawListed(pool, c.out, meta, lines);
  void pool.close(); // they exit while the summary and report are made
  return { out: c.out, ...(await finishResults(c.out, meta, lines)), progress: swept };
}

/**
 * The workers draw the pictures of the mistakes the report lists, once the list is known, those a resumed run
 * does not hold already. Drawn as each mistake came (while it could still be listed), a sweep drew 2–3 times
 * as many as it kept (239 for 100 on 3,000 images); what the workers do not draw, the finishing step does.
 */
async function drawListed(pool: Pool, out: string, meta: SweepMeta, lines: readonly SweepLine[]): Promise<void> {
  const byPath = new Map(lines.map((l) => [l.path, l]));
  const todo = summarize(lines, meta)
    .mistakes.map((m) => byPath.get(m.path))
    .filter((l): l is SweepLine => !!l && !fs.existsSync(pictureFile(out, pictureKey(l))));
  const drawn = await pool.draw(meta.dataset.root, todo);
  for (const l of todo) {
    const t = drawn.get(l.path);
    if (t && typeof t === 'object') writePictures(out, l, t);
  }
  mark('pictures drawn by the workers');
}
