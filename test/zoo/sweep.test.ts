// The coverage sweep: every fixture of the zoo explained on a real photo, through the CLI's own code path
// (Explainer in process, then dist/cli.js --json in a fresh process), with the checks of issue 3: the
// target is the argmax, every fixation at every layer lies inside its tensor, the input fixations are
// non-empty and inside the image, two runs agree, and conv / pool / concat / add steps never send more
// fixations than they received. Results (supported / error) go to results.json for the README table.
import * as assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Explainer, type Explanation } from '../../src/explain';
import { SessionCache } from '../../src/runtime/session';
import type { ExplanationJson } from '../../src/shared/result';
import { numel } from '../../src/unravel/tensor';
import { UnsupportedError } from '../../src/unravel/types';
import { argmax, fullyConnectedOps, loadManifest, nonGrowingOps, photos, recordingSends, repoRoot, zooDir, type Fixture, type StepSends } from './zoo';

const run = promisify(execFile);

/** Fixtures that are known to fail, with the op the error must name (documented in the README table). */
const expectedErrors: Record<string, { op: string; why: string }> = JSON.parse(
  fs.readFileSync(path.join(repoRoot, 'test', 'zoo', 'expected-errors.json'), 'utf8'),
);

export interface SweepResult {
  readonly name: string;
  readonly family: string;
  readonly kind: string;
  readonly opset: number;
  readonly variant: Fixture['variant'];
  readonly status: 'supported' | 'error' | 'export-error';
  readonly error?: string;
  readonly photo?: string;
  readonly target?: number;
  readonly layers?: number;
  readonly inputFixations?: number;
  readonly ms?: number;
}

function checkLayers(x: Explanation, e: Explainer): void {
  for (const l of x.unravel.layers) {
    const size = numel(l.shape);
    assert.equal(l.count, l.fixations.length, `${l.op} '${l.node}': count ${l.count} but ${l.fixations.length} fixations`);
    for (let i = 0; i < l.fixations.length; i++) {
      const f = l.fixations[i];
      if (!(f >= 0 && f < size)) assert.fail(`${l.op} '${l.node}' → '${l.tensor}': fixation ${f} outside shape [${l.shape.join(',')}]`);
      if (i > 0 && f <= l.fixations[i - 1]) assert.fail(`${l.op} '${l.node}': fixations not sorted and unique at ${i}`);
    }
    const kept = e.forward.values.get(l.tensor);
    if (kept) assert.deepEqual([...l.shape], [...kept.dims], `${l.op} '${l.node}': recorded shape differs from the runtime's`);
  }
}

function checkInput(x: Explanation, e: Explainer): void {
  const input = x.unravel.input;
  assert.ok(input.fixations.length > 0, 'no fixation reached the input');
  const size = numel(input.shape);
  for (const f of input.fixations) if (!(f >= 0 && f < size)) assert.fail(`input fixation ${f} outside [${input.shape.join(',')}]`);
  const dims = e.forward.values.get(e.spec.name)!.dims;
  const [c, h, w] = e.spec.layout === 'NHWC' ? [dims[3], dims[1], dims[2]] : [dims[1], dims[2], dims[3]];
  for (const [fc, fy, fx] of x.json.inputFixations) {
    if (!(fc >= 0 && fc < c && fy >= 0 && fy < h && fx >= 0 && fx < w)) assert.fail(`input fixation (${fc},${fy},${fx}) outside ${c}×${h}×${w}`);
  }
  assert.ok(x.json.points.length > 0, 'no input fixation maps back into the photo');
  const { width, height } = e.picture;
  for (const [px, py] of x.json.points) {
    if (!(px >= 0 && px < width && py >= 0 && py < height)) assert.fail(`point (${px},${py}) outside the ${width}×${height} photo`);
  }
}

/** Conv / pool / concat / add steps send at most as many fixations as they hold; only FC steps may grow. */
function checkCounts(steps: readonly StepSends[]): void {
  for (const { node, held, sends } of steps) {
    if (fullyConnectedOps.has(node.opType)) continue;
    for (const s of sends) assert.ok(s.count <= held, `${node.label} sent ${s.count} fixations to '${s.input}' from ${held}`);
    if (nonGrowingOps.has(node.opType)) {
      const total = sends.reduce((a, s) => a + s.count, 0);
      assert.ok(total <= held, `${node.label} sent ${total} fixations in all from ${held}`);
    }
  }
}

const cliLimit = 150e6;
const fileBytes = (f: Fixture) => (f.files ?? [f.file!]).reduce((a, n) => a + fs.statSync(path.join(dir!, n)).size, 0);

