// Fully connected (Gemm, MatMul with a constant weight): for output neuron j, the inputs i whose
// contribution a_i·W[i,j] is positive (mode `positive`); when the input is a flattened spatial map
// the default keeps only the largest contribution (mode `argmax`, as the authors' code does).
import type { OnnxNode } from '../../onnx/graph';
import type { Activation, Shape } from '../tensor';
import type { FlattenMode, Fixations, Rule, ShapeContext, WalkContext, WeightedRule } from '../types';
import { UnsupportedError } from '../types';
import { gemmAttrs } from '../op-attrs';
import { fcKernel, FcKernel } from '../wasm/fc';
import { weightRowsFor } from '../constants';

/** Whether float32 products use the WebAssembly scans when they loaded (the tests compare both ways). */
let simdEnabled = true;

/** Turns the WebAssembly scans off or on; returns whether they are available at all. */
export function useFcSimd(enabled: boolean): boolean {
  simdEnabled = enabled;
  return fcKernel !== undefined;
}

/** A matrix product Y[m, j] = alpha · Σ_i A[m, i] · B[i, j], with A an activation and B constant. */
export interface Product {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  /** Flat index of A[m, i] in the activation is m·aM + i·aI; of B[i, j] in the weight, i·bI + j·bJ. */
  readonly aM: number;
  readonly aI: number;
  readonly bI: number;
  readonly bJ: number;
  readonly sign: number;
}

