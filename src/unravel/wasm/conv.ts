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
}

/**
 * The module's memory for one layer at a time: the filter and input row addresses of one fixation, one output
 * channel's filter transposed to [kernel taps][cinG] (a tap's weights side by side, as its values are), and the
 * layer's whole channel-last input (one copy per layer and walk, which costs less than copying each fixation's
 * receptive field).
 */
export class ConvChannelKernel {
  private f32 = new Float32Array(0);
  private i32 = new Int32Array(0);
  /** Byte offsets, set by `layer`. */
  private rowsAt = 0;
  private wAt = 0;
  private xAt = 0;
  /** The filter in memory now: the next fixation of the same output channel reuses it. */
  private filter: Float32Array | undefined;
  private filterBase = -1;

  constructor(private readonly ex: Exports) {}

  /** Copies in a layer's channel-last input `last`; its filters hold cinG × kernel values. */
  layer(last: Float32Array, cinG: number, kernel: number): void {
    const listBytes = (kernel * 4 + 15) & ~15;
    const filterBytes = (cinG * kernel * 4 + 15) & ~15;
    const need = 2 * listBytes + filterBytes + last.length * 4;
    const mem = this.ex.memory;
    if (need > mem.buffer.byteLength) mem.grow(Math.ceil((need - mem.buffer.byteLength) / 65536));
    if (this.f32.buffer !== mem.buffer) {
      this.f32 = new Float32Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
    }
    this.rowsAt = listBytes;
    this.wAt = 2 * listBytes;
    this.xAt = 2 * listBytes + filterBytes;
    this.f32.set(last, this.xAt >> 2);
    this.filter = undefined;
  }

  /**
   * The first channel with the largest sign × Σ_r last[rows[r] + ci] · w[wBase + ci·kernel + inTap[r]] over the m
   * taps, as bestChannelLast in rules/conv-kernel.ts, on the input given to `layer`.
   */
  best(rows: Int32Array, inTap: Int32Array, m: number, cinG: number, w: Float32Array, wBase: number, kernel: number, sign: number): number {
    const { i32 } = this;
    if (this.filter !== w || this.filterBase !== wBase) {
      const { f32 } = this;
      const at = this.wAt >> 2;
      if (kernel === 1) f32.set(w.subarray(wBase, wBase + cinG), at);
      else for (let ci = 0; ci < cinG; ci++) for (let t = 0, from = wBase + ci * kernel; t < kernel; t++) f32[at + t * cinG + ci] = w[from + t];
      this.filter = w;
      this.filterBase = wBase;
    }
    const r0 = this.rowsAt >> 2;
    for (let r = 0; r < m; r++) {
      i32[r] = this.wAt + inTap[r] * cinG * 4;
      i32[r0 + r] = this.xAt + rows[r] * 4;
    }
    return this.ex.bestChannel(0, this.rowsAt, m, cinG, sign);
  }
}

function load(): ConvChannelKernel | undefined {
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm || !wasm.validate(convWasm)) return undefined;
  const instance = new wasm.Instance(new wasm.Module(convWasm));
  return new ConvChannelKernel(instance.exports as unknown as Exports);
}

/** The kernel, or undefined without WebAssembly SIMD. */
export const convChannelKernel: ConvChannelKernel | undefined = load();
