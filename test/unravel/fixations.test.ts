// merge, the union of the lists a node's consumers sent it, against the implementation it replaced (kept here as
// the reference: a sort of (index, position) pairs packed in doubles): on seeded random lists, the same set and the
// same masses to the bit, −0 included, whatever the duplicates, empty lists, lists without masses and index ranges.
import { strict as assert } from 'node:assert';
import { seededRandom } from '../../src/eval/metrics';
import { merge, type Fixations } from '../../src/unravel/fixations';

const PACK = 2 ** 21;

/** merge as it was (e1c415e): masses of one element added in the order of their positions in the concatenated lists. */
function referenceMerge(lists: readonly Fixations[]): Fixations {
  if (lists.length === 1 && increasing(lists[0].index)) return lists[0];
  let n = 0;
  for (const l of lists) n += l.index.length;
  const withMass = lists.some((l) => l.mass);
  if (!withMass) return { index: referenceUnion(lists.map((l) => l.index)), mass: undefined };
  const index = new Int32Array(n);
  const mass = new Float64Array(n);
  let k = 0;
  for (const l of lists) {
    index.set(l.index, k);
    if (l.mass) mass.set(l.mass, k);
    k += l.index.length;
  }
  let order: Int32Array;
  if (n < PACK) {
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = index[i] * PACK + i;
    keys.sort();
    order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = keys[i] % PACK;
  } else {
    order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => index[a] - index[b] || a - b);
  }
  const outIndex = new Int32Array(n);
  const outMass = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const p = order[i];
    if (m > 0 && outIndex[m - 1] === index[p]) outMass[m - 1] += mass[p];
    else {
      outIndex[m] = index[p];
      outMass[m++] = mass[p];
    }
  }
  return { index: outIndex.slice(0, m), mass: outMass.slice(0, m) };
}

function increasing(a: Int32Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] <= a[i - 1]) return false;
  return true;
}

function referenceUnion(lists: readonly Int32Array[]): Int32Array {
  let n = 0;
  for (const l of lists) n += l.length;
  const all = new Int32Array(n);
  let k = 0;
  for (const l of lists) for (let i = 0; i < l.length; i++) all[k++] = l[i];
  all.sort();
  let m = 0;
  for (let i = 0; i < n; i++) if (i === 0 || all[i] !== all[i - 1]) all[m++] = all[i];
  return all.slice(0, m);
}

function assertSame(got: Fixations, want: Fixations, what: string): void {
  assert.deepEqual([...got.index], [...want.index], `${what}: the set`);
  if (!want.mass) {
    assert.equal(got.mass, undefined, `${what}: no masses`);
    return;
  }
  assert.ok(got.mass, `${what}: masses`);
  assert.equal(got.mass.length, want.mass.length, `${what}: one mass per fixation`);
  for (let i = 0; i < want.mass.length; i++) {
    // Object.is: the same double, +0 and −0 told apart
    if (!Object.is(got.mass[i], want.mass[i])) assert.fail(`${what}: mass of ${want.index[i]} is ${got.mass[i]}, not ${want.mass[i]}`);
  }
}

describe('merge', () => {
  const r = seededRandom(20261201);
  const int = (n: number) => Math.floor(r() * n);
  /** Masses whose sums depend on their order: magnitudes from 1e-20 to 1e20, both signs, and zeros of both signs. */
  const mass = () => {
    const u = r();
    if (u < 0.05) return -0;
    if (u < 0.1) return 0;
    return (r() < 0.5 ? -1 : 1) * 10 ** (int(41) - 20) * (1 + r());
  };
  /** Index ranges: few values (many duplicates), around 2^21 (the old packing's width), up to 2^31 − 1. */
  const ranges: [string, () => number][] = [
    ['a few values', () => int(40)],
    ['a tensor of ~800k elements', () => int(802816)],
    ['around 2^21', () => PACK - 64 + int(128)],
    ['up to 2^31 − 1', () => (r() < 0.1 ? 2 ** 31 - 1 - int(4) : int(2 ** 31))],
  ];

  for (const [name, pick] of ranges) {
    it(`gives the old sets and masses bit for bit: indices ${name}`, () => {
      for (let trial = 0; trial < 300; trial++) {
        const lists: Fixations[] = Array.from({ length: int(6) }, () => {
          const n = r() < 0.15 ? 0 : int(r() < 0.1 ? 3000 : 200);
          const index = Int32Array.from({ length: n }, pick);
          if (r() < 0.2) index.sort(); // a sorted list, with or without duplicates
          const withMass = trial % 3 !== 0 && r() < 0.9; // a third of the trials carry no masses at all
          return { index, mass: withMass ? Float64Array.from({ length: n }, mass) : undefined };
        });
        assertSame(merge(lists), referenceMerge(lists), `trial ${trial}, ${lists.map((l) => `${l.index.length}${l.mass ? 'm' : ''}`).join('+')}`);
      }
    });
  }

  it('grows its table past a walk-sized set (and past the old packing, 2^21 elements), and goes on giving the same', () => {
    const n = PACK + 3;
    const big: Fixations = { index: Int32Array.from({ length: n }, () => int(1_000_000)), mass: Float64Array.from({ length: n }, mass) };
    const small: Fixations = { index: Int32Array.of(9, 2, 9, 2), mass: Float64Array.of(1e20, 1, -1e20, -0) };
    assertSame(merge([big, small]), referenceMerge([big, small]), 'two million fixations');
    assertSame(merge([small]), referenceMerge([small]), 'a small set after it');
  });

  it('returns a sorted list without duplicates as it is, and sums from the first mass (−0 + −0 stays −0)', () => {
    const sorted: Fixations = { index: Int32Array.of(1, 4, 6), mass: Float64Array.of(0.5, 0.25, 0.25) };
    assert.equal(merge([sorted]), sorted);
    const zeros = merge([
      { index: Int32Array.of(3), mass: Float64Array.of(-0) },
      { index: Int32Array.of(3, 1), mass: Float64Array.of(-0, 2) },
    ]);
    assert.deepEqual([...zeros.index], [1, 3]);
    assert.ok(Object.is(zeros.mass![1], -0));
    // a list without masses adds +0: −0 + 0 is +0
    const mixed = merge([
      { index: Int32Array.of(3), mass: Float64Array.of(-0) },
      { index: Int32Array.of(3), mass: undefined },
    ]);
    assert.ok(Object.is(mixed.mass![0], 0));
    assert.deepEqual(merge([]), { index: new Int32Array(0), mass: undefined });
  });
});