export function backProduct(
  p: Product,
  a: Activation,
  b: ArrayLike<number>,
  fix: Int32Array,
  mode: FlattenMode,
  mass?: Float64Array,
): { parents: Int32Array; masses: Float64Array | undefined; fallbacks: number } {
  // The union over output neurons is marked in an array the size of the input (rows in use only):
  // thousands of neurons each keeping thousands of inputs would make sorting their lists the bottleneck.
  //
  // Only inputs with a non-zero activation can contribute a positive a_i·W[i,j], so each row's live inputs
  // are listed once (post-ReLU maps are mostly zeros). With v_i = a_i·sign, the contribution is v_i·W[i,j],
  // the same floating-point value as a_i·W[i,j]·sign. In mode `positive` the union needs, per live input,
  // one neuron that makes it positive, and per neuron, one positive input (else the argmax fallback): both
  // scans stop at the first hit. In mode `argmax` the largest contribution is searched among live inputs
  // and, when none is positive, over every input as the rule says. Same parents as the plain double loop.
  // With masses, each neuron's mass is split over its positive inputs in proportion to their contributions
  // (so every product is needed: no early stop); the set of parents is the same.
  // The scans are small functions over typed arrays (no closure, no Map in the inner loops).
  const { data, zero, scale } = a;
  const { aI, bI, bJ, sign } = p;
  const rows = new Map<number, number[]>();
  let lo = Infinity,
    hi = -1;
  for (let n = 0; n < fix.length; n++) {
    const m = Math.floor(fix[n] / p.n);
    let ns = rows.get(m);
    if (!ns) rows.set(m, (ns = []));
    ns.push(n);
    for (const i of [0, p.k - 1]) {
      const ai = m * p.aM + i * aI;
      if (ai < lo) lo = ai;
      if (ai > hi) hi = ai;
    }
  }
  const marks = new Uint8Array(Math.max(0, hi - lo + 1));
  const acc = mass ? new Float64Array(marks.length) : undefined;
  const live: Live = { n: 0, b: new Int32Array(p.k), a: new Int32Array(p.k), v: new Float64Array(p.k) };
  const split = mass && mode === 'positive' ? { q: new Float64Array(p.k), pos: new Int32Array(p.k) } : undefined;
  // Float32 weights with each neuron's row contiguous are scanned in WebAssembly (wasm/fc.ts), the split of one row's
  // masses too (its masses and marks then accumulate in the kernel's memory).
  const kernel = simdEnabled && fcKernel && aI === 1 && FcKernel.reads(b, p.k, bI) ? fcKernel : undefined;
  let fallbacks = 0;
  const chosen = mode === 'argmax' ? argmaxChoices(p, a, b) : undefined;
  for (const [m, ns] of rows) {
    const a0 = m * p.aM;
    let inKernel = false;
    listLive(a, a0, aI, p.k, sign, bI, a0 - lo, live);
    if (kernel && split && acc && mass && rows.size === 1) {
      kernel.begin(p.k);
      listValues(a, a0, p.k, sign, kernel.values);
      fallbacks += splitInKernel(kernel, ns, fix, p, b as Float32Array, mass, live, split, a, lo);
      marks.set(kernel.marks);
      acc.set(kernel.acc);
      continue;
    }
    for (const n of ns) {
      const f = fix[n];
      const b0 = (f % p.n) * bJ;
      let best = -1;
      if (chosen) {
        let hit = chosen.get(f);
        if (hit === undefined) {
          if (kernel) {
            if (!inKernel) {
              kernel.begin(p.k);
              listValues(a, a0, p.k, sign, kernel.values);
              // float32 activations times ±1: float32 values, each contribution exact in double precision
              if (data instanceof Float32Array && zero === 0 && scale === 1 && Math.abs(sign) === 1) kernel.float32Values();
              inKernel = true;
            }
            const i = kernel.argmax(kernel.row(0, b as Float32Array, b0));
            best = i < 0 ? -1 : a0 - lo + i;
          } else best = argmaxLive(live, b, b0);
          if (best < 0) best = fullArgmax(data, zero, scale, sign, a0, aI, p.k, b, b0, bI, lo);
          hit = best < 0 ? -1 : best + lo;
          chosen.set(f, hit);
        }
        if (hit >= 0) {
          marks[hit - lo] = 1;
          if (acc && mass) acc[hit - lo] += mass[n];
        }
        continue;
      }
      if (split && acc && mass) {
        if (splitMass(live, b, b0, split.q, split.pos, mass[n], marks, acc)) continue;
      } else if (firstPositive(live, b, b0) >= 0) continue;
      best = fullArgmax(data, zero, scale, sign, a0, aI, p.k, b, b0, bI, lo);
      if (best >= 0) {
        if (mode === 'positive') fallbacks++;
        marks[best] = 1;
        if (acc && mass) acc[best] += mass[n];
      }
    }
    if (mode === 'positive' && !mass) {
      for (let t = 0; t < live.n; t++) {
        if (marks[live.a[t]]) continue;
        const v = live.v[t],
          bi = live.b[t];
        for (const n of ns)
          if (v * b[(fix[n] % p.n) * bJ + bi] > 0) {
            marks[live.a[t]] = 1;
            break;
          }
      }
    }
  }
  let count = 0;
  for (let i = 0; i < marks.length; i++) count += marks[i];
  const parents = new Int32Array(count);
  const masses = acc ? new Float64Array(count) : undefined;
  for (let i = 0, k = 0; i < marks.length; i++) {
    if (!marks[i]) continue;
    if (masses) masses[k] = acc![i];
    parents[k++] = lo + i;
  }
  return { parents, masses, fallbacks };
}

/** One row's inputs with a non-zero activation, in input order: n of them, each one's offset in the weight, in the marks, and v = a·sign. */
interface Live {
  n: number;
  readonly b: Int32Array;
  readonly a: Int32Array;
  readonly v: Float64Array;
}

function listLive(act: Activation, a0: number, aI: number, k: number, sign: number, bI: number, mark0: number, live: Live): void {
  const { data, zero, scale } = act;
  let n = 0;
  for (let i = 0; i < k; i++) {
    const v = (data[a0 + i * aI] - zero) * scale * sign;
    if (v !== 0) {
      live.b[n] = i * bI;
      live.a[n] = mark0 + i * aI;
      live.v[n++] = v;
    }
  }
  live.n = n;
}

/** Every input's v = a·sign of the row at a0 (contiguous), zeros included, as listLive computes them. */
function listValues(act: Activation, a0: number, k: number, sign: number, out: Float64Array): void {
  const { data, zero, scale } = act;
  for (let i = 0; i < k; i++) out[i] = (data[a0 + i] - zero) * scale * sign;
}

