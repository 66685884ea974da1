// The fully connected rule's argmax scan and mass split in WebAssembly SIMD (fc.wat), for float32 weights whose
// neurons' rows are contiguous (a Gemm with transB, as torch exports Linear): the same contributions, sums and shares
// as the TypeScript loops, to the last bit. Each neuron's row is copied in as it is read (VGG-16's fc6 row is 100 KB):
// the weights stay where they are, in JavaScript memory. Undefined where WebAssembly or its SIMD is missing (checked
// once, when this module loads); the rule then runs in TypeScript.
import { fcWasm } from './fc-wasm';
import { instantiate, type Memory } from './module';

interface Exports {
  readonly memory: Memory;
  argmax(v: number, row: number, k: number): number;
  argmax32(v32: number, v: number, row: number, k: number): number;
  sums(v: number, a: number, b: number, c: number, d: number, k: number, out: number): void;
  split(v: number, a: number, b: number, c: number, d: number, k: number, shares: number, acc: number, marks: number): void;
}

/** Byte offsets: the sums (four doubles), the shares (four doubles), then the row's values. */
const OUT = 0;
const SHARES = 64;
const VALUES = 128;
/** Rows held at once: four neurons' weights, and a row of zeros that stands for a missing fourth. */
const ROWS = 5;

/**
 * The memory, for rows of k inputs: the values v (k doubles), five rows of k float32 (the fifth all zeros), the masses
 * (k doubles) and the marks (k bytes) of the inputs kept by a split.
 */
export class FcKernel {
  private f64 = new Float64Array(0);
  private f32 = new Float32Array(0);
  private k = 0;
  private rowsAt = 0;
  private accAt = 0;
  private marksAt = 0;
  /** Where the row's values sit as float32, when they all are float32 values (`float32Values`); 0: they are not. */
  private v32At = 0;
  private v32Next = 0;

  constructor(private readonly ex: Exports) {}

  /** Whether the kernel reads this product's weights: float32, each neuron's row contiguous, k a multiple of 4. */
  static reads(b: ArrayLike<number>, k: number, bI: number): b is Float32Array {
    return b instanceof Float32Array && bI === 1 && k > 0 && k % 4 === 0;
  }

  /** Lays the memory out for rows of k inputs, masses and marks at zero. */
  begin(k: number): void {
    this.k = k;
    this.rowsAt = VALUES + k * 8;
    this.accAt = this.rowsAt + ROWS * k * 4;
    this.marksAt = this.accAt + k * 8;
    this.v32Next = (this.marksAt + k + 15) & ~15;
    this.v32At = 0;
    const bytes = this.v32Next + k * 4;
    const { memory } = this.ex;
    if (memory.buffer.byteLength < bytes) memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / 65536));
    if (this.f64.buffer !== memory.buffer || this.f64.length === 0) {
      this.f64 = new Float64Array(memory.buffer);
      this.f32 = new Float32Array(memory.buffer);
    }
    this.f32.fill(0, (this.rowsAt >> 2) + 4 * k, (this.rowsAt >> 2) + 5 * k);
    this.acc.fill(0);
    this.marks.fill(0);
  }

  /** The row's values v_i = a_i · sign, as the rule computes them (0 where the activation is zero). */
  get values(): Float64Array {
    return this.f64.subarray(VALUES >> 3, (VALUES >> 3) + this.k);
  }

  /**
   * Says that the row's values (`values`, filled) are float32 values (a float32 activation times ±1): `argmax` then
   * scans in float32 first (fc.wat, argmax32), with the same result.
   */
  float32Values(): void {
    this.f32.set(this.values, this.v32Next >> 2);
    this.v32At = this.v32Next;
  }

  /** The masses a split accumulates, per input of the row. */
  get acc(): Float64Array {
    return this.f64.subarray(this.accAt >> 3, (this.accAt >> 3) + this.k);
  }

  /** Whether a split kept each input of the row (1) or not (0). */
  get marks(): Uint8Array {
    return new Uint8Array(this.f64.buffer, this.marksAt, this.k);
  }

  /** Copies neuron row b[b0 … b0 + k) into slot 0–3 and returns its byte address. */
  row(slot: number, b: Float32Array, b0: number): number {
    const at = this.rowsAt + slot * this.k * 4;
    this.f32.set(b.subarray(b0, b0 + this.k), at >> 2);
    return at;
  }

  /** The byte address of the row of zeros (a neuron that is not there: it contributes nothing). */
  get zeros(): number {
    return this.rowsAt + 4 * this.k * 4;
  }

  /** The first input with the largest positive v_i · w_i of the row at `row`, −1 for none. */
  argmax(row: number): number {
    return this.v32At ? this.ex.argmax32(this.v32At, VALUES, row, this.k) : this.ex.argmax(VALUES, row, this.k);
  }

  /** The four rows' sums of positive contributions, in input order (the rule's Σ p_i), into `out`. */
  sums(rows: Int32Array, out: Float64Array): void {
    this.ex.sums(VALUES, rows[0], rows[1], rows[2], rows[3], this.k, OUT);
    for (let r = 0; r < 4; r++) out[r] = this.f64[OUT / 8 + r];
  }

  /** Adds share_r · v_i · w_r[i] to input i's mass for each row r whose contribution is positive, rows in order. */
  split(rows: Int32Array, shares: Float64Array): void {
    this.f64.set(shares, SHARES >> 3);
    this.ex.split(VALUES, rows[0], rows[1], rows[2], rows[3], this.k, SHARES, this.accAt, this.marksAt);
  }
}

const instance = instantiate<Exports>(fcWasm);
/** The kernel, or undefined without WebAssembly SIMD. */
export const fcKernel: FcKernel | undefined = instance && new FcKernel(instance);
