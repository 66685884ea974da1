// The overlap figures of the panel's compare and contrast captions (src/shared/overlap.ts), on maps small
// enough to check by hand.
import { strict as assert } from 'node:assert';
import { heatOverlap, histogramIntersection, sharedFixations } from '../../src/shared/overlap';

const grid = (data: number[], gridWidth = data.length, step = 4) => ({ gridWidth, gridHeight: data.length / gridWidth, step, data: Float32Array.from(data) });

describe('overlap of two explanations', () => {
  it('histogram intersection: 1 for the same map at any scale, 0 for disjoint maps, Σ min of the normalised maps between', () => {
    assert.equal(histogramIntersection([0, 1, 3], [0, 2, 6]), 1);
    assert.equal(histogramIntersection([1, 0, 0], [0, 0.5, 0.5]), 0);
    // [0.5, 0.5, 0, 0] and [0, 0.5, 0.5, 0]: they share 0.5 on the second cell
    assert.equal(histogramIntersection([1, 1, 0, 0], [0, 3, 3, 0]), 0.5);
    // [0.25, 0.75] and [0.6, 0.4]: min 0.25 + 0.4
    assert.ok(Math.abs(histogramIntersection([1, 3], [3, 2]) - 0.65) < 1e-12);
    assert.equal(histogramIntersection([1, 3], [3, 2]), histogramIntersection([3, 2], [1, 3]), 'symmetric');
  });

  it('an empty map overlaps nothing; negative values count as 0; maps of different sizes are refused', () => {
    assert.equal(histogramIntersection([0, 0], [1, 1]), 0);
    assert.equal(histogramIntersection([-1, 2], [0, 5]), 1);
    assert.throws(() => histogramIntersection([1, 2], [1, 2, 3]), /different sizes \(2 and 3\)/);
  });

  it('heat grids of one image: their intersection; grids of another sampling give no figure', () => {
    assert.equal(heatOverlap(grid([1, 1, 0, 0], 2), grid([0, 1, 1, 0], 2)), 0.5);
    assert.equal(heatOverlap(grid([1, 1, 0, 0], 2), grid([1, 1, 0, 0], 4)), undefined, 'another shape');
    assert.equal(heatOverlap(grid([1, 1], 2, 4), grid([1, 1], 2, 8)), undefined, 'another step');
  });

  it('counts the input fixations of one explanation that the other has too', () => {
    const a = [
      [0, 1, 2],
      [1, 1, 2],
      [0, 5, 5],
    ];
    assert.equal(
      sharedFixations(a, [
        [0, 1, 2],
        [0, 5, 5],
        [2, 0, 0],
      ]),
      2,
    );
    assert.equal(sharedFixations(a, []), 0);
  });
});
