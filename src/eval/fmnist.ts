// The Fashion-MNIST benchmarks: one item per canvas (eval/fmnist-loc/test.json, 1,000 canvases) and two
// items of different classes per canvas (eval/fmnist-two/test.json, 500). Labels and true boxes are
// committed; the canvases are rebuilt from Fashion-MNIST by scripts/fmnist/build_dataset.py into .cache/
// and must match the committed sha256 bit for bit, so every run scores the same images.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Box } from '../heatmap/box';

/** Canvases rebuilt from a committed manifest: count × size × size grey pixels, row-major. */
export interface Canvases {
  readonly size: number;
  readonly count: number;
  readonly classes: readonly string[];
  readonly images: Uint8Array;
  readonly sha256: string;
}

/** One item per canvas (eval/fmnist-loc). */
export interface Benchmark extends Canvases {
  readonly labels: readonly number[];
  readonly boxes: readonly Box[];
}

/** Two items of different classes per canvas, boxes disjoint (eval/fmnist-two): labels[i] = [A, B], boxes[i] = [box A, box B]. */
export interface TwoObjectBenchmark extends Canvases {
  readonly labels: readonly (readonly [number, number])[];
  readonly boxes: readonly (readonly [Box, Box])[];
}

interface Manifest<L, B> {
  readonly seed: number;
  readonly size: number;
  readonly count: number;
  readonly classes: string[];
  readonly sha256: string;
  readonly labels: L[];
  readonly boxes: B[];
}

export class BenchmarkError extends Error {}

/** The project folder (holding eval/), found upwards from this file (dist/, out/src/eval/, src/eval/). */
export function projectRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'eval', 'fmnist-loc', 'test.json'))) return dir;
    dir = path.dirname(dir);
  }
  throw new BenchmarkError('cannot find eval/fmnist-loc/test.json above ' + __dirname + '; run from a checkout of the project');
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The Python that has numpy (Debian's /usr/bin/python3 here); override with CNNFX_PYTHON. */
export function python(): string {
  return process.env.CNNFX_PYTHON ?? (fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
}

/** The two sets: folder under eval/ (manifest test.json) and under .cache/ (images.u8), and build_dataset.py's flags. */
const sets = { 'fmnist-loc': [] as string[], 'fmnist-two': ['--two'] } as const;
type SetName = keyof typeof sets;

function rebuild(root: string, set: SetName, cache: string, count: number): void {
  const script = path.join(root, 'scripts', 'fmnist', 'build_dataset.py');
  const r = spawnSync(python(), [script, ...sets[set], '--out', cache, '--count', String(count)], { encoding: 'utf8' });
  if (r.error) throw new BenchmarkError(`cannot run ${python()} to build the benchmark images: ${r.error.message}. Set CNNFX_PYTHON to a Python 3 with numpy.`);
  if (r.status !== 0) throw new BenchmarkError(`building the benchmark images failed:\n${(r.stderr || r.stdout).trim()}`);
}

/** The first `count` canvases of a set (all when undefined), rebuilt into .cache/<set> when missing or stale. */
function loadSet<L, B>(set: SetName, count: number | undefined, root: string): Canvases & { labels: L[]; boxes: B[] } {
  const m = readJson<Manifest<L, B>>(path.join(root, 'eval', set, 'test.json'));
  const n = Math.min(count ?? m.count, m.count);
  const cache = path.join(root, '.cache', set);
  const file = path.join(cache, 'images.u8');
  const bytes = m.count * m.size * m.size;
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  let data = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  if (!data || data.length !== bytes || digest(data) !== m.sha256) {
    rebuild(root, set, cache, m.count);
    data = fs.readFileSync(file);
    if (data.length !== bytes || digest(data) !== m.sha256) {
      throw new BenchmarkError(
        `the rebuilt canvases in ${file} differ from the committed benchmark eval/${set}/test.json (sha256 ${digest(data).slice(0, 12)}… ≠ ${m.sha256.slice(0, 12)}…): ` +
          `the Fashion-MNIST files or numpy’s random streams changed. Rebuild the manifest with ${['scripts/fmnist/build_dataset.py', ...sets[set]].join(' ')} and rerun the eval.`,
      );
    }
  }
  const plane = m.size * m.size;
  return {
    size: m.size,
    count: n,
    classes: m.classes,
    labels: m.labels.slice(0, n),
    boxes: m.boxes.slice(0, n),
    images: new Uint8Array(data.buffer, data.byteOffset, n * plane),
    sha256: m.sha256,
  };
}

/** The first `count` one-item canvases (all 1,000 when undefined). */
export function loadBenchmark(count?: number, root = projectRoot()): Benchmark {
  return loadSet<number, Box>('fmnist-loc', count, root);
}

/** The first `count` two-object canvases (all 500 when undefined). */
export function loadTwoObjects(count?: number, root = projectRoot()): TwoObjectBenchmark {
  return loadSet<[number, number], [Box, Box]>('fmnist-two', count, root);
}

/** Canvas i as RGBA (grey in all three channels), for PNG encoding and drawing. */
export function canvasRgba(b: Canvases, i: number): Uint8Array {
  const plane = b.size * b.size;
  const rgba = new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    const v = b.images[i * plane + p];
    rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = v;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}
