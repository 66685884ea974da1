// The hand-checkable cases of ALGORITHM.md, as data files in test/fixtures/golden (each says why its
// answer is right). One generic test runs them all: a new case needs a file, not code.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { densityMap, heatAt } from '../../src/heatmap/density';
import { keptByMass, type Point } from '../../src/heatmap/outliers';
import { classContrast } from '../../src/unravel/contrast';
import type { UnravelOptions } from '../../src/unravel/types';
import type { ModelSpec } from '../helpers/onnx-build';
import { flatIndex, inputValues, multiIndex, walkModel } from '../helpers/walk';

const dir = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'golden');

/** Walk options as data: conv/flatten modes, masses, and a class contrast ('others' with the logits, or 'versus' a class). */
interface WalkOptions {
  convMode?: UnravelOptions['convMode'];
  flattenMode?: UnravelOptions['flattenMode'];
  masses?: boolean;
  contrast?: 'others' | 'versus';
  logits?: number[];
  versus?: number;
}
interface WalkCase {
  kind: 'walk';
  why: string;
  model: ModelSpec;
  values: Record<string, number[]>;
  intermediates?: Record<string, { dims: number[]; values: number[] }>;
  target: { output: string; index: number[] };
  options?: WalkOptions;
  expect: { input: string; fixations: number[][]; masses?: number[]; tolerance?: number };
}
interface OutlierCase {
  kind: 'outliers';
  why: string;
  width: number;
  height: number;
  points: Point[];
  weights?: number[];
  expectRemoved: Point[];
}
interface HeatCase {
  kind: 'heatmap';
  why: string;
  width: number;
  height: number;
  sigma: number;
  points: Point[];
  expect: [number, number, number][];
  tolerance: number;
}
type Case = WalkCase | OutlierCase | HeatCase;

describe('golden cases (ALGORITHM.md hand checks)', () => {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort();
  it('finds the case files', () => assert.ok(files.length >= 10, `only ${files.length} cases in ${dir}`));
  for (const file of files) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Case;
    it(`${file}: ${c.why}`, () => {
      if (c.kind === 'walk') {
        const values = inputValues(c.model, c.values);
        for (const [name, t] of Object.entries(c.intermediates ?? {})) values[name] = { dims: t.dims, data: Float32Array.from(t.values) };
        const outDims = c.model.outputs.find((o) => o.name === c.target.output)!.dims as number[];
        const target = flatIndex(outDims, c.target.index);
        const { contrast, logits, versus, ...rest } = c.options ?? {};
        const options: Partial<UnravelOptions> = {
          ...rest,
          ...(contrast === 'others' ? { contrast: classContrast({ kind: 'others' }, target, logits!) } : {}),
          ...(contrast === 'versus'
            ? { contrast: classContrast({ kind: 'versus', versus: versus! }, target, new Float64Array(outDims.reduce((a, b) => a * b, 1))) }
            : {}),
        };
        const r = walkModel(c.model, values, c.target.output, target, c.expect.input, options);
        const got = Array.from(r.input.fixations, (f) => multiIndex(r.input.shape, f));
        assert.deepEqual(got, c.expect.fixations);
        if (c.expect.masses) {
          assert.ok(r.input.mass, 'the walk carried masses');
          const tol = c.expect.tolerance ?? 1e-9;
          c.expect.masses.forEach((m, i) =>
            assert.ok(Math.abs(r.input.mass![i] - m) <= tol, `mass of ${JSON.stringify(got[i])}: ${r.input.mass![i]}, expected ${m} ± ${tol}`),
          );
        } else {
          assert.equal(r.input.mass, undefined, 'no masses unless asked for');
        }
      } else if (c.kind === 'outliers') {
        const kept = keptByMass(c.points, c.weights, c.width, c.height).map((i) => c.points[i]);
        const removed = c.points.filter((p) => !kept.some((k) => k[0] === p[0] && k[1] === p[1]));
        assert.deepEqual(removed, c.expectRemoved);
      } else {
        const map = densityMap(c.points, c.width, c.height, c.sigma);
        for (const [x, y, v] of c.expect) {
          const got = heatAt(map, x, y);
          assert.ok(Math.abs(got - v) <= c.tolerance, `heat at (${x},${y}) = ${got.toFixed(4)}, expected ${v} ± ${c.tolerance}`);
        }
      }
    });
  }
});
