// The conv rule's channel choice in WebAssembly SIMD (conv.wat), for float32 activations and filters: the same
// sums in the same order as the TypeScript loop, two channels at a time. Undefined where WebAssembly or its SIMD
// is missing (checked once, when this module loads); the rule then runs in TypeScript.
import { convWasm } from './conv-wasm';
import { align, instantiate, type Memory } from './module';
import type { DerivedChannels } from '../tensor';

/** A layer's planar input [cin][plane] as the kernel copies it: a kept float32 tensor, or one the walk derives (tensor.ts). */
export type PlanarInput = Float32Array | DerivedChannels;

interface Exports {
  readonly memory: Memory;
  bestChannel(wrows: number, rows: number, m: number, cinG: number, sign: number): number;
  total(wrows: number, rows: number, m: number, cinG: number): number;
  affineRows(at: number, rows: number, cin: number, scales: number, shifts: number, relu: number): void;
  transpose(src: number, cb: number, plane: number, dst: number, cin: number): void;
}

/** Taps per fixation the address lists at the start of memory hold; a larger kernel runs in TypeScript. */
const MAX_TAPS = 4096;
/** Bytes of the two address lists (filter rows, input rows) before the arena. */
const LISTS = 2 * MAX_TAPS * 4;
/** Bytes of planar input copied in per step of a transposition (a few channels, whole planes): stays in the cache. */
const CHUNK = 256 * 1024;
/** At most this many channels per step: each position's row of them is written whole, in one pass. */
const CHUNK_CHANNELS = 32;

/**
 * The module's memory: two address lists for one fixation; a region that keeps output channels' filters transposed
 * to [kernel taps][cinG] (a tap's weights side by side, as its values are) across forward passes, `filterCap` bytes
 * at most (32 MB), sized at each forward pass to hold what the last one's walks read (the arena moves up: memory
 * that is not needed is not taken, as V8 counts it all when it decides to collect); then an arena that keeps, per
 * forward pass, each layer's input channel-last (transposed from the planar tensor when a walk first reads it: the
 * only channel-last copy of a float32 input), or, where the layer's fixations read few of its positions, only those
 * (a sparse copy at the arena's top, gathered by `sparse`, not kept: the next layer overwrites it).
 *
 * Filters do not depend on the forward pass, yet copying a channel's filter out of the JavaScript heap and
 * transposing it took a fifth of the conv rule's time on a fresh forward (each channel serves one or two fixations).
 * A channel's filter is kept from the second walk through its layer on (any forward pass): one explanation of a
 * model just opened keeps none (its peak memory), and a walk that finds no room transposes it into a slot at the
 * arena's top that is not kept (the fixations come sorted by output channel: once per channel). When the region was
 * at its cap for a whole forward pass whose walks missed more filters than they found (another model's, other
 * channels), it starts over at the next forward pass.
 *
 * The arena starts over on a new forward pass, and when a layer's input would take it past `cap` bytes: inputs are
 * copied in again as read, with the same results. A layer whose input alone needs more than the cap is refused
 * (`layer` returns false) and runs in TypeScript. Both transpositions run in WebAssembly from a scratch block just
 * past the arena's top (a few channels' planes, or one filter), which the next layer overwrites: the memory may pass
 * the cap by that block and the slot.
 */
export class ConvChannelKernel {
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  /** Where the arena starts: past the filter region, whose room it bounds. */
  private base = LISTS;
  /** Next free byte of the arena. */
  private top = this.base;
  /** Past the layer's input: where a filter not kept is transposed (the arena's top, or past a sparse input above it). */
  private scratch = this.top;
  /** Byte offset in the arena of each planar input's channel-last copy. */
  private inputs = new WeakMap<PlanarInput, number>();
  /** Next free byte of the filter region. */
  private filterTop = LISTS;
  /** Per filter tensor, the byte offset of each output channel's transposed filter (0: not kept). */
  private filters = new WeakMap<Float32Array, Int32Array>();
  /** Fixations whose filter was kept, and fixations whose filter found no room in the region, on this forward pass. */
  private hits = 0;
  private misses = 0;
  /** The region's top when this forward pass began. */
  private filterTopAtForward = LISTS;
  /** Bytes of filters this forward pass's walks read and did not find kept (once per channel and walk through a layer). */
  private wanted = 0;
  /** The forward pass the arena holds values of: one arena generation per forward. */
  private forwards = new WeakMap<object, number>();
  private generation = 0;
  /** Filter tensors a walk has read (on any forward pass): the next walk through them keeps their filters. */
  private seen = new WeakSet<Float32Array>();
  /** Whether the layer keeps the filters it transposes (not its first walk ever). */
  private keep = true;
  /** The output channel whose filter the layer transposed, not kept, at the arena's top (-1: none). */
  private slot = -1;
  /** The layer `layer` set up: its input's offset, filters, filter offsets. */
  private xAt = 0;
  private w: Float32Array = new Float32Array(0);
  private wAt: Int32Array = new Int32Array(0);
  private cinG = 0;
  private kernel = 0;
  /** Per input shape (channels, plane), where a kept input's channels start (`planes`); and channel 0's source for all. */
  private keptPlanes = new Map<string, Int32Array>();
  private zeros = new Int32Array(0);

