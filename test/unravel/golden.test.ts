// The hand-checkable cases of ALGORITHM.md, as data files in test/fixtures/golden (each says why its
// answer is right). One generic test runs them all: a new case needs a file, not code.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { densityMap, heatAt } from '../../src/heatmap/density';
import { removeOutliers, type Point } from '../../src/heatmap/outliers';
import type { ModelSpec } from '../helpers/onnx-build';
import { flatIndex, inputValues, multiIndex, walkModel } from '../helpers/walk';

const dir = path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'golden');

interface WalkCase { kind: 'walk'; why: string; model: ModelSpec; values: Record<string, number[]>; target: { output: string; index: number[] }; options?: Record<string, string>; expect: { input: string; fixations: number[][] } }
interface OutlierCase { kind: 'outliers'; why: string; width: number; height: number; points: Point[]; expectRemoved: Point[] }
interface HeatCase { kind: 'heatmap'; why: string; width: number; height: number; sigma: number; points: Point[]; expect: [number, number, number][]; tolerance: number }
type Case = WalkCase | OutlierCase | HeatCase;

describe('golden cases (ALGORITHM.md hand checks)', () => {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  it('finds the case files', () => assert.ok(files.length >= 10, `only ${files.length} cases in ${dir}`));
  for (const file of files) {
    const c = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Case;
    it(`${file}: ${c.why}`, () => {
      if (c.kind === 'walk') {
        const values = inputValues(c.model, c.values);
        const outDims = c.model.outputs.find((o) => o.name === c.target.output)!.dims as number[];
        const r = walkModel(c.model, values, c.target.output, flatIndex(outDims, c.target.index), c.expect.input, c.options);
        const got = Array.from(r.input.fixations, (f) => multiIndex(r.input.shape, f));
        assert.deepEqual(got, c.expect.fixations);
      } else if (c.kind === 'outliers') {
        const kept = removeOutliers(c.points, c.width, c.height);
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
