// The contrast column at a fully connected classifier (src/unravel/rules/fc.ts, columnSum): Σ_t c_t·W[:, n_t], however
// its loops are arranged, is the plain loop's column to the last bit (Object.is, element by element) on a real
// classifier's weights and real contrasts: `others` from the model's logits, `versus`, a zero coefficient, counts of
// neurons that are not a multiple of the unrolling, both weight layouts. A zero coefficient on a neuron with an
// infinite weight still makes NaN, as the plain loop does.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import { Explainer, topK } from '../../src/explain';
import { fixturePath } from '../../src/fixtures';
import { parseModel } from '../../src/onnx/graph';
import { SessionCache } from '../../src/runtime/session';
import { classContrast } from '../../src/unravel/contrast';
import { columnSum, type Product } from '../../src/unravel/rules/fc';

/** The plain loops the rule ran before (the reference): per output element, the products added in the neurons' order. */
function plainColumn(w: ArrayLike<number>, p: Product, ns: Int32Array, cs: Float64Array): Float64Array {
  const column = new Float64Array(p.k);
  if (p.bJ === 1 && ns.length > p.n / 4) {
    const dense = new Float64Array(p.n);
    for (let t = 0; t < ns.length; t++) dense[ns[t]] += cs[t];
    for (let i = 0; i < p.k; i++) {
      let s = 0;
      for (let n = 0; n < p.n; n++) s += dense[n] * w[i * p.bI + n];
      column[i] = s;
    }
  } else if (p.bJ === 1) {
    for (let i = 0; i < p.k; i++) {
      let s = 0;
      for (let t = 0; t < ns.length; t++) s += cs[t] * w[i * p.bI + ns[t]];
      column[i] = s;
    }
  } else {
    for (let t = 0; t < ns.length; t++) for (let i = 0; i < p.k; i++) column[i] += cs[t] * w[ns[t] * p.bJ + i * p.bI];
  }
  return column;
}

function assertSameColumn(got: Float64Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, the plain loop's ${want[i]}`);
}

describe('contrast column', () => {
  it("equals the plain loop's column exactly on MobileNetV2's classifier, in both layouts, for real contrasts", async function () {
    this.timeout(120_000);
    const file = fixturePath('models/mobilenetv2-12-dequantized-fp32.onnx');
    const graph = parseModel(fs.readFileSync(file));
    const classifier = graph.nodes.find((n) => n.opType === 'MatMul' && graph.constants.get(n.input(1))?.dims.length === 2);
    assert.ok(classifier, 'the classifier is a MatMul by a constant 2-D weight');
    const wt = graph.constants.get(classifier.input(1))!;
    const [rows, cols] = wt.dims;
    const w = wt.data as ArrayLike<number>;
    assert.deepEqual([rows, cols, w.length], [1280, 1000, 1280 * 1000]);
    const e = await Explainer.create(file, { image: fixturePath('images/pelican.jpeg') }, { labels: [] }, new SessionCache());
    const [a, b] = topK(e.probs, 2);
    // The coefficients as the walk builds them: the target's 1, then the other classes' contrast.
    const contrasts: [string, Map<number, number>][] = [];
    for (const [what, c] of [
      ['others', classContrast({ kind: 'others' }, a, e.views[0].logits)],
      ['versus', classContrast({ kind: 'versus', versus: b }, a, e.views[0].logits)],
    ] as const) {
      const m = new Map([[a, 1]]);
      for (const [s, v] of c.coefficients) m.set(s, (m.get(s) ?? 0) + v);
      contrasts.push([what, m]);
    }
    const others = contrasts[0][1];
    assert.ok(others.size > 900, 'the contrast `others` has a coefficient for nearly every class');
    // Some zero coefficients, and 13 neurons (not a multiple of 8), in a scrambled order.
    const withZeros = new Map([...others].map(([s, v], i) => [s, i % 7 === 3 ? (i % 2 ? -0 : 0) : v]));
    const few = new Map([...others].filter(([s]) => s % 77 === 5).reverse());
    assert.equal(few.size, 13);
    contrasts.push(['others with zero coefficients', withZeros], ['13 neurons', few]);
    // The MatMul's layout [K, N] and the same values read as [N, K] (a Gemm with transB: a neuron's weights contiguous).
    const layouts: [string, Product][] = [
      ['W[k, n]', { m: 1, k: rows, n: cols, aM: rows, aI: 1, bI: cols, bJ: 1, sign: 1 }],
      ['W[n, k]', { m: 1, k: cols, n: rows, aM: cols, aI: 1, bI: 1, bJ: cols, sign: 1 }],
    ];
    for (const [layout, p] of layouts) {
      for (const [what, m] of contrasts) {
        const ns = Int32Array.from([...m.keys()].filter((s) => s < p.n));
        const cs = Float64Array.from(ns, (s) => m.get(s)!);
        assertSameColumn(columnSum(w, p, ns, cs), plainColumn(w, p, ns, cs), `${layout}, ${what}`);
      }
    }
    // A zero coefficient is left out only where its weights are finite: 0·∞ still makes NaN.
    const p = layouts[1][1];
    const inf = Float32Array.from(w);
    const [zeroAt] = [...withZeros].find(([, v]) => v === 0)!;
    inf[zeroAt * cols + 5] = Infinity;
    const ns = Int32Array.from(withZeros.keys());
    const cs = Float64Array.from(withZeros.values());
    const got = columnSum(inf, p, ns, cs);
    assert.ok(Number.isNaN(got[5]), 'the element with 0·∞ is NaN');
    assertSameColumn(got, plainColumn(inf, p, ns, cs), 'an infinite weight under a zero coefficient');
  });
});
