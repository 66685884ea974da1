// VGG-16's fully connected layers (the zoo's vgg16-op17: fc6 25088×4096 over the flattened pool5, fc7 4096×4096, the
// classifier fc8) in real walks: every Gemm step, the contrast start at the classifier included, gives the plain
// double loop's parents and masses to the last bit (test/helpers/fc-reference.ts, on the step's own activation,
// weights and fixations), for several classes and every mode, fc6 in both flatten modes, each class walked first
// after others on the same forward pass (a class switch, with the argmax choices kept). Then each walk with the
// WebAssembly scans equals the walk without them (the TypeScript loops), at every layer.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Explainer, topK, type ExplainOverrides } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { SessionCache } from '../../src/runtime/session';
import { defaultOps, wrapRules } from '../../src/unravel/ops';
import { columnSum, gemmProduct, isFlattenedSpatial, useFcSimd, type Product } from '../../src/unravel/rules/fc';
import type { Fixations, Rule, WalkContext } from '../../src/unravel/types';
import type { OnnxNode } from '../../src/onnx/graph';
import type { UnravelResult } from '../../src/unravel/walk';
import { plainProduct } from '../helpers/fc-reference';
import { isPartialZoo, zooDir } from './zoo';

/** One Gemm step checked: node, fixations in, parents out. */
interface Checked {
  readonly node: string;
  readonly contrast: boolean;
  readonly fixations: number;
  readonly parents: number;
}

/** The step's parents (and masses, when the walk carries them) against the plain loop's for fixations `index` with masses `mass`. */
function assertPlain(
  p: Product,
  ctx: WalkContext,
  aName: string,
  w: ArrayLike<number>,
  index: Int32Array,
  mass: Float64Array | undefined,
  got: Fixations | undefined,
  what: string,
): void {
  const mode = isFlattenedSpatial(aName, ctx) ? ctx.options.flattenMode : 'positive';
  const want = plainProduct(p, ctx.activation(aName), w, index, mode, mass);
  assert.ok(got, what);
  assert.deepEqual(Array.from(got.index), want.parents, `${what}: parents`);
  if (got.mass) assert.deepEqual(Array.from(got.mass), want.masses, `${what}: masses`);
}

/** Gemm's rule, each step compared with the plain loop as it runs while `on()`. */
function checkedGemm(rule: Rule, log: Checked[], on: () => boolean): Rule {
  const weighted = rule.weighted!;
  return {
    ...rule,
    back(node, outs, ctx) {
      const got = rule.back(node, outs, ctx);
      if (!on()) return got;
      const [aName, bName] = node.inputs;
      const p = gemmProduct(node, ctx.activation(aName).dims, ctx.shape(bName));
      assertPlain(p, ctx, aName, ctx.constants.float(bName)!, outs[0].index, outs[0].mass, got[0], node.name);
      assert.equal(Boolean(got[0]?.mass), Boolean(outs[0].mass), `${node.name}: masses carried`);
      log.push({ node: node.name, contrast: false, fixations: outs[0].index.length, parents: got[0]!.index.length });
      return got;
    },
    weighted: {
      ...weighted,
      back(node: OnnxNode, outs: readonly Fixations[], coefficients: ReadonlyMap<number, number>, ctx: WalkContext) {
        const got = weighted.back(node, outs, coefficients, ctx);
        if (!on()) return got;
        const [aName, bName] = node.inputs;
        const p = gemmProduct(node, ctx.shape(aName), ctx.shape(bName));
        const column = columnSum(ctx.constants.float(bName)!, p, Int32Array.from(coefficients.keys()), Float64Array.from(coefficients.values()));
        // The one fixation's row, with the contrast column as the only neuron.
        const row = Int32Array.of(Math.floor(outs[0].index[0] / p.n));
        assertPlain({ ...p, n: 1, bI: 1, bJ: 0 }, ctx, aName, column, row, outs[0].mass ?? Float64Array.of(1), got[0], `${node.name} (contrast)`);
        log.push({ node: node.name, contrast: true, fixations: 1, parents: got[0]!.index.length });
        return got;
      },
    },
  };
}

function assertSameWalk(got: UnravelResult, want: UnravelResult, what: string): void {
  assert.equal(got.layers.length, want.layers.length, what);
  got.layers.forEach((l, k) => {
    assert.deepEqual(l.fixations, want.layers[k].fixations, `${what}: ${l.node}`);
    assert.deepEqual(l.mass, want.layers[k].mass, `${what}: ${l.node} masses`);
    assert.deepEqual(l.notes, want.layers[k].notes, `${what}: ${l.node} notes`);
  });
  assert.deepEqual(got.input, want.input, `${what}: input`);
}

describe('VGG-16’s fully connected layers', () => {
  after(() => useFcSimd(true));

  it('vgg16-op17: every Gemm step is the plain double loop, first walk and class switch, every mode; with and without WebAssembly alike', async function () {
    this.timeout(900_000);
    const { dir, problem } = zooDir();
    if (!dir) throw new Error(problem);
    const file = path.join(dir, 'vgg16-op17.onnx');
    if (!fs.existsSync(file) && isPartialZoo(dir)) this.skip();
    const log: Checked[] = [];
    let checking = true;
    const ops = wrapRules(defaultOps, (rule, d) => (d.opType === 'Gemm' ? checkedGemm(rule, log, () => checking) : rule));
    const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache({}, ops));
    const classes = topK(e.probs, 3);
    const walks: { what: string; cls: number; overrides: ExplainOverrides }[] = [];
    for (const flattenMode of ['argmax', 'positive'] as const)
      for (const cls of classes)
        for (const overrides of [{ mode: 'paper' }, { mode: 'weighted' }, { mode: 'discriminative' }, { versus: classes.find((c) => c !== cls)! }] as const)
          walks.push({ what: `class ${cls}, ${JSON.stringify(overrides)}, flatten ${flattenMode}`, cls, overrides: { ...overrides, flattenMode } });
    const runs: Map<string, UnravelResult>[] = [];
    for (const simd of [true, false]) {
      assert.ok(useFcSimd(simd) || !simd, 'WebAssembly SIMD is available in Node');
      // The steps are checked against the plain loop with the WebAssembly scans; the walks without are compared below.
      checking = simd;
      // A fresh forward pass per side: the argmax choices kept on one are not the other's.
      const fresh = await e.again();
      runs.push(new Map(walks.map((w) => [w.what, fresh.explain(w.cls, w.overrides).unravel])));
    }
    for (const w of walks) assertSameWalk(runs[0].get(w.what)!, runs[1].get(w.what)!, `${w.what}: WebAssembly against TypeScript`);
    // fc6, fc7 and the classifier's contrast, with masses, in every walk that has them.
    const steps = new Set(log.map((c) => `${c.node}${c.contrast ? ' contrast' : ''}`));
    assert.ok(steps.size >= 4, `steps checked: ${[...steps].join(', ')}`);
    assert.ok(
      log.some((c) => c.fixations > 1000 && c.parents > 1000),
      'a step with thousands of fixations (fc7 under masses)',
    );
  });
});
