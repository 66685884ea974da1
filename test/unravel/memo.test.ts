// The per-forward memo of the rules' choices (src/unravel/memo.ts): a walk that takes what earlier walks over the
// same forward chose is the walk made without the memo, layer for layer (fixations, masses, notes), whatever the
// order the classes and modes are walked in, and with the memo capped so that it stops growing part way. A new
// forward pass starts with nothing kept.
import { strict as assert } from 'node:assert';
import { Explainer, topK, type ExplainOverrides } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { SessionCache } from '../../src/runtime/session';
import { memoEntries, useChoiceMemo } from '../../src/unravel/memo';
import type { UnravelResult } from '../../src/unravel/walk';

interface Walked {
  readonly what: string;
  readonly cls: number;
  readonly overrides: ExplainOverrides;
}

/** The classes × modes a user can switch between on one forward: paper, weighted, discriminative, versus. */
function walksOf(classes: readonly number[]): Walked[] {
  const out: Walked[] = [];
  for (const cls of classes) {
    const versus = classes.find((c) => c !== cls)!;
    for (const overrides of [{ mode: 'paper' }, { mode: 'weighted' }, { mode: 'discriminative' }, { versus }] as const)
      out.push({ what: `class ${cls}, ${'versus' in overrides ? `versus ${versus}` : overrides.mode}`, cls, overrides });
  }
  return out;
}

function assertSameWalk(got: UnravelResult, want: UnravelResult, what: string): void {
  assert.equal(got.layers.length, want.layers.length, what);
  got.layers.forEach((l, k) => {
    const w = want.layers[k];
    assert.equal(l.tensor, w.tensor, what);
    assert.deepEqual(l.fixations, w.fixations, `${what}: ${l.node}`);
    assert.deepEqual(l.mass, w.mass, `${what}: ${l.node} masses`);
    assert.deepEqual(l.notes, w.notes, `${what}: ${l.node} notes`);
  });
  assert.deepEqual(got.input, want.input, `${what}: input`);
  assert.equal(got.contrastNode, want.contrastNode, what);
}

// Conv, Add, global pools and Gemm in float; the quantized ops (QLinearConv, QLinearAdd) through their float rules;
// ShuffleNet's MaxPool, channel shuffles and splits.
const models = ['mobilenetv2-12-dequantized-fp32', 'mobilenetv2-12-int8', 'shufflenet-v2-12-qdq'];

describe('the per-forward memo of the rules’ choices', () => {
  for (const name of models) {
    it(`${name}: walks with the memo, in any order and capped, are the walks without it`, async function () {
      this.timeout(300_000);
      const e = await Explainer.create(fixturePath(`models/${name}.onnx`), { image: fixturePath('images/dog.jpg') }, { labels: [] }, new SessionCache());
      const walks = walksOf(topK(e.probs, 3));
      const orders = [walks, [...walks].reverse(), walks.filter((_, i) => i % 2).concat(walks.filter((_, i) => i % 2 === 0))];
      const was = useChoiceMemo(false);
      try {
        // Each order on a fresh forward pass: walked first without the memo (which keeps nothing then), then with it,
        // from empty, as the classes come.
        for (const [limit, order] of [...orders.map((o) => [undefined, o] as const), [2000, orders[0]] as const]) {
          const fresh = await e.again();
          useChoiceMemo(false);
          const want = new Map(walks.map((w) => [w.what, fresh.explain(w.cls, w.overrides).unravel]));
          assert.equal(memoEntries(fresh.forward), 0, 'nothing kept with the memo off');
          useChoiceMemo(true, limit);
          for (const w of order)
            assertSameWalk(fresh.explain(w.cls, w.overrides).unravel, want.get(w.what)!, `${w.what}${limit ? `, memo capped at ${limit}` : ''}`);
          // Walked twice over, each class and mode takes its choices from the memo (all of them when not capped).
          for (const w of order) assertSameWalk(fresh.explain(w.cls, w.overrides).unravel, want.get(w.what)!, `${w.what} again`);
          const kept = memoEntries(fresh.forward);
          assert.ok(kept > 0 && kept <= (limit ?? Infinity), `${kept} fixations kept`);
          assert.equal(memoEntries((await fresh.again()).forward), 0, 'a new forward pass starts with nothing kept');
        }
      } finally {
        useChoiceMemo(was.on, was.limit);
      }
    });
  }
});
