// The choice between two full-shape operands (Add/Sum/Max follow the larger, Min the smaller, ties to the first):
// the two-operand loop against the general one, on seeded values full of ties, zeros of both signs, infinities and
// NaN, float and quantized (uint8 with a scale and a zero point), both signs.
import { strict as assert } from 'node:assert';
import { seededRandom } from '../../../src/eval/metrics';
import { choose, choosePair } from '../../../src/unravel/rules/binary';
import { valuesAt, type Activation } from '../../../src/unravel/tensor';

describe('binary rules: the choice between two operands', () => {
  const r = seededRandom(20261202);
  const n = 4000;
  const special = [NaN, Infinity, -Infinity, 0, -0, 1, -1];
  const floats = (): Float32Array => Float32Array.from({ length: n }, () => (r() < 0.3 ? special[Math.floor(r() * special.length)] : Math.round(r() * 8 - 4)));
  const fixations = Int32Array.from({ length: n }, (_, i) => i).filter(() => r() < 0.7);

  for (const sign of [1, -1]) {
    it(`float operands, ${sign > 0 ? 'the larger' : 'the smaller'}: the same operand as the general loop for every fixation`, () => {
      for (let trial = 0; trial < 20; trial++) {
        const a: Activation = { dims: [n], data: floats(), scale: 1, zero: 0 };
        const b: Activation = { dims: [n], data: floats(), scale: 1, zero: 0 };
        const [va, vb] = [valuesAt(a, fixations), valuesAt(b, fixations)];
        const want = choose([va, vb], sign);
        assert.deepEqual([...choosePair(va, vb, sign)], [...want]);
        // both outcomes occur, ties and NaN included (the test could tell the loops apart)
        assert.ok(want.includes(0) && want.includes(1));
      }
    });
    it(`quantized operands, ${sign > 0 ? 'the larger' : 'the smaller'}: the same`, () => {
      const bytes = () => Uint8Array.from({ length: n }, () => Math.floor(r() * 6) + 125);
      const a: Activation = { dims: [n], data: bytes(), scale: 0.5, zero: 128 };
      const b: Activation = { dims: [n], data: bytes(), scale: 0.25, zero: 126 };
      const [va, vb] = [valuesAt(a, fixations), valuesAt(b, fixations)];
      assert.deepEqual([...choosePair(va, vb, sign)], [...choose([va, vb], sign)]);
      // the values compared are the dequantized ones
      assert.equal(va[3], (a.data[fixations[3]] - 128) * 0.5);
    });
  }

  it('ties go to the first operand; a NaN loses to any number but -Infinity', () => {
    const a: Activation = { dims: [4], data: Float32Array.of(2, NaN, NaN, -Infinity), scale: 1, zero: 0 };
    const b: Activation = { dims: [4], data: Float32Array.of(2, 5, -Infinity, NaN), scale: 1, zero: 0 };
    const at = Int32Array.of(0, 1, 2, 3);
    assert.deepEqual([...choosePair(valuesAt(a, at), valuesAt(b, at), 1)], [0, 1, 0, 0]);
    assert.deepEqual([...choose([valuesAt(a, at), valuesAt(b, at)], 1)], [0, 1, 0, 0]);
  });
});
