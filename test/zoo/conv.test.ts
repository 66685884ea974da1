// DenseNet-121's convs (the zoo's densenet121-op17) in real walks: its 1×1 bottlenecks read inputs of up to 1024
// channels of which the walk's few fixations read a few positions, so the WebAssembly kernel reads them from a sparse
// copy (only those positions, src/unravel/wasm/conv.ts). Each walk with the kernel equals the walk without it (the
// TypeScript rule reading the planes in place): the same fixations, masses and notes at every layer, for several
// classes and modes, each class after the first a class switch on the same forward pass.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Explainer, topK, type ExplainOverrides } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { SessionCache } from '../../src/runtime/session';
import { useConvSimd } from '../../src/unravel/rules/conv-kernel';
import type { UnravelResult } from '../../src/unravel/walk';
import { convChannelKernel } from '../../src/unravel/wasm/conv';
import { isPartialZoo, zooDir } from './zoo';

describe('DenseNet-121’s convs', () => {
  after(() => useConvSimd(true));

  it('densenet121-op17: the walks with the WebAssembly kernel (sparse copies included) equal those without, every mode, class switches', async function () {
    this.timeout(900_000);
    const { dir, problem } = zooDir();
    if (!dir) throw new Error(problem);
    const file = path.join(dir, 'densenet121-op17.onnx');
    if (!fs.existsSync(file) && isPartialZoo(dir)) this.skip();
    const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache());
    const classes = topK(e.probs, 3);
    const walks: { what: string; cls: number; overrides: ExplainOverrides }[] = [];
    for (const cls of classes)
      for (const overrides of [{ mode: 'paper' }, { mode: 'weighted' }, { mode: 'discriminative' }, { versus: classes.find((c) => c !== cls)! }] as const)
        walks.push({ what: `class ${cls}, ${JSON.stringify(overrides)}`, cls, overrides });
    const arena = convChannelKernel!;
    const sparse = arena.sparse;
    let sparseLayers = 0;
    arena.sparse = (...args) => (sparseLayers++, sparse.apply(arena, args));
    const runs: Map<string, UnravelResult>[] = [];
    try {
      for (const simd of [true, false]) {
        assert.ok(useConvSimd(simd) || !simd, 'WebAssembly SIMD is available in Node');
        // A fresh forward pass per side: the choices kept on one (memo.ts) are not the other's.
        const fresh = await e.again();
        runs.push(new Map(walks.map((w) => [w.what, fresh.explain(w.cls, w.overrides).unravel])));
      }
    } finally {
      arena.sparse = sparse;
    }
    assert.ok(sparseLayers > 20, `layers read from a sparse copy: ${sparseLayers}`);
    for (const w of walks) {
      const [got, want] = [runs[0].get(w.what)!, runs[1].get(w.what)!];
      assert.equal(got.layers.length, want.layers.length, w.what);
      got.layers.forEach((l, k) => {
        assert.deepEqual(l.fixations, want.layers[k].fixations, `${w.what}: ${l.node}`);
        assert.deepEqual(l.mass, want.layers[k].mass, `${w.what}: ${l.node} masses`);
        assert.deepEqual(l.notes, want.layers[k].notes, `${w.what}: ${l.node} notes`);
      });
      assert.deepEqual(got.input, want.input, `${w.what}: input`);
    }
  });
});
