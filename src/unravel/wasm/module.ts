// What the walk's WebAssembly kernels (conv.ts, qconv.ts, fc.ts) share: the module compiled from its bytes (built
// from the .wat beside it by scripts/build-wasm.mjs), its memory as they use it, and the 16-byte alignment of the
// blocks they lay out in it. A kernel is undefined where WebAssembly or its SIMD is missing (checked once, when its
// module loads): its rule then runs in TypeScript.

/** The WebAssembly global as used here (the extension host's tsconfig has no DOM types, which declare it). */
interface Wasm {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { readonly exports: unknown };
}

export interface Memory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** An instance of the module `bytes`, its exports typed as `E`; undefined where WebAssembly cannot validate it. */
export function instantiate<E>(bytes: Uint8Array): E | undefined {
  const wasm = (globalThis as unknown as { WebAssembly?: Wasm }).WebAssembly;
  if (!wasm || !wasm.validate(bytes)) return undefined;
  return new wasm.Instance(new wasm.Module(bytes)).exports as E;
}

/** Blocks start on 16 bytes (a v128). */
export function align(bytes: number): number {
  return (bytes + 15) & ~15;
}
