// The conv rule's channel choice for quantized layers in WebAssembly SIMD (qconv.wat): uint8/int8 activations and
// integer filters, read as they are, their products summed in 32-bit integers. The TypeScript rule adds the same
// integer products in double precision, exactly, so the sums and the choice are the same, ties included. Undefined
// where WebAssembly or its SIMD is missing (checked once, when this module loads); the rule then runs in TypeScript.
import type { Values } from '../../onnx/tensor';
import type { Activation } from '../tensor';
import { qconvWasm } from './qconv-wasm';
import { align, instantiate, type Memory } from './module';

interface Exports {
  readonly memory: Memory;
  bestChannel(wrows: number, rows: number, m: number, cinG: number, zero: number, sign: number): number;
  transpose(src: number, cb: number, plane: number, dst: number, cin: number, flip: number): void;
}

/** Taps per fixation the address lists at the start of memory hold; a larger kernel runs in TypeScript. */
const MAX_TAPS = 4096;
/** Bytes of the two address lists (filter rows, input rows) before the arena. */
const LISTS = 2 * MAX_TAPS * 4;
/** Channels per step of the kernel: filter rows are padded to it, and it reads this many bytes past an input row. */
const LANES = 16;
/** The largest sum a 32-bit lane holds. */
const I32_MAX = 2 ** 31 - 1;

/** A filter tensor as the kernel reads it: per output channel [kernel taps][cinG padded to LANES], int16. */
interface Filters {
  readonly cinG: number;
  readonly kernel: number;
  /** Padded channels per tap row. */
  readonly row: number;
  /** Filled per output channel on first use, kept as long as the model's weights (once per model, not per walk). */
  readonly values: Int16Array;
  readonly ready: Uint8Array;
  /** The largest |weight|. */
  readonly maxAbs: number;
}

/** Per filter tensor (the model's constants: the same array every walk), or null where it is not all 16-bit integers. */
const filterCache = new WeakMap<object, Filters | null>();

/** The filters' int16 form, or undefined when a weight is not an integer that fits (the rule then runs in TypeScript). */
function filtersOf(w: ArrayLike<number>, cinG: number, kernel: number): Filters | undefined {
  const hit = filterCache.get(w);
  if (hit !== undefined) return hit && hit.cinG === cinG && hit.kernel === kernel ? hit : undefined;
  let maxAbs: number;
  if (w instanceof Int8Array) maxAbs = 128;
  else if (w instanceof Uint8Array) maxAbs = 255;
  else {
    maxAbs = 0;
    for (let i = 0; i < w.length; i++) {
      const v = w[i];
      if (!Number.isInteger(v) || v < -32768 || v > 32767) {
        filterCache.set(w, null);
        return undefined;
      }
      if (Math.abs(v) > maxAbs) maxAbs = Math.abs(v);
    }
  }
  const row = Math.ceil(cinG / LANES) * LANES;
  const cout = w.length / (cinG * kernel);
  const made: Filters = { cinG, kernel, row, values: new Int16Array(cout * kernel * row), ready: new Uint8Array(cout), maxAbs };
  filterCache.set(w, made);
  return made;
}

/** Output channel c's filter [cinG][kernel] laid out [kernel][row] (the padding stays 0). */
function fill(f: Filters, w: ArrayLike<number>, c: number): void {
  const { cinG, kernel, row, values } = f;
  const src = c * cinG * kernel,
    dst = c * kernel * row;
  for (let ci = 0; ci < cinG; ci++) for (let t = 0; t < kernel; t++) values[dst + t * row + ci] = w[src + ci * kernel + t];
  f.ready[c] = 1;
}

/**
 * The module's memory: two address lists for one fixation, then an arena that keeps, per forward pass, each layer's
 * input channel-last as bytes (transposed from the planar tensor when a walk first reads it), then a slot with the
 * filter of the output channel being chosen for (copied from the per-model int16 filters), which the next layer
 * overwrites. The arena starts over on a new forward pass, and when a layer would take it past `cap` bytes; a layer
 * that alone needs more is refused (`layer` returns false) and runs in TypeScript.
 */
export class IntegerConvKernel {
  private u8 = new Uint8Array(0);
  private i16 = new Int16Array(0);
  private i32 = new Int32Array(0);
  /** Next free byte of the arena. */
  private top = LISTS;
  /** Byte offset in the arena of each planar input's channel-last copy. */
  private inputs = new WeakMap<Values, number>();
  /** The forward pass the arena holds values of: one arena generation per forward. */
  private forwards = new WeakMap<object, number>();
  private generation = 0;
  /** The layer `layer` set up. */
  private xAt = 0;
  private zero = 0;
  private w: ArrayLike<number> = [];
  private filters: Filters | undefined;
  private slotAt = 0;
  /** The output channel whose filter is in the slot (-1: none). */
  private slot = -1;
  /** Depthwise: one input channel per group, the choice is channel 0 and nothing is read. */
  private single = false;

  constructor(
    private readonly ex: Exports,
    /** Bytes the arena may hold. */
    public cap = 128 * 1024 * 1024,
  ) {}

  /** The walk reads values of forward pass `key` (an identity): values kept for an earlier one are let go. */
  forward(key: object): void {
    if (this.forwards.get(key) === this.generation) return;
    this.generation++;
    this.clear();
    this.forwards.set(key, this.generation);
  }

  /** Whether the arena holds this forward tensor's channel-last copy. */
  holds(x: Values): boolean {
    return this.inputs.has(x);
  }

