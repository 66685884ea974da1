// The resize's two shrinking passes in WebAssembly SIMD (resize.wat): the same sums in the same order as the
// TypeScript passes in resize.ts, a pixel's four channels two at a time. Undefined where WebAssembly or its SIMD is
// missing (checked once, when this module loads); the resize then runs in TypeScript.
import { resizeWasm } from './resize-wasm';

/** The WebAssembly global as used here (the extension host's tsconfig has no DOM types, which declare it). */
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}
interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  rowsBox(
    src: number,
    rows: number,
    rowBytes: number,
    dst: number,
    dstRowBytes: number,
    start: number,
    off: number,
    w: number,
    n: number,
    alphaScale: number,
  ): void;
  columnsBox(pass: number, start: number, off: number, w: number, ny: number, n: number, out: number, alphaScale: number): void;
}

/** The taps of one pass's outputs, as resize.ts plans them: output i reads src[start[i] … start[i+1]) with weight[…]. */
export interface Taps {
  readonly start: Int32Array;
  readonly src: Int32Array;
  readonly weight: Float64Array;
}

/** Bytes of source rows copied into the module's memory at a time for pass one (a few hundred kB stay in cache). */
const CHUNK = 256 * 1024;

const align = (bytes: number, to: number) => Math.ceil(bytes / to) * to;

/** Bytes of memory kept for the next image; a larger one (WebAssembly memory does not shrink) is let go after the call. */
const KEEP = 32 * 1024 * 1024;

/**
 * The module and its memory: per call, the two plans (rebased to the region), pass one's float32 rows, the region's
 * output bytes and a chunk of source rows. The memory is kept for the next image up to KEEP bytes (a 12-megapixel
 * photo cropped to 224 × 224 needs about 10 MB); past that, the call ends with a fresh instance, so a rare huge
 * resize does not hold its memory for the life of the process.
 */
class ResizeKernel {
  private u8 = new Uint8Array(0);
  private i32 = new Int32Array(0);
  private f64 = new Float64Array(0);
  private ex: Exports;

  constructor(private readonly instantiate: () => Exports) {
    this.ex = instantiate();
  }

  /** Bytes of memory the module holds now. */
  get bytes(): number {
    return this.ex.memory.buffer.byteLength;
  }

  private room(end: number): void {
    const mem = this.ex.memory;
    if (end > mem.buffer.byteLength) mem.grow(Math.ceil((end - mem.buffer.byteLength) / 65536));
    if (this.u8.buffer !== mem.buffer) {
      this.u8 = new Uint8Array(mem.buffer);
      this.i32 = new Int32Array(mem.buffer);
      this.f64 = new Float64Array(mem.buffer);
    }
  }

  /** Writes plan `p`'s outputs [first, last) at `at`: start (rebased), off (src − base, × unit bytes), weight. Returns the end. */
  private plan(p: Taps, first: number, last: number, base: number, unit: number, at: number): { start: number; off: number; w: number; end: number } {
    const t0 = p.start[first],
      taps = p.start[last] - t0;
    const start = at,
      off = start + (last - first + 1) * 4,
      w = align(off + taps * 4, 8),
      end = w + taps * 8;
    this.room(end);
    for (let i = first; i <= last; i++) this.i32[(start >> 2) + i - first] = p.start[i] - t0;
    for (let t = 0; t < taps; t++) this.i32[(off >> 2) + t] = (p.src[t0 + t] - base) * unit;
    this.f64.set(p.weight.subarray(t0, t0 + taps), w >> 3);
    return { start, off, w, end };
  }

  /**
   * Pass one (`cols`, outputs x0 … x1 − 1, reading source columns c0 … c1 − 1) over source rows r0 … r1 − 1 of the
   * RGBA `px` (`sw` pixels a row), then pass two (`rows`, outputs y0 … y1 − 1, its taps' rows counted from r0) into
   * `out` (`stride` bytes a row, the region from column x0).
   */
  resize(
    px: Uint8Array,
    sw: number,
    cols: Taps,
    rows: Taps,
    region: { x0: number; x1: number; y0: number; y1: number; c0: number; c1: number; r0: number; r1: number },
    alphaScales: [number, number],
    out: Uint8Array,
    stride: number,
  ): void {
    const { x0, x1, y0, y1, c0, c1, r0, r1 } = region;
    const n = x1 - x0,
      ny = y1 - y0,
      passRow = n * 16,
      span = (c1 - c0) * 4;
    const c = this.plan(cols, x0, x1, c0, 4, 0);
    const r = this.plan(rows, y0, y1, r0, passRow, c.end);
    const pass = align(r.end, 16),
      region8 = pass + (r1 - r0) * passRow,
      chunk = align(region8 + ny * n * 4, 16);
    const perChunk = Math.max(1, Math.min(r1 - r0, Math.floor(CHUNK / span)));
    this.room(chunk + perChunk * span);
    for (let from = r0; from < r1; from += perChunk) {
      const k = Math.min(perChunk, r1 - from);
      if (span === sw * 4) this.u8.set(px.subarray(from * span, (from + k) * span), chunk);
      else for (let j = 0; j < k; j++) this.u8.set(px.subarray(((from + j) * sw + c0) * 4, ((from + j) * sw + c1) * 4), chunk + j * span);
      this.ex.rowsBox(chunk, k, span, pass + (from - r0) * passRow, passRow, c.start, c.off, c.w, n, alphaScales[0]);
    }
    this.ex.columnsBox(pass, r.start, r.off, r.w, ny, n, region8, alphaScales[1]);
    for (let y = 0; y < ny; y++) out.set(this.u8.subarray(region8 + y * n * 4, region8 + (y + 1) * n * 4), (y0 + y) * stride + x0 * 4);
    if (this.ex.memory.buffer.byteLength > KEEP) {
      this.ex = this.instantiate();
      this.u8 = new Uint8Array(0);
    }
  }
}

function load(): ResizeKernel | undefined {
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm || !wasm.validate(resizeWasm)) return undefined;
  const module = new wasm.Module(resizeWasm);
  return new ResizeKernel(() => new wasm.Instance(module).exports as unknown as Exports);
}

/** The kernel, or undefined without WebAssembly SIMD. */
export const resizeKernel: ResizeKernel | undefined = load();