/**
 * The mass split of one row's neurons (contiguous rows of float32 weights, a contiguous activation row that is the
 * only one) in the kernel, four neurons per pass over the inputs, in the fixations' order: their sums, then, when all
 * four have a positive contribution, their shares. A group with a neuron without one goes neuron by neuron in
 * TypeScript on the kernel's masses and marks (the fall-back argmax gives that neuron's whole mass to one input), so
 * every input's mass adds the same terms in the same order. Returns the fall-backs taken.
 */
function splitInKernel(
  kernel: FcKernel,
  ns: readonly number[],
  fix: Int32Array,
  p: Product,
  b: Float32Array,
  mass: Float64Array,
  live: Live,
  split: { q: Float64Array; pos: Int32Array },
  a: Activation,
  lo: number,
): number {
  const rowsAt = new Int32Array(4);
  const sums = new Float64Array(4);
  const shares = new Float64Array(4);
  const marks = kernel.marks,
    acc = kernel.acc;
  const a0 = lo;
  let fallbacks = 0;
  for (let x = 0; x < ns.length; x += 4) {
    const r = Math.min(4, ns.length - x);
    for (let s = 0; s < 4; s++) rowsAt[s] = s < r ? kernel.row(s, b, (fix[ns[x + s]] % p.n) * p.bJ) : kernel.zeros;
    kernel.sums(rowsAt, sums);
    let all = true;
    for (let s = 0; s < 4; s++) {
      shares[s] = s < r && sums[s] > 0 ? mass[ns[x + s]] / sums[s] : 0;
      if (s < r && !(sums[s] > 0)) all = false;
    }
    if (all) {
      kernel.split(rowsAt, shares);
      continue;
    }
    for (let s = 0; s < r; s++) {
      const n = ns[x + s],
        b0 = (fix[n] % p.n) * p.bJ;
      if (splitMass(live, b, b0, split.q, split.pos, mass[n], marks, acc)) continue;
      const best = fullArgmax(a.data, a.zero, a.scale, p.sign, a0, 1, p.k, b, b0, 1, lo);
      if (best >= 0) {
        fallbacks++;
        marks[best] = 1;
        acc[best] += mass[n];
      }
    }
  }
  return fallbacks;
}

/** The live input with the largest positive contribution to the neuron at b0 (first on ties), as its mark offset; −1 for none. */
function argmaxLive(live: Live, b: ArrayLike<number>, b0: number): number {
  const { n, v, b: at } = live;
  let best = -1,
    top = 0;
  for (let t = 0; t < n; t++) {
    const c = v[t] * b[b0 + at[t]];
    if (c > top) {
      top = c;
      best = t;
    }
  }
  return best < 0 ? -1 : live.a[best];
}

/** The first live input with a positive contribution, as its mark offset; −1 for none. */
function firstPositive(live: Live, b: ArrayLike<number>, b0: number): number {
  const { n, v, b: at } = live;
  for (let t = 0; t < n; t++) if (v[t] * b[b0 + at[t]] > 0) return live.a[t];
  return -1;
}

/** The rule's plain argmax over every input (zeros and negatives included; first index on ties), as a mark offset; −1 for none. */
function fullArgmax(
  data: ArrayLike<number>,
  zero: number,
  scale: number,
  sign: number,
  a0: number,
  aI: number,
  k: number,
  b: ArrayLike<number>,
  b0: number,
  bI: number,
  lo: number,
): number {
  let best = -1,
    top = -Infinity;
  for (let i = 0; i < k; i++) {
    const c = (data[a0 + i * aI] - zero) * scale * b[b0 + i * bI] * sign;
    if (c > top) {
      top = c;
      best = a0 + i * aI - lo;
    }
  }
  return best;
}

