// Fixation sets as the walk and the rules pass them: flat indices into one tensor, and, when the walk
// carries masses (docs/ALGORITHM.md, "Masses" and "Class contrasts"), one mass per index.
// A rule that gives a fixation one parent passes its whole mass on; what lands on one element adds up.

export interface Fixations {
  /** Flat indices (batch 0). The sets the walk hands to rules are sorted and unique; what rules send back need not be. */
  readonly index: Int32Array;
  /** One mass per index, or undefined when the walk carries none (mode `paper`: the set alone). */
  readonly mass: Float64Array | undefined;
}

/** One parent per fixation, in the same order: each parent takes its fixation's whole mass. */
export function oneParentEach(fix: Fixations, parents: Int32Array): Fixations {
  if (parents.length !== fix.index.length) throw new Error(`internal error: ${parents.length} parents for ${fix.index.length} fixations`);
  return { index: parents, mass: fix.mass };
}

/** Parents of some of the fixations: `from[k]` is the position (in `fix`) of the fixation parent k comes from. */
export function parentsOf(fix: Fixations, from: ArrayLike<number>, parents: ArrayLike<number>): Fixations {
  const index = Int32Array.from(parents);
  if (!fix.mass) return { index, mass: undefined };
  const m = fix.mass;
  return { index, mass: Float64Array.from(from, (k) => m[k]) };
}

/** The same fixations with every mass multiplied by `factor` (a fixation split evenly between operands). */
export function scaled(fix: Fixations, factor: number): Fixations {
  return fix.mass ? { index: fix.index, mass: fix.mass.map((m) => m * factor) } : fix;
}

export function totalMass(fix: Fixations): number {
  let s = 0;
  if (fix.mass) for (let i = 0; i < fix.mass.length; i++) s += fix.mass[i];
  return s;
}

/** Positions below 2^21 and indices below 2^31 pack into one exactly representable double: one numeric sort. */
const PACK = 2 ** 21;

/**
 * The union of several lists into one sorted set without duplicates; masses of the same element add up. Lists
 * without masses give a set without masses.
 */
export function merge(lists: readonly Fixations[]): Fixations {
  // One list already sorted without duplicates (what most rules send, one parent each in order) is the set.
  if (lists.length === 1 && increasing(lists[0].index)) return lists[0];
  let n = 0;
  for (const l of lists) n += l.index.length;
  const withMass = lists.some((l) => l.mass);
  if (!withMass) return { index: unionSorted(lists.map((l) => l.index)), mass: undefined };
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

/** Sorted union of index lists without duplicates. */
export function unionSorted(lists: readonly (ArrayLike<number> | undefined)[]): Int32Array {
  let n = 0;
  for (const l of lists) n += l ? l.length : 0;
  const all = new Int32Array(n);
  let k = 0;
  for (const l of lists) if (l) for (let i = 0; i < l.length; i++) all[k++] = l[i];
  all.sort();
  let m = 0;
  for (let i = 0; i < n; i++) if (i === 0 || all[i] !== all[i - 1]) all[m++] = all[i];
  return all.slice(0, m);
}
