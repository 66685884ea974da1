// What a rule chose for each output fixation of a node (a parent, an operand), kept per forward pass: the choice
// depends on the forward's values, the node and the rule's options, never on the class nor on the masses, so a walk
// of another class over the same forward (a class switch) computes only the fixations no walk reached there before.
// Two classes' walks share most of their fixations (about 70 % of a ResNet-50's conv fixations, all of VGG-16's).
import type { OnnxNode } from '../onnx/graph';
import type { WalkContext } from './types';

/** One node's choices under one variant of its rule: sorted unique fixations and the choice made for each. */
interface Choices {
  keys: Int32Array;
  values: Int32Array;
}

interface ForwardMemo {
  /** Fixations held, over all nodes: the memo stops growing at its limit. */
  entries: number;
  readonly nodes: Map<OnnxNode, Map<string, Choices>>;
}

/**
 * Fixations kept per forward pass (8 bytes each): 32 MB. A ResNet-50 walk reaches ~8,000 conv fixations, so this
 * holds hundreds of classes; past it, new fixations are computed as before and not kept.
 */
const MAX_ENTRIES = 1 << 22;

/** Keyed by the forward pass (ForwardValues): the memo lives as long as the forward's own tensors, and a new forward starts empty. */
const byForward = new WeakMap<object, ForwardMemo>();
let settings = { on: true, limit: MAX_ENTRIES };

/** Turns the memo off or on, holding at most `limit` fixations per forward (the tests compare walks every way); returns the previous settings. */
export function useChoiceMemo(on: boolean, limit = MAX_ENTRIES): { on: boolean; limit: number } {
  const was = settings;
  settings = { on, limit };
  return was;
}

/** Fixations the memo holds for forward pass `key` (for tests and measurements). */
export function memoEntries(key: object): number {
  return byForward.get(key)?.entries ?? 0;
}

/**
 * `choose(fix)` for the sorted unique fixations `fix` of `node`, one Int32 per fixation, taking what an earlier walk over
 * the same forward pass chose: `choose` runs on the fixations not seen yet only, in order. `variant` names the rule's
 * options the choice depends on (the conv mode). `choose` must depend on nothing else than the forward's values, the
 * node and `variant`. A rule reads its activations before calling this (ctx.activation), memo or not: a walk that read
 * none is taken to depend on shapes alone.
 */
export function memoized(ctx: WalkContext, node: OnnxNode, variant: string, fix: Int32Array, choose: (fix: Int32Array) => Int32Array): Int32Array {
  const key = ctx.forward;
  if (!settings.on || !key || !increasing(fix)) return choose(fix);
  let memo = byForward.get(key);
  if (!memo) byForward.set(key, (memo = { entries: 0, nodes: new Map() }));
  let variants = memo.nodes.get(node);
  if (!variants) memo.nodes.set(node, (variants = new Map()));
  const held = variants.get(variant);
  if (!held) {
    const values = choose(fix);
    if (memo.entries + fix.length <= settings.limit) {
      variants.set(variant, { keys: fix.slice(), values: values.slice() });
      memo.entries += fix.length;
    }
    return values;
  }
  const n = fix.length;
  const out = new Int32Array(n);
  const missAt = new Int32Array(n);
  let miss = 0;
  const { keys, values } = held;
  const search = keys.length > 16 * n;
  for (let i = 0, j = 0; i < n; i++) {
    const f = fix[i];
    j = search ? lowerBound(keys, f, j) : advance(keys, f, j);
    if (j < keys.length && keys[j] === f) out[i] = values[j];
    else missAt[miss++] = i;
  }
  if (miss === 0) return out;
  const fresh = new Int32Array(miss);
  for (let k = 0; k < miss; k++) fresh[k] = fix[missAt[k]];
  const got = choose(fresh);
  for (let k = 0; k < miss; k++) out[missAt[k]] = got[k];
  if (memo.entries + miss <= settings.limit) {
    variants.set(variant, union(held, fresh, got));
    memo.entries += miss;
  }
  return out;
}

/** The first position from `j` on whose key is not below `f`, stepping. */
function advance(keys: Int32Array, f: number, j: number): number {
  while (j < keys.length && keys[j] < f) j++;
  return j;
}

/** The same, by bisection (many more keys than fixations). */
function lowerBound(keys: Int32Array, f: number, lo: number): number {
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < f) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The held choices and the fresh ones (keys disjoint, both sorted) as one sorted list. */
function union(held: Choices, keys: Int32Array, values: Int32Array): Choices {
  const a = held.keys,
    n = a.length + keys.length;
  const outKeys = new Int32Array(n);
  const outValues = new Int32Array(n);
  for (let i = 0, j = 0, k = 0; k < n; k++) {
    if (j >= keys.length || (i < a.length && a[i] < keys[j])) {
      outKeys[k] = a[i];
      outValues[k] = held.values[i++];
    } else {
      outKeys[k] = keys[j];
      outValues[k] = values[j++];
    }
  }
  return { keys: outKeys, values: outValues };
}

function increasing(a: Int32Array): boolean {
  for (let i = 1; i < a.length; i++) if (a[i] <= a[i - 1]) return false;
  return true;
}