/**
 * Splits mass m over the neuron's positive contributions in proportion (false when it has none). The contributions
 * are computed once into q, with the positions of the positive ones listed without a branch (about half are
 * positive, in no order a branch predictor could learn); the sum adds them in input order, as the plain loop does
 * (its +0 for the others changes no sum that starts at +0).
 */
function splitMass(live: Live, b: ArrayLike<number>, b0: number, q: Float64Array, pos: Int32Array, m: number, marks: Uint8Array, acc: Float64Array): boolean {
  const { n, v, b: at } = live;
  let np = 0;
  for (let t = 0; t < n; t++) {
    const c = v[t] * b[b0 + at[t]];
    q[t] = c;
    pos[np] = t;
    np += +(c > 0);
  }
  if (np === 0) return false;
  let sum = 0;
  for (let s = 0; s < np; s++) sum += q[pos[s]];
  const share = m / sum;
  const ia = live.a;
  for (let s = 0; s < np; s++) {
    const t = pos[s],
      i = ia[t];
    marks[i] = 1;
    acc[i] += q[t] * share;
  }
  return true;
}

/**
 * Per weight and forward tensor, each argmax neuron's parent (flat input index, −1 for none), keyed by the output
 * fixation: the choice depends on the activation and the weights alone, so a class switch or another walk over
 * the same forward reuses it (VGG-16's first FC layer scans 25088 inputs for each of ~2000 neurons).
 */
const argmaxCache = new WeakMap<ArrayLike<number>, WeakMap<object, Map<string, Map<number, number>>>>();

function argmaxChoices(p: Product, a: Activation, b: ArrayLike<number>): Map<number, number> {
  let perTensor = argmaxCache.get(b);
  if (!perTensor) argmaxCache.set(b, (perTensor = new WeakMap()));
  let perLayout = perTensor.get(a.data);
  if (!perLayout) perTensor.set(a.data, (perLayout = new Map()));
  const key = [p.k, p.n, p.aM, p.aI, p.bI, p.bJ, p.sign, a.zero, a.scale].join(',');
  let chosen = perLayout.get(key);
  if (!chosen) perLayout.set(key, (chosen = new Map()));
  return chosen;
}

/**
 * Whether the tensor is a flattened spatial map: Flatten/Reshape (through pass-through ops) of an
 * N×C×H×W tensor with H·W > 1, as VGG's and AlexNet's first fully connected layers read.
 */
export function isFlattenedSpatial(tensor: string, ctx: WalkContext): boolean {
  for (let t = tensor, hops = 0; hops < 16; hops++) {
    const p = ctx.graph.producer.get(t);
    if (!p) return false;
    if (ctx.ops.get(p)?.flattens) {
      const s = ctx.shape(p.input(0));
      return s.length >= 3 && s.slice(2).reduce((x, y) => x * y, 1) > 1;
    }
    if (!ctx.ops.get(p)?.elementwise) return false;
    t = p.input(0);
  }
  return false;
}

/**
 * The FC rule's mode for activation `a`: `positive`; the flatten mode over a flattened spatial map; `argmax` for a
 * MatMul over the last axis of an activation with positions (rank ≥ 3 with more than one position, as ConvNeXt's
 * per-position Linear): that is a 1×1 convolution, one parent per fixation, the input with the largest a_d·W[d,j].
 */
function fcMode(a: string, ctx: WalkContext, dims?: Shape): FlattenMode {
  if (dims && hasPositions(dims)) return 'argmax';
  return isFlattenedSpatial(a, ctx) ? ctx.options.flattenMode : 'positive';
}

/** An activation [N, …, D] whose dimensions between the batch and the last hold more than one position. */
function hasPositions(dims: Shape): boolean {
  return dims.length >= 3 && dims.slice(1, -1).reduce((x, y) => x * y, 1) > 1;
}

/**
 * Runs the FC rule. A quantized weight whose scale is per tensor or per output neuron (`outAxis` of the weight)
 * is used as integers, with the activation's scale dropped: exact choices, as for Conv. The masses are shares
 * of one neuron's contributions, ratios which the dropped factor (one per neuron) leaves as they are.
 */
