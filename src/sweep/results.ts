// A folder of sweep results on disk: sweep.json (what it is of), results.jsonl (a line per image, appended as
// each finishes), summary.json and report.html (made from the lines). Reading tolerates the torn last line
// a killed process can leave; a resume cuts it off before appending.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SWEEP_VERSION, type SweepLine, type SweepMeta } from './record';

export const files = { meta: 'sweep.json', results: 'results.jsonl', summary: 'summary.json', report: 'report.html' } as const;

/** A results folder that cannot be used (missing, from another model, unreadable): the message says which and why. */
export class ResultsError extends Error {}

export interface ReadLines {
  readonly lines: SweepLine[];
  /** Bytes of the file up to the end of its last whole line. */
  readonly validBytes: number;
  /** The file ended in a partial line (a process killed while writing it). */
  readonly torn: boolean;
}

export function readLines(file: string): ReadLines {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return { lines: [], validBytes: 0, torn: false };
  }
  const lines: SweepLine[] = [];
  let at = 0,
    n = 0;
  for (;;) {
    const end = text.indexOf('\n', at);
    if (end < 0) break;
    n++;
    const raw = text.slice(at, end);
    at = end + 1;
    if (!raw.trim()) continue;
    let line: SweepLine;
    try {
      line = JSON.parse(raw) as SweepLine;
    } catch {
      throw new ResultsError(`${file} line ${n} is not JSON: the file was changed by hand or by another program; remove that line or start again`);
    }
    if (typeof line?.path !== 'string') throw new ResultsError(`${file} line ${n} is not a sweep result (it has no path)`);
    lines.push(line);
  }
  return { lines, validBytes: Buffer.byteLength(text.slice(0, at)), torn: at < text.length };
}

export function readMeta(dir: string): SweepMeta {
  const file = path.join(dir, files.meta);
  let meta: SweepMeta;
  try {
    meta = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepMeta;
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ResultsError(missing ? `${dir} holds no sweep results (no ${files.meta})` : `${file} is not readable: ${(e as Error).message}`);
  }
  if (meta?.version !== SWEEP_VERSION)
    throw new ResultsError(`${file} is of sweep format version ${meta?.version}; this cnn-fixations reads version ${SWEEP_VERSION}`);
  return meta;
}

/** Writes a file whole or not at all (a temporary file renamed over it). */
export function writeWhole(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

const canonical = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x,
  );

/** What differs between two runs' descriptions that must agree (all but the shards), in words; undefined when they agree. */
export function metaDifference(a: SweepMeta, b: SweepMeta): string | undefined {
  if (a.model.sha256 !== b.model.sha256) return `the model differs (${a.model.path} vs ${b.model.path}, other contents)`;
  if (a.dataset.root !== b.dataset.root) return `the image folder differs (${a.dataset.root} vs ${b.dataset.root})`;
  if (a.dataset.manifest !== b.dataset.manifest) return `the manifest differs (${a.dataset.manifest ?? 'none'} vs ${b.dataset.manifest ?? 'none'})`;
  if (canonical(a.options) !== canonical(b.options)) return `the options differ (${canonical(a.options)} vs ${canonical(b.options)})`;
  if (canonical(a.labels) !== canonical(b.labels)) return 'the class names (labels) differ';
  return undefined;
}