  constructor(
    private readonly ex: Exports,
    /** Bytes the arena may hold (the channel-last inputs of one forward pass). */
    public cap = 256 * 1024 * 1024,
    /** Bytes of transposed filters kept across forward passes. */
    public filterCap = 32 * 1024 * 1024,
  ) {}

  /** The walk reads values of forward pass `key` (an identity): values kept for an earlier one are let go. */
  forward(key: object): void {
    if (this.forwards.get(key) === this.generation) return;
    this.generation++;
    this.clear();
    this.forwards.set(key, this.generation);
    // A region at its cap that took no filter during a forward pass and served fewer than it missed holds the wrong
    // ones (another model's, other channels): start it over. One that filled during the pass is judged on the next.
    const full = this.base >= LISTS + align(this.filterCap) && this.filterTop === this.filterTopAtForward;
    if (full && this.misses > this.hits) this.clearFilters();
    // Room for the filters kept and those the last pass wanted, within the cap (the arena is empty: it moves).
    this.base = LISTS + align(Math.min(Math.max(this.filterCap, 0), this.filterTop - LISTS + this.wanted));
    this.top = this.base;
    this.hits = this.misses = this.wanted = 0;
    this.filterTopAtForward = this.filterTop;
  }

  /** Whether the arena holds this forward tensor's channel-last copy. */
  holds(x: PlanarInput): boolean {
    return this.inputs.has(x);
  }

  /** Bytes of memory the module holds now (the arena's high-water mark: WebAssembly memory does not shrink). */
  get bytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  /** Bytes of transposed filters kept. */
  get filterBytes(): number {
    return this.filterTop - LISTS;
  }