export function runFc(aName: string, aAct: Activation, bName: string, outAxis: number, p: Product, fix: Fixations, ctx: WalkContext): Fixations {
  const bq = ctx.constants.quantized(bName);
  const integer = bq && (bq.axis === undefined || bq.axis === outAxis);
  // A neuron-major weight ([N, K]: a Gemm with transB, as VGG-16's 411 MB fc6) is read in the fixated neurons' rows only.
  const b = integer ? bq.values : outAxis === 0 ? weightRowsFor(ctx.constants, bName, fix.index, p.n, 1) : ctx.constants.float(bName);
  if (!b) throw new Error(`its weight '${bName}' is not a constant`);
  const a = integer ? { ...aAct, scale: 1 } : aAct;
  const { parents, masses, fallbacks } = backProduct(p, a, b, fix.index, fcMode(aName, ctx, aAct.dims), fix.mass);
  if (fallbacks) ctx.flag(`${fallbacks} neuron(s) had no positive contribution; kept the single largest`);
  return { index: parents, mass: masses };
}

/**
 * The contrast start at a fully connected classifier: the one fixated neuron's weight column is replaced by
 * Σ_n c_n·W[:, n] (real values), and the rule runs with that single column.
 */
function fcContrast(product: (node: OnnxNode, ctx: WalkContext) => { aName: string; bName: string; p: Product }): WeightedRule {
  return {
    neuron(node, flat, ctx) {
      return flat % product(node, ctx).p.n;
    },
    back(node, [fix], coefficients, ctx) {
      if (fix.index.length !== 1) throw new Error(`a class contrast starts from one fixation, not ${fix.index.length}`);
      const { aName, bName, p } = product(node, ctx);
      const w = ctx.constants.float(bName);
      if (!w) throw new Error(`its weight '${bName}' is not a constant`);
      const ns = Int32Array.from(coefficients.keys());
      const cs = Float64Array.from(coefficients.values());
      for (const n of ns) if (n < 0 || n >= p.n) throw new Error(`class contrast: neuron ${n} is outside the layer's ${p.n} outputs`);
      const column = contrastColumn(w, p, ns, cs);
      const one: Product = { ...p, n: 1, bI: 1, bJ: 0 };
      const m = Math.floor(fix.index[0] / p.n);
      const act = ctx.activation(aName);
      const { parents, masses, fallbacks } = backProduct(one, act, column, Int32Array.of(m), fcMode(aName, ctx, act.dims), fix.mass ?? Float64Array.of(1));
      if (fallbacks) ctx.flag('no input contributes positively to the contrast; kept the single largest');
      return [{ index: parents, mass: fix.mass ? masses : undefined }];
    },
  };
}

/** Contrast columns computed lately, per weight: a class switch back, a mode change or a re-explanation reuses them. */
const columnCache = new WeakMap<ArrayLike<number>, { k: number; bI: number; bJ: number; ns: Int32Array; cs: Float64Array; column: Float64Array }[]>();
/** Columns kept per weight (a 2048-input classifier's column is 16 KB). */
const COLUMNS_KEPT = 8;

/**
 * Σ_t cs[t]·W[:, ns[t]] of the product's weight, in this order, or the same column computed for the same
 * neurons and coefficients before (compared value for value: the very same doubles).
 */
function contrastColumn(w: ArrayLike<number>, p: Product, ns: Int32Array, cs: Float64Array): Float64Array {
  const kept = columnCache.get(w) ?? [];
  const same = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  };
  const hit = kept.find((e) => e.k === p.k && e.bI === p.bI && e.bJ === p.bJ && same(e.ns, ns) && same(e.cs, cs));
  if (hit) return hit.column;
  const column = columnSum(w, p, ns, cs);
  kept.unshift({ k: p.k, bI: p.bI, bJ: p.bJ, ns, cs, column });
  if (kept.length > COLUMNS_KEPT) kept.pop();
  columnCache.set(w, kept);
  return column;
}

