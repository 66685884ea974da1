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
  // Plain loops: TypedArray.from goes through the iterator protocol and calls a function per element.
  const n = parents.length;
  const index = new Int32Array(n);
  for (let k = 0; k < n; k++) index[k] = parents[k];
  if (!fix.mass) return { index, mass: undefined };
  const m = fix.mass;
  const mass = new Float64Array(n);
  for (let k = 0; k < n; k++) mass[k] = m[from[k]];
  return { index, mass };
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

/**
 * The union of several lists into one sorted set without duplicates; masses of the same element add up, in the
 * order the lists and their elements come (the first one's mass, then += each later one's: the sums are the same
 * bits whatever the set's sort). A list without masses adds +0 to its elements; lists all without masses give a
 * set without masses.
 */
export function merge(lists: readonly Fixations[]): Fixations {
  // One list already sorted without duplicates (what most rules send, one parent each in order) is the set.
  if (lists.length === 1 && increasing(lists[0].index)) return lists[0];
  let n = 0;
  for (const l of lists) n += l.index.length;
  const withMass = lists.some((l) => l.mass);
  // Each element goes, in list order, to its slot among the distinct ones (the hash table finds it): a walk's
  // merges are hundreds of lists of a few hundred, and sorting the distinct elements alone, as 32-bit integers,
  // then reading each one's sum back, costs a third of sorting every (element, position) pair.
  const s = scratchFor(n);
  const { keys, slots, stamps, distinct, sums } = s;
  const mask = keys.length - 1;
  const stamp = nextStamp(s);
  let u = 0;
  for (const l of lists) {
    const index = l.index,
      mass = l.mass;
    for (let i = 0; i < index.length; i++) {
      const f = index[i];
      let h = Math.imul(f, HASH) >>> s.shift;
      while (stamps[h] === stamp && keys[h] !== f) h = (h + 1) & mask;
      const m = mass ? mass[i] : 0;
      if (stamps[h] === stamp) sums[slots[h]] += m;
      else {
        stamps[h] = stamp;
        keys[h] = f;
        slots[h] = u;
        distinct[u] = f;
        sums[u++] = m;
      }
    }
  }
  const index = distinct.slice(0, u);
  if (increasing(index)) return { index, mass: withMass ? sums.slice(0, u) : undefined };
  index.sort();
  if (!withMass) return { index, mass: undefined };
  const mass = new Float64Array(u);
  for (let j = 0; j < u; j++) {
    const f = index[j];
    let h = Math.imul(f, HASH) >>> s.shift;
    while (keys[h] !== f) h = (h + 1) & mask;
    mass[j] = sums[slots[h]];
  }
  return { index, mass };
}

/** Fibonacci hashing: the multiplier 2^32 / φ spreads nearby flat indices (a channel's run of pixels) over the table. */
const HASH = 0x9e3779b1 | 0;

/**
 * merge's working memory, kept between calls and grown as needed up to KEPT (a walk merges hundreds of times): an open
 * addressing table (linear probing) of at least twice as many entries as elements, an entry live when its stamp is
 * the current call's (so nothing is cleared between calls), and each distinct element's index and sum by slot.
 */
interface Scratch {
  keys: Int32Array;
  slots: Int32Array;
  stamps: Int32Array;
  /** 32 − log2(table size): the hash's top bits index the table. */
  shift: number;
  stamp: number;
  distinct: Int32Array;
  sums: Float64Array;
}

let scratch: Scratch | undefined;

/** The largest table kept between calls, in entries (~1.2 MB with the slots' arrays): a bigger one goes with its call. */
const KEPT = 1 << 16;

function scratchFor(n: number): Scratch {
  if (scratch && scratch.keys.length >= 2 * n) return scratch;
  let size = 1024;
  while (size < 2 * n) size *= 2;
  const s: Scratch = {
    keys: new Int32Array(size),
    slots: new Int32Array(size),
    stamps: new Int32Array(size),
    shift: 32 - Math.log2(size),
    stamp: 0,
    distinct: new Int32Array(size / 2),
    sums: new Float64Array(size / 2),
  };
  if (size <= KEPT) scratch = s;
  return s;
}

function nextStamp(s: Scratch): number {
  if (s.stamp === 0x7fffffff) {
    s.stamps.fill(0);
    s.stamp = 0;
  }
  return ++s.stamp;
}

function increasing(a: Int32Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] <= a[i - 1]) return false;
  return true;
}
