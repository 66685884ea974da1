// The conv rule's channel choice in WebAssembly SIMD (conv.wat), for float32 activations and filters: the same
// sums in the same order as the TypeScript loop, two channels at a time. Undefined where WebAssembly or its SIMD
// is missing (checked once, when this module loads); the rule then runs in TypeScript.
import { convWasm } from './conv-wasm';

/** The WebAssembly global as used here (the extension host's tsconfig has no DOM types, which declare it). */
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}
interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface Exports {
  readonly memory: Memory;
  bestChannel(wrows: number, rows: number, m: number, cinG: number, sign: number): number;
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
 * The module's memory: two address lists for one fixation, then an arena that keeps, per forward pass, each
 * layer's input channel-last (transposed from the planar tensor when a walk first reads it: the only channel-last
 * copy of a float32 input) and each output channel's filter transposed to [kernel taps][cinG] (a tap's weights side
 * by side, as its values are), kept from the second walk through the layer on that forward pass: a first walk
 * transposes each channel it reads into a slot that is not kept, so one explanation holds no filter copies, and
 * from the second class switch on nothing is copied.
 * The arena starts over on a new forward pass, and when a layer would take it past `cap` bytes: everything is
 * copied in again as read, with the same results. A layer that alone needs more than the cap is refused (`layer`
 * returns false) and runs in TypeScript. Both transpositions run in WebAssembly from a scratch block just past the
 * arena's top (a few channels' planes, or one filter), which the next layer overwrites: the memory may pass the cap
 * by that block.
 */
export class ConvChannelKernel {
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  /** Next free byte of the arena. */
  private top = LISTS;
  /** Byte offset in the arena of each planar input's channel-last copy. */
  private inputs = new WeakMap<Float32Array, number>();
  /** Per filter tensor, the byte offset of each output channel's transposed filter (0: not in the arena). */
  private filters = new WeakMap<Float32Array, Int32Array>();
  /** The forward pass the arena holds values of: one arena generation per forward. */
  private forwards = new WeakMap<object, number>();
  private generation = 0;
  /** Per filter tensor, the arena generation in which a layer last read it. */
  private seen = new WeakMap<Float32Array, number>();
  /** Whether the layer keeps the filters it transposes: from the second walk through it on this forward pass. */
  private keep = true;
  /** The output channel whose filter the layer transposed, not kept, at the arena's top (-1: none). */
  private slot = -1;
  /** The layer `layer` set up: its input's offset, filters, filter offsets. */
  private xAt = 0;
  private w: Float32Array = new Float32Array(0);
  private wAt: Int32Array = new Int32Array(0);
  private cinG = 0;
  private kernel = 0;

  constructor(
    private readonly ex: Exports,
    /** Bytes the arena may hold. */
    public cap = 256 * 1024 * 1024,
  ) {}

  /** The walk reads values of forward pass `key` (an identity): values kept for an earlier one are let go. */
  forward(key: object): void {
    if (this.forwards.get(key) === this.generation) return;
    this.generation++;
    this.clear();
    this.forwards.set(key, this.generation);
  }

  /** Whether the arena holds this forward tensor's channel-last copy. */
  holds(x: Float32Array): boolean {
    return this.inputs.has(x);
  }