  /** Bytes of memory the module holds now (the arena's high-water mark: WebAssembly memory does not shrink). */
  get bytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  private room(end: number): void {
    const mem = this.ex.memory;
    if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end + (1 << 20) - mem.buffer.byteLength) / 65536));
    if (this.u8.buffer !== mem.buffer) {
      this.u8 = new Uint8Array(mem.buffer);
      this.i16 = new Int16Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
    }
  }

  /** The memory as bytes, where the layer's channel-last input starts at `inputAt` (value (p, c) at inputAt + p·cin + c, int8 with its top bit flipped). */
  get values(): Uint8Array {
    return this.u8;
  }

  get inputAt(): number {
    return this.xAt;
  }

  private clear(): void {
    this.top = LISTS;
    this.inputs = new WeakMap();
  }

  /**
   * Sets up a layer: its quantized input `x` (uint8 or int8 data with an integer zero point and scale 1, copied
   * channel-last into the arena unless there already) and its integer filters `w` [cout][cinG][kernel]. False when
   * the kernel cannot take it (another data type, a weight that is not a 16-bit integer, sums that could pass 32
   * bits, more taps than the lists hold) or it does not fit under the cap.
   */
  layer(x: Activation, w: ArrayLike<number>, cinG: number, kernel: number): boolean {
    const { data, zero } = x;
    const signed = data instanceof Int8Array;
    if (!(signed || data instanceof Uint8Array) || x.scale !== 1 || kernel > MAX_TAPS) return false;
    // int8 values are read as uint8 with their top bit flipped: x − zero = (x ^ 0x80) − (zero + 128).
    const z = signed ? zero + 128 : zero;
    if (!Number.isInteger(z) || z < 0 || z > 255) return false;
    // One channel per group: nothing to sum, and the tap choice reads the tensor (the caller's loop).
    this.single = cinG === 1;
    if (this.single) return true;
    const f = filtersOf(w, cinG, kernel);
    if (!f || kernel * Math.max(z, 255 - z) * f.maxAbs > I32_MAX) return false;
    const [, cin, H, W] = x.dims;
    const plane = H * W;
    const inputBytes = align(cin * plane + LANES);
    const slotBytes = kernel * f.row * 2;
    const need = () => (this.inputs.has(data) ? 0 : inputBytes) + slotBytes;
    if (this.top + need() > this.cap) {
      this.clear();
      if (this.top + need() > this.cap) return false;
    }
    let xAt = this.inputs.get(data);
    if (xAt === undefined) {
      xAt = this.top;
      // The planar bytes go just past the copy (the slot's room, not kept), then are transposed into place.
      const scratch = xAt + inputBytes;
      this.room(scratch + cin * plane);
      this.u8.set(new Uint8Array(data.buffer, data.byteOffset, cin * plane), scratch);
      this.ex.transpose(scratch, cin, plane, xAt, cin, signed ? 0x80 : 0);
      this.top += inputBytes;
      this.inputs.set(data, xAt);
    }
    this.slotAt = this.top;
    this.room(this.slotAt + slotBytes);
    this.slot = -1;
    this.xAt = xAt;
    this.zero = z;
    this.w = w;
    this.filters = f;
    return true;
  }

  /**
   * The first channel with the largest sign × Σ_r (x[rows[r] + ci] − zero) · w[c·cinG·kernel + ci·kernel + inTap[r]]
   * over the m taps, as bestChannelLast in rules/conv-kernel.ts, on the layer given to `layer`; c the output channel,
   * rows[r] the channel-last offset (position · cin + the group's first channel) of tap r.
   */
  best(rows: Int32Array, inTap: Int32Array, m: number, c: number, sign: number): number {
    if (this.single) return 0;
    const f = this.filters!;
    if (this.slot !== c) {
      if (!f.ready[c]) fill(f, this.w, c);
      const n = f.kernel * f.row;
      this.i16.set(f.values.subarray(c * n, (c + 1) * n), this.slotAt >> 1);
      this.slot = c;
    }
    const r0 = MAX_TAPS,
      { i32 } = this,
      rowBytes = f.row * 2;
    for (let r = 0; r < m; r++) {
      i32[r] = this.slotAt + inTap[r] * rowBytes;
      i32[r0 + r] = this.xAt + rows[r];
    }
    return this.ex.bestChannel(0, r0 * 4, m, f.cinG, this.zero, sign);
  }

  /**
   * After `best`, the tap choice of rules/conv-kernel.ts for channel ci of the same fixation: the first tap r with
   * the largest value x − zero (`activation`) or (x − zero) · weight · sign, read from the rows the channel choice
   * just read (in the cache) instead of the planar tensor. The same integers, multiplied exactly in double
   * precision. −1 where the layer has no copy (a group of one channel): the caller reads the tensor.
   */
  tap(rows: Int32Array, inTap: Int32Array, m: number, ci: number, activation: boolean, sign: number): number {
    if (this.single) return -1;
    const { u8, i16, zero } = this;
    const f = this.filters!;
    const x0 = this.xAt + ci,
      w0 = (this.slotAt >> 1) + ci;
    let q = -1,
      top = -Infinity;
    for (let r = 0; r < m; r++) {
      const p = u8[x0 + rows[r]] - zero;
      const v = activation ? p : p * i16[w0 + inTap[r] * f.row] * sign;
      if (v > top) {
        top = v;
        q = r;
      }
    }
    return q;
  }
}

const instance = instantiate<Exports>(qconvWasm);
/** The kernel, or undefined without WebAssembly SIMD. */
export const integerConvKernel: IntegerConvKernel | undefined = instance && new IntegerConvKernel(instance);