async function viaCli(file: string, photo: string): Promise<ExplanationJson> {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'zoo-cli-')), 'result.json');
  try {
    await run(process.execPath, [path.join(repoRoot, 'dist', 'cli.js'), 'explain', file, photo, '--json', out], { maxBuffer: 1 << 24 });
    return JSON.parse(fs.readFileSync(out, 'utf8')) as ExplanationJson;
  } finally {
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }
}

const { dir, problem } = zooDir();
const manifest = dir ? loadManifest(dir) : undefined;
const sweep = manifest?.fixtures.filter((f) => f.role === 'sweep') ?? [];
const results: SweepResult[] = [];

describe('zoo sweep: every architecture family explains correctly', function () {
  this.timeout(15 * 60_000);

  if (problem) {
    it('has the zoo', () => assert.fail(problem));
    return;
  }

  after(() => {
    fs.writeFileSync(path.join(dir!, 'results.json'), JSON.stringify({ version: 1, results }, null, 1) + '\n');
  });

  it('knows every expected error by a fixture of the manifest', () => {
    const names = new Set(sweep.map((f) => f.name));
    for (const name of Object.keys(expectedErrors)) assert.ok(names.has(name), `expected-errors.json names '${name}', which the zoo does not make`);
  });

  const pics = photos();
  sweep.forEach((f, i) => {
    it(f.name, async () => {
      const base = { name: f.name, family: f.family, kind: f.kind, opset: f.opset, variant: f.variant };
      const expected = expectedErrors[f.name];
      if (f.exportError) {
        results.push({ ...base, status: 'export-error', error: f.exportError });
        assert.ok(expected, `torch could not export ${f.name}: ${f.exportError}`);
        return;
      }
      const file = path.join(dir!, f.file!);
      const photo = pics[i % pics.length];
      const t0 = performance.now();
      const cache = new SessionCache();
      let e: Explainer, x: Explanation, steps: StepSends[];
      try {
        e = await Explainer.create(file, { image: photo }, {}, cache);
        ({ result: x, steps } = recordingSends(() => e.explain()));
      } catch (err) {
        await cache.dispose();
        const message = (err as Error).message;
        results.push({ ...base, status: 'error', error: message, photo: path.basename(photo) });
        if (!expected) throw err;
        assert.ok(err instanceof UnsupportedError, `expected an UnsupportedError naming ${expected.op}, got: ${message}`);
        assert.equal(err.opType, expected.op);
        assert.match(message, /cannot backtrack through \S+ node '.*'[\s\S]*path from the output: /, 'the error names op, node and path');
        return;
      }
      try {
        assert.ok(!expected, `${f.name} is listed in expected-errors.json but now explains: remove it from there`);
        assert.equal(x.json.target.index, argmax(e.scores), 'the explained class is the model’s argmax');
        checkLayers(x, e);
        checkInput(x, e);
        checkCounts(steps);
        // A second run: a new forward pass (the session is reused), every layer's fixations identical.
        const again = (await Explainer.create(file, { image: photo }, {}, cache)).explain();
        assert.equal(again.unravel.layers.length, x.unravel.layers.length, 'the second run walked a different number of steps');
        again.unravel.layers.forEach((l, k) => {
          const first = x.unravel.layers[k];
          assert.ok(l.tensor === first.tensor && l.fixations.length === first.fixations.length && l.fixations.every((v, j) => v === first.fixations[j]),
            `the second run differs at ${l.op} '${l.node}'`);
        });
        await cache.dispose();
        // A fresh process through the CLI: same class, same layers, same input fixations. Skipped for the
        // few models over 150 MB (AlexNet, VGG, Wide ResNet), where a second session costs most of the lane's time.
        if (fileBytes(f) <= cliLimit) {
          const cli = await viaCli(file, photo);
          assert.equal(cli.target.index, x.json.target.index, 'the CLI explains another class');
          assert.deepEqual(cli.layers.map((l) => [l.tensor, l.count]), x.json.layers.map((l) => [l.tensor, l.count]), 'the CLI run walked differently');
          assert.deepEqual(cli.inputFixations, x.json.inputFixations, 'the CLI run found other input fixations');
        }
      } catch (err) {
        await cache.dispose();
        results.push({ ...base, status: 'error', error: `check failed: ${(err as Error).message.split('\n')[0]}`, photo: path.basename(photo) });
        throw err;
      }
      results.push({
        ...base, status: 'supported', photo: path.basename(photo), target: x.json.target.index, layers: x.json.layers.length,
        inputFixations: x.json.inputFixations.length, ms: Math.round(performance.now() - t0),
      });
    });
  });
});