/**
 * Σ_t cs[t]·W[:, ns[t]] of the product's weight: column[i] = ((0 + cs[0]·W[i, ns[0]]) + cs[1]·W[i, ns[1]]) + …, each
 * product and sum in double precision, in this order for every i however the loops are arranged (the dense loop, as
 * before, adds in neuron order).
 * Outside the dense loop (which reads every neuron anyway), a zero coefficient is left out when its neuron's weights
 * are finite: its products are then ±0, and adding ±0 changes no sum here (a sum that starts at +0 is never −0),
 * whereas 0·∞ would make it NaN.
 */
export function columnSum(w: ArrayLike<number>, p: Product, ns: Int32Array, cs: Float64Array): Float64Array {
  const { k, bI, bJ } = p;
  // Per output element, the dense loop adds over every neuron in index order, the others in the order of `ns`.
  const dense = bJ === 1 && ns.length > p.n / 4;
  if (!dense && cs.includes(0)) {
    const keep = Array.from(ns.keys()).filter((t) => cs[t] !== 0 || !finiteWeights(w, ns[t] * bJ, k, bI));
    ns = Int32Array.from(keep, (t) => ns[t]);
    cs = Float64Array.from(keep, (t) => cs[t]);
  }
  const column = new Float64Array(k);
  // Along the weight's contiguous axis in the inner loop: a [K, N] MatMul weight is read row by row, with the
  // coefficients dense when most neurons have one (contrast `others`), so the inner loop reads straight through.
  if (dense) {
    const all = new Float64Array(p.n);
    for (let t = 0; t < ns.length; t++) all[ns[t]] += cs[t];
    for (let i = 0; i < k; i++) {
      let s = 0;
      const row = i * bI;
      for (let n = 0; n < p.n; n++) s += all[n] * w[row + n];
      column[i] = s;
    }
  } else if (bJ === 1) {
    for (let i = 0; i < k; i++) {
      let s = 0;
      const row = i * bI;
      for (let t = 0; t < ns.length; t++) s += cs[t] * w[row + ns[t]];
      column[i] = s;
    }
  } else {
    // Neurons outer, the column inner (each neuron's weights contiguous when bI = 1, as a Gemm with transB reads
    // them). Eight neurons per pass: each column element is loaded and stored once per eight products, which are
    // added one after the other, in the neurons' order.
    let t = 0;
    for (; bI === 1 && t + 8 <= ns.length; t += 8) {
      const c0 = cs[t],
        c1 = cs[t + 1],
        c2 = cs[t + 2],
        c3 = cs[t + 3],
        c4 = cs[t + 4],
        c5 = cs[t + 5],
        c6 = cs[t + 6],
        c7 = cs[t + 7];
      const b0 = ns[t] * bJ,
        b1 = ns[t + 1] * bJ,
        b2 = ns[t + 2] * bJ,
        b3 = ns[t + 3] * bJ,
        b4 = ns[t + 4] * bJ,
        b5 = ns[t + 5] * bJ,
        b6 = ns[t + 6] * bJ,
        b7 = ns[t + 7] * bJ;
      for (let i = 0; i < k; i++) {
        let s = column[i];
        s += c0 * w[b0 + i];
        s += c1 * w[b1 + i];
        s += c2 * w[b2 + i];
        s += c3 * w[b3 + i];
        s += c4 * w[b4 + i];
        s += c5 * w[b5 + i];
        s += c6 * w[b6 + i];
        s += c7 * w[b7 + i];
        column[i] = s;
      }
    }
    for (; t < ns.length; t++) {
      const c = cs[t],
        base = ns[t] * bJ;
      for (let i = 0; i < k; i++) column[i] += c * w[base + i * bI];
    }
  }
  return column;
}

/** Whether the k weights w[base + i·stride] are all finite. */
function finiteWeights(w: ArrayLike<number>, base: number, k: number, stride: number): boolean {
  for (let i = 0; i < k; i++) if (!Number.isFinite(w[base + i * stride])) return false;
  return true;
}

