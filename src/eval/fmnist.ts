// The Fashion-MNIST localization benchmark: labels and true boxes are committed (eval/fmnist-loc/test.json);
// the canvases are rebuilt from Fashion-MNIST by scripts/fmnist/build_dataset.py into .cache/ and must
// match the committed sha256 bit for bit, so every run scores the same 1,000 images.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Box } from '../heatmap/box';

export interface Benchmark {
  readonly size: number;
  readonly count: number;
  readonly classes: readonly string[];
  readonly labels: readonly number[];
  readonly boxes: readonly Box[];
  /** count × size × size grey pixels, row-major. */
  readonly images: Uint8Array;
  readonly sha256: string;
}

interface Manifest {
  readonly seed: number;
  readonly size: number;
  readonly count: number;
  readonly classes: string[];
  readonly sha256: string;
  readonly labels: number[];
  readonly boxes: [number, number, number, number][];
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

function rebuild(root: string, cache: string, count: number): void {
  const script = path.join(root, 'scripts', 'fmnist', 'build_dataset.py');
  const r = spawnSync(python(), [script, '--out', cache, '--count', String(count)], { encoding: 'utf8' });
  if (r.error) throw new BenchmarkError(`cannot run ${python()} to build the benchmark images: ${r.error.message}. Set CNNFX_PYTHON to a Python 3 with numpy.`);
  if (r.status !== 0) throw new BenchmarkError(`building the benchmark images failed:\n${(r.stderr || r.stdout).trim()}`);
}

/** The first `count` canvases (all when undefined), rebuilt into .cache/fmnist-loc when missing or stale. */
export function loadBenchmark(count?: number, root = projectRoot()): Benchmark {
  const m = readJson<Manifest>(path.join(root, 'eval', 'fmnist-loc', 'test.json'));
  const n = Math.min(count ?? m.count, m.count);
  const cache = path.join(root, '.cache', 'fmnist-loc');
  const file = path.join(cache, 'images.u8');
  const bytes = m.count * m.size * m.size;
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  let data = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  if (!data || data.length !== bytes || digest(data) !== m.sha256) {
    rebuild(root, cache, m.count);
    data = fs.readFileSync(file);
    if (data.length !== bytes || digest(data) !== m.sha256) {
      throw new BenchmarkError(
        `the rebuilt canvases in ${file} differ from the committed benchmark (sha256 ${digest(data).slice(0, 12)}… ≠ ${m.sha256.slice(0, 12)}…): ` +
          'the Fashion-MNIST files or numpy’s random streams changed. Rebuild eval/fmnist-loc/test.json with scripts/fmnist/build_dataset.py and rerun the eval.',
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

/** Canvas i as RGBA (grey in all three channels), for PNG encoding and drawing. */
export function canvasRgba(b: Benchmark, i: number): Uint8Array {
  const plane = b.size * b.size;
  const rgba = new Uint8Array(plane * 4);
  for (let p = 0; p < plane; p++) {
    const v = b.images[i * plane + p];
    rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = v;
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}