  /** Grows the memory to `end` bytes at least (a megabyte more: filters are transposed one by one). */
  private room(end: number): void {
    const mem = this.ex.memory;
    if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end + (1 << 20) - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer) {
      this.f32 = new Float32Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
    }
  }

  private clear(): void {
    this.top = this.base;
    this.inputs = new WeakMap();
  }

  /** Lets every kept filter go (the tests start from an empty region too). */
  clearFilters(): void {
    this.filterTop = LISTS;
    this.filters = new WeakMap();
  }

  /**
   * Sets up a layer: its planar input `x` [cin][plane] (copied channel-last into the arena unless there already) and
   * its filters `w` [cout][cinG][kernel]. False when the layer's input alone does not fit under the cap (or the
   * kernel has more taps than the lists hold).
   */
  layer(x: PlanarInput, cin: number, plane: number, w: Float32Array, cinG: number, kernel: number): boolean {
    if (kernel > MAX_TAPS) return false;
    const inputBytes = align(cin * plane * 4);
    let xAt = this.inputs.get(x);
    if (xAt === undefined) {
      if (this.top - this.base + inputBytes > this.cap) {
        // Full: start over (the same forward pass, read again as needed), or refuse a layer that alone is too large.
        this.clear();
        if (inputBytes > this.cap) return false;
      }
      xAt = this.top;
      this.transpose(x, cin, plane, xAt, inputBytes);
      this.top += inputBytes;
      this.inputs.set(x, xAt);
    }
    this.scratch = this.top;
    this.useFilters(xAt, w, cinG, kernel);
    return true;
  }

  /**
   * Sets up a layer as `layer` does, with only the `count` input positions its fixations read copied channel-last
   * (`positions`, ascending: position positions[i]'s channels at row i, read at inputAt + i·cin + c): gathered
   * along the channels' planes at the arena's top and not kept (the next layer overwrites it; `holds` stays false).
   * False as `layer`'s. Gathered in JavaScript: WebAssembly reads only its own memory, and copying the planes in whole (one
   * memcpy of every line of the planes) cost alone about what the gather costs (a cache miss per line its positions
   * fall in): 0.5 to 3 ns per value gathered, against 1.3 to 1.8 for the whole gather (DenseNet-121's layer shapes).
   */
  sparse(x: PlanarInput, cin: number, plane: number, positions: Int32Array, count: number, w: Float32Array, cinG: number, kernel: number): boolean {
    if (kernel > MAX_TAPS) return false;
    const bytes = align(count * cin * 4);
    if (this.top - this.base + bytes > this.cap) {
      this.clear();
      if (bytes > this.cap) return false;
    }
    const at = this.top;
    this.room(at + bytes);
    const { f32 } = this;
    const { sources: S, input: I, at: A } = this.planes(x, cin, plane);
    // Eight channels at a time, each read along its plane (positions ascending): the eight values of a row are
    // written together (half a cache line), and the rows stay in the cache from one step to the next. Faster than
    // one or four channels per step (a derived input's gather: 11, 7 and 5.5 ns a value on DenseNet-121; a kept
    // one's: 7.7 and 6.2 on ResNet-50) and than whole rows of 16 channels per position (reads a plane apart).
    let c = 0;
    for (; c + 8 <= cin; c += 8) {
      const x0 = S[I[c]],
        x1 = S[I[c + 1]],
        x2 = S[I[c + 2]],
        x3 = S[I[c + 3]],
        x4 = S[I[c + 4]],
        x5 = S[I[c + 5]],
        x6 = S[I[c + 6]],
        x7 = S[I[c + 7]];
      const s0 = A[c],
        s1 = A[c + 1],
        s2 = A[c + 2],
        s3 = A[c + 3],
        s4 = A[c + 4],
        s5 = A[c + 5],
        s6 = A[c + 6],
        s7 = A[c + 7];
      for (let i = 0, d = (at >> 2) + c; i < count; i++, d += cin) {
        const p = positions[i];
        f32[d] = x0[s0 + p];
        f32[d + 1] = x1[s1 + p];
        f32[d + 2] = x2[s2 + p];
        f32[d + 3] = x3[s3 + p];
        f32[d + 4] = x4[s4 + p];
        f32[d + 5] = x5[s5 + p];
        f32[d + 6] = x6[s6 + p];
        f32[d + 7] = x7[s7 + p];
      }
    }
    for (; c < cin; c++) for (let i = 0, src = S[I[c]], s = A[c], d = (at >> 2) + c; i < count; i++, d += cin) f32[d] = src[s + positions[i]];
    this.scratch = at + bytes;
    // Derived: the values were gathered as their sources hold them; map them as the forward pass did.
    if (!(x instanceof Float32Array)) this.derive(x, at, count, cin);
    this.useFilters(at, w, cinG, kernel);
    return true;
  }

  /**
   * Where each channel's plane of `x` is: a derived input says so itself; a kept one is one source, its planes in
   * order (the offsets made once per shape).
   */
  private planes(x: PlanarInput, cin: number, plane: number): { sources: readonly Float32Array[]; input: Int32Array; at: Int32Array } {
    if (!(x instanceof Float32Array)) return x;
    const key = `${cin}:${plane}`;
    let at = this.keptPlanes.get(key);
    if (!at) {
      if (this.keptPlanes.size >= 256) this.keptPlanes.clear();
      this.keptPlanes.set(key, (at = Int32Array.from({ length: cin }, (_, c) => c * plane)));
    }
    if (this.zeros.length < cin) this.zeros = new Int32Array(cin);
    return { sources: [x], input: this.zeros, at };
  }

  /** The layer's input at byte `xAt` and its filters: the offsets of those kept, whether it keeps more. */
  private useFilters(xAt: number, w: Float32Array, cinG: number, kernel: number): void {
    let wAt = this.filters.get(w);
    if (!wAt) this.filters.set(w, (wAt = new Int32Array(w.length / (cinG * kernel))));
    this.keep = this.seen.has(w);
    this.seen.add(w);
    this.slot = -1;
    this.xAt = xAt;
    this.w = w;
    this.wAt = wAt;
    this.cinG = cinG;
    this.kernel = kernel;
  }

  /**
   * Copies the planar input x [cin][plane] channel-last to byte `at`: a few channels at a time into a scratch block
   * past the copy's end (the next layer's room, not kept), then transposed there in WebAssembly, 4 × 4 values per
   * step. Five to ten times faster than the same loop in JavaScript, for the cost of the scratch block.
   */
  private transpose(x: PlanarInput, cin: number, plane: number, at: number, bytes: number): void {
    const cb = Math.min(CHUNK_CHANNELS, Math.max(4, Math.floor(CHUNK / (plane * 4)) & ~3));
    const scratch = at + bytes;
    this.room(scratch + Math.min(cb, cin) * plane * 4);
    const { sources: S, input: I, at: A } = this.planes(x, cin, plane);
    for (let c0 = 0; c0 < cin; c0 += cb) {
      const n = Math.min(cb, cin - c0);
      // One copy per run of channels whose planes follow each other in one source (a kept input's are one run).
      for (let c = c0, e = c0 + 1; c < c0 + n; c = e++) {
        while (e < c0 + n && I[e] === I[c] && A[e] === A[c] + (e - c) * plane) e++;
        this.f32.set(S[I[c]].subarray(A[c], A[c] + (e - c) * plane), (scratch >> 2) + (c - c0) * plane);
      }
      this.ex.transpose(scratch, n, plane, at + c0 * 4, cin);
    }
    // Derived: the planes were copied as their sources hold them; map them as the forward pass did.
    if (!(x instanceof Float32Array)) this.derive(x, at, plane, cin);
  }

  /**
   * Maps `rows` channel-last rows of a derived input at byte `at` in place to its values (tensor.ts, derivedValue):
   * in WebAssembly, the scales and shifts laid out past the rows, four channels at a time; in TypeScript where the
   * channels are not a multiple of four.
   */
  private derive(x: DerivedChannels, at: number, rows: number, cin: number): void {
    if (cin % 4 === 0) {
      const scales = align(at + rows * cin * 4);
      this.room(scales + cin * 16);
      const f64 = new Float64Array(this.ex.memory.buffer, scales, 2 * cin);
      f64.set(x.scale);
      f64.set(x.shift, cin);
      this.ex.affineRows(at, rows, cin, scales, scales + cin * 8, x.relu ? 1 : 0);
      return;
    }
    const { f32 } = this;
    for (let p = 0, d = at >> 2; p < rows; p++)
      for (let c = 0; c < cin; c++, d++) {
        const v = Math.fround(f32[d] * x.scale[c] + x.shift[c]);
        f32[d] = x.relu && v < 0 ? 0 : v;
      }
  }

  /**
   * Output channel c's filter [cinG][kernel] as [kernel][cinG] at byte `at` (the region's, or the slot at the
   * arena's top): copied past the slot, transposed into place.
   */
  private filter(c: number, at: number): void {
    const { cinG, kernel } = this;
    const filter = this.w.subarray(c * cinG * kernel, (c + 1) * cinG * kernel);
    if (kernel === 1) {
      this.room(at + filter.length * 4);
      this.f32.set(filter, at >> 2);
    } else {
      const scratch = this.scratch + align(filter.length * 4);
      this.room(scratch + filter.length * 4);
      this.f32.set(filter, scratch >> 2);
      this.ex.transpose(scratch, cinG, kernel, at, cinG);
    }
  }

  /**
   * The memory as float32, where the layer's channel-last input starts at `inputAt` (value (p, c) at inputAt +
   * p·cin + c). Taken again after each `best`: growing the memory detaches the views of the old one.
   */
  get values(): Float32Array {
    return this.f32;
  }

  get inputAt(): number {
    return this.xAt >> 2;
  }

  /**
   * The first channel with the largest sign × Σ_r last[rows[r] + ci] · w[c·cinG·kernel + ci·kernel + inTap[r]] over
   * the m taps, as bestChannelLast in rules/conv-kernel.ts, on the layer given to `layer`; c the output channel.
   */
  best(rows: Int32Array, inTap: Int32Array, m: number, c: number, sign: number): number {
    this.lists(rows, inTap, m, c);
    return this.ex.bestChannel(0, MAX_TAPS * 4, m, this.cinG, sign);
  }

  /** Σ_r Σ_ci last[rows[r] + ci] · w[c·cinG·kernel + ci·kernel + inTap[r]]: output channel c's value before its bias. */
  sum(rows: Int32Array, inTap: Int32Array, m: number, c: number): number {
    this.lists(rows, inTap, m, c);
    return this.ex.total(0, MAX_TAPS * 4, m, this.cinG);
  }

  /** Output channel c's filter rows and the input rows of the m taps, as byte addresses in the two lists. */
  private lists(rows: Int32Array, inTap: Int32Array, m: number, c: number): void {
    let at = this.wAt[c];
    if (at !== 0) this.hits++;
    else {
      const bytes = align(this.cinG * this.kernel * 4);
      if (this.keep && this.filterTop + bytes <= this.base) {
        at = this.wAt[c] = this.filterTop;
        this.filterTop += bytes;
        this.filter(c, at);
      } else {
        at = this.scratch;
        if (this.keep) this.misses++;
        if (this.slot !== c) {
          this.wanted += bytes;
          this.filter(c, at);
          this.slot = c;
        }
      }
    }
    const r0 = MAX_TAPS,
      { i32, cinG } = this;
    for (let r = 0; r < m; r++) {
      i32[r] = at + inTap[r] * cinG * 4;
      i32[r0 + r] = this.xAt + rows[r] * 4;
    }
  }
}

const instance = instantiate<Exports>(convWasm);
/** The kernel, or undefined without WebAssembly SIMD. */
export const convChannelKernel: ConvChannelKernel | undefined = instance && new ConvChannelKernel(instance);
