// topK against a full sort, ties included.
import { strict as assert } from 'node:assert';
import { topK } from '../src/explain';
import { rng } from './helpers/onnx-build';

describe('topK', () => {
  it('matches a full sort (ties to the lower index) for random and tied inputs', () => {
    const r = rng(7);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(r() * 40),
        k = 1 + Math.floor(r() * 8);
      const p = Array.from({ length: n }, () => Math.floor(r() * 5));
      const want = Array.from({ length: n }, (_, i) => i)
        .sort((a, b) => p[b] - p[a] || a - b)
        .slice(0, k);
      assert.deepEqual(topK(p, k), want, JSON.stringify({ p, k }));
    }
  });
});
