// The contrast column at a fully connected classifier (Σ_n c_n·W[:, n], src/unravel/rules/fc.ts) is kept per
// weight for the last few contrasts: a class switch back or a re-explanation reuses it. Reused or computed anew,
// the walk is the same, and another class's contrast is not taken for it.
import { strict as assert } from 'node:assert';
import { Explainer, topK } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { SessionCache } from '../../src/runtime/session';

describe('contrast column cache', () => {
  it('a class switch back reuses the column and walks as a fresh explainer does; the other class walks its own', async function () {
    this.timeout(120_000);
    const open = () =>
      Explainer.create(
        fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx'),
        { image: fixturePath('images/pelican.jpeg') },
        { labels: [], mode: 'discriminative' },
        new SessionCache(),
      );
    const e = await open();
    const [a, b] = topK(e.probs, 2);
    const first = e.explain(a).unravel;
    const other = e.explain(b).unravel;
    const versus = e.explain(a, { versus: b }).unravel;
    const again = e.explain(a).unravel;
    // A fresh explainer holds its own weights: nothing cached for them.
    const fresh = (await open()).explain(a).unravel;
    for (const got of [again, fresh]) {
      assert.equal(got.layers.length, first.layers.length);
      got.layers.forEach((l, k) => {
        assert.deepEqual(l.fixations, first.layers[k].fixations, l.node);
        assert.deepEqual(l.mass, first.layers[k].mass, `${l.node} masses`);
      });
    }
    const differs = (x: typeof first) =>
      x.layers.some((l, k) => l.fixations.length !== first.layers[k]?.fixations.length || l.mass?.some((m, i) => m !== first.layers[k].mass?.[i]));
    assert.ok(differs(other), 'the second class has its own contrast');
    assert.ok(differs(versus), 'a contrast against one class is not the contrast against all');
  });
});