  /** Bytes of memory the module holds now (the arena's high-water mark: WebAssembly memory does not shrink). */
  get bytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  /** Grows the memory to `end` bytes at least (filters a megabyte at a time: a layer transposes them one by one). */
  private room(end: number): void {
    const mem = this.ex.memory;
    if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end + (1 << 20) - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer) {
      this.f32 = new Float32Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
    }
  }

  private clear(): void {
    this.top = LISTS;
    this.inputs = new WeakMap();
    this.filters = new WeakMap();
  }

  /**
   * Sets up a layer: its planar input `x` [cin][plane] (copied channel-last into the arena unless there already) and
   * its filters `w` [cout][cinG][kernel]. False when the layer alone does not fit under the cap (or has more taps
   * than the lists hold).
   */
  layer(x: Float32Array, cin: number, plane: number, w: Float32Array, cinG: number, kernel: number): boolean {
    if (kernel > MAX_TAPS) return false;
    const cout = w.length / (cinG * kernel);
    const filterBytes = align(cinG * kernel * 4);
    const inputBytes = align(cin * plane * 4);
    // Room for the input and every filter channel, so that a channel transposed during the layer always fits.
    const need = () => (this.inputs.has(x) ? 0 : inputBytes) + missing(this.filters.get(w), cout) * filterBytes;
    if (this.top + need() > this.cap) {
      // Full: start over (the same forward pass, read again as needed), or refuse a layer that alone is too large.
      this.clear();
      if (this.top + need() > this.cap) return false;
    }
    let xAt = this.inputs.get(x);
    if (xAt === undefined) {
      xAt = this.top;
      this.transpose(x, cin, plane, xAt, inputBytes);
      this.top += inputBytes;
      this.inputs.set(x, xAt);
    }
    let wAt = this.filters.get(w);
    if (!wAt) this.filters.set(w, (wAt = new Int32Array(cout)));
    // A first walk keeps no filter (one explanation's peak memory): the fixations come sorted by output channel, so
    // each channel's filter is transposed once into a slot at the top. A second walk (a class switch) keeps them.
    this.keep = this.seen.get(w) === this.generation;
    this.seen.set(w, this.generation);
    this.slot = -1;
    this.xAt = xAt;
    this.w = w;
    this.wAt = wAt;
    this.cinG = cinG;
    this.kernel = kernel;
    return true;
  }

  /**
   * Copies the planar input x [cin][plane] channel-last to byte `at`: a few channels at a time into a scratch block
   * past the copy's end (the next layer's room, not kept), then transposed there in WebAssembly, 4 × 4 values per
   * step. Five to ten times faster than the same loop in JavaScript, for the cost of the scratch block.
   */
  private transpose(x: Float32Array, cin: number, plane: number, at: number, bytes: number): void {
    const cb = Math.min(CHUNK_CHANNELS, Math.max(4, Math.floor(CHUNK / (plane * 4)) & ~3));
    const scratch = at + bytes;
    this.room(scratch + Math.min(cb, cin) * plane * 4);
    for (let c0 = 0; c0 < cin; c0 += cb) {
      const n = Math.min(cb, cin - c0);
      this.f32.set(x.subarray(c0 * plane, (c0 + n) * plane), scratch >> 2);
      this.ex.transpose(scratch, n, plane, at + c0 * 4, cin);
    }
  }

  /** Output channel c's filter [cinG][kernel] as [kernel][cinG] at byte `at`: copied just past it, transposed into place. */
  private filter(c: number, at: number): void {
    const { cinG, kernel } = this;
    const filter = this.w.subarray(c * cinG * kernel, (c + 1) * cinG * kernel);
    const end = at + align(filter.length * 4);
    if (kernel === 1) {
      this.room(end);
      this.f32.set(filter, at >> 2);
    } else {
      this.room(end + filter.length * 4);
      this.f32.set(filter, end >> 2);
      this.ex.transpose(end, cinG, kernel, at, cinG);
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
    const { cinG, kernel } = this;
    let at = this.wAt[c];
    if (at === 0) {
      at = this.top;
      if (this.keep) {
        this.wAt[c] = at;
        this.top += align(cinG * kernel * 4);
        this.filter(c, at);
      } else if (this.slot !== c) {
        this.filter(c, at);
        this.slot = c;
      }
    }
    const r0 = MAX_TAPS,
      { i32 } = this;
    for (let r = 0; r < m; r++) {
      i32[r] = at + inTap[r] * cinG * 4;
      i32[r0 + r] = this.xAt + rows[r] * 4;
    }
    return this.ex.bestChannel(0, r0 * 4, m, cinG, sign);
  }
}

/** Output channels whose transposed filter is not in the arena. */
function missing(at: Int32Array | undefined, cout: number): number {
  if (!at) return cout;
  let n = 0;
  for (let c = 0; c < cout; c++) if (at[c] === 0) n++;
  return n;
}

/** Arena blocks start on 16 bytes (a v128). */
function align(bytes: number): number {
  return (bytes + 15) & ~15;
}

function load(): ConvChannelKernel | undefined {
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm || !wasm.validate(convWasm)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(convWasm));
  return new ConvChannelKernel(instance.exports as unknown as Exports);
}

/** The kernel, or undefined without WebAssembly SIMD. */
export const convChannelKernel: ConvChannelKernel | undefined = load();