function matmulShape(a: Shape, b: Shape): Shape {
  if (a.length < 1 || b.length < 1) throw new Error('MatMul of scalars');
  const k = a[a.length - 1];
  const bk = b.length === 1 ? b[0] : b[b.length - 2];
  if (k !== bk) throw new Error(`MatMul inner sizes differ (${k} and ${bk})`);
  const n = b.length === 1 ? [] : [b[b.length - 1]];
  return [...a.slice(0, -1), ...n];
}

/** The MatMul product with A = input `act` and constant B [K, N] (or A constant and B the activation). */
export function matmulProduct(aDims: Shape, bDims: Shape, actIsA: boolean): Product {
  if (!actIsA || bDims.length > 2) throw new Error('only MatMul of an activation by a constant 2-D (or 1-D) weight is supported');
  const k = aDims[aDims.length - 1];
  const n = bDims.length === 1 ? 1 : bDims[1];
  const m = aDims.slice(0, -1).reduce((x, y) => x * y, 1);
  return { m, k, n, sign: 1, aM: k, aI: 1, bI: n, bJ: 1 };
}

export const matMulRule: Rule = {
  reads: (node, ctx) => (ctx.constants.has(node.input(0)) ? [1] : [0]),
  routes: (node, ctx) => (ctx.constants.has(node.input(0)) ? [1] : [0]),
  shape: (_node, [a, b]) => (a && b ? [matmulShape(a, b)] : undefined),
  back(node, [fix], ctx) {
    const [aName, bName] = node.inputs;
    if (!ctx.constants.has(bName)) throw new UnsupportedError(node.opType, node.name, 'MatMul of two activations (no constant weight) has no rule');
    const a = ctx.activation(aName);
    const bDims = ctx.shape(bName);
    const p = matmulProduct(a.dims, bDims, true);
    return [runFc(aName, a, bName, bDims.length - 1, p, fix, ctx)];
  },
  weighted: fcContrast((node, ctx) => {
    const [aName, bName] = node.inputs;
    if (!ctx.constants.has(bName)) throw new UnsupportedError(node.opType, node.name, 'MatMul of two activations has no per-class weights');
    return { aName, bName, p: matmulProduct(ctx.shape(aName), ctx.shape(bName), true) };
  }),
};

export function gemmProduct(node: OnnxNode, aDims: Shape, bDims: Shape): Product {
  const { transA, transB, alpha } = gemmAttrs.of(node);
  const [m, k] = transA ? [aDims[1], aDims[0]] : [aDims[0], aDims[1]];
  const n = transB ? bDims[0] : bDims[1];
  return {
    m,
    k,
    n,
    sign: Math.sign(alpha) || 1,
    ...(transA ? { aM: 1, aI: m } : { aM: k, aI: 1 }),
    ...(transB ? { bI: 1, bJ: k } : { bI: n, bJ: 1 }),
  };
}

export const gemmRule: Rule = {
  reads: () => [0],
  shape(node, [a, b], ctx: ShapeContext) {
    const bd = b ?? ctx.constants.get(node.input(1))?.dims;
    if (!a || !bd) return undefined;
    const p = gemmProduct(node, a, bd);
    return [[p.m, p.n]];
  },
  back(node, [fix], ctx) {
    const [aName, bName] = node.inputs;
    if (!ctx.constants.has(bName)) throw new UnsupportedError(node.opType, node.name, 'Gemm with a non-constant B has no rule');
    const a = ctx.activation(aName);
    const outAxis = gemmAttrs.of(node).transB ? 0 : 1;
    return [runFc(aName, a, bName, outAxis, gemmProduct(node, a.dims, ctx.shape(bName)), fix, ctx)];
  },
  weighted: fcContrast((node, ctx) => {
    const [aName, bName] = node.inputs;
    if (!ctx.constants.has(bName)) throw new UnsupportedError(node.opType, node.name, 'Gemm with a non-constant B has no per-class weights');
    return { aName, bName, p: gemmProduct(node, ctx.shape(aName), ctx.shape(bName)) };
  }),
};
