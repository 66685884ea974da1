// Image bytes → RGBA pixels. The header is read first (image-size): the format and the size in pixels, so a
// decompression bomb (a small file declaring gigapixels) is refused before anything is allocated for it.
// JPEG, WebP and AVIF decode with Squoosh's decoders compiled to WebAssembly (@jsquash), loaded the first time
// one is needed; an instance whose memory a large image grew is let go after it (KEEP). JPEG is mozjpeg's
// libjpeg-turbo decoder: the pixels PIL gives (the decoder torchvision models are trained and evaluated with;
// jimp's jpeg-js differs by up to 30 levels at colour edges) in a tenth of the time. A JPEG it will not read (CMYK,
// damaged) goes to jimp, whose message a damaged file gets. PNG of the plainest kind (8-bit grey or RGB(A), not
// interlaced: png.ts) decodes directly; other PNGs, GIF, BMP and TIFF with jimp, loaded when first needed. Every
// format's orientation (JPEG's EXIF, read as mozjpeg reads it; the others' containers: orientation.ts) turns the
// pixels here, so points land where the user sees the object; jimp turns a JPEG it decodes itself. Given the size
// the model's resize makes (`need`), a JPEG of 2 megapixels or more that covers it at 1/2, 1/4 or 1/8 of each side
// decodes at that scale instead (jpeg-scaled.ts), turned the same way.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageSize } from 'image-size';
import { decoderChatterToStderr } from './quiet';
import { checkPixels } from '../limits';
import { decodeJpegReduced, jpegReduction } from './jpeg-scaled';
import { applyOrientations, jpegOrientation, orientationsOf } from './orientation';
import { decodePlainPng } from './png';

/** The image cannot be read: the message says which file and why. */
export class ImageError extends Error {}

/** The formats read, by image-size's name for each. */
const decodable = ['png', 'jpg', 'gif', 'bmp', 'tiff', 'webp', 'avif'] as const;
type Format = (typeof decodable)[number];
export const formatNames = 'PNG, JPEG, GIF, BMP, TIFF, WebP, AVIF';

/** An image file's bytes: compressed, at most this many bytes per pixel of the limit (a 100 MP limit reads files up to 800 MB). */
const BYTES_PER_PIXEL = 8;

/** RGBA pixels, row-major. */
export interface Bitmap {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export interface Decoded {
  /** The pixels as the user sees them: at the image's size, or reduced (a big JPEG given `need`). */
  readonly bitmap: Bitmap;
  readonly format: Format;
  /** The pixels were turned or mirrored by the file's EXIF orientation (what the user sees is not the stored raster). */
  readonly oriented: boolean;
  /** The image's size as the user sees it: the bitmap's unless it is reduced. */
  readonly width: number;
  readonly height: number;
}

/** The size (width, height) the model's resize makes of an image of width × height as the user sees it. */
export type ResizeNeed = (width: number, height: number) => readonly [number, number];

/** The file's bytes, refused early when the file is empty or larger than any image within the pixel limit could be. */
export function readImageFile(file: string, maxPixels: number): Buffer {
  let size: number;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) throw new ImageError(`${file} is not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof ImageError) throw e;
    throw new ImageError(`cannot read image ${file}: no such file`);
  }
  if (size > maxPixels * BYTES_PER_PIXEL) {
    throw new ImageError(
      `image ${file} is a ${(size / 1024 / 1024).toFixed(0)} MB file, larger than any image within the limit of ${maxPixels / 1e6} megapixels could be`,
    );
  }
  return fs.readFileSync(file);
}

/**
 * Decodes `bytes` (named `label` in messages) after checking its header against the pixel limit. With `need`, a JPEG
 * that covers it at 1/2, 1/4 or 1/8 of each side decodes at the smallest such scale (the size it has is then
 * `width` × `height`, the bitmap's is less).
 */
export async function decodeBytes(bytes: Buffer, label: string, maxPixels: number, need?: ResizeNeed): Promise<Decoded> {
  if (bytes.length === 0) throw new ImageError(`image ${label} is empty (0 bytes)`);
  let header: ReturnType<typeof imageSize>;
  try {
    header = imageSize(bytes);
  } catch {
    throw new ImageError(
      `cannot read image ${label}: it is not an image file of a format read here (its header is none of them). Supported formats: ${formatNames}`,
    );
  }
  const format = decodable.find((f) => f === header.type);
  if (!format) throw new ImageError(`cannot read image ${label}: it is ${header.type ?? 'an unknown'} format; supported formats: ${formatNames}`);
  // every frame or page a decoder might allocate (GIF and TIFF hold several), not just the first the header names
  for (const s of [header, ...(header.images ?? [])]) checkPixels(label, s.width, s.height, maxPixels);
  const oriented = (turns: readonly unknown[]) => turns.length > 0 || (format === 'jpg' && (header.orientation ?? 1) > 1);
  if (format === 'jpg' && need) {
    const reduced = await decodeJpegForResize(bytes, header.width, header.height, need);
    if (reduced) return { ...reduced, format, oriented: oriented([]) };
  }
  let bitmap: Bitmap;
  try {
    bitmap =
      (format === 'jpg' ? await decodeJpeg(bytes) : undefined) ??
      (format === 'webp' || format === 'avif' ? await decodeWasm(format, bytes) : undefined) ??
      (format === 'png' ? decodePlainPng(bytes) : undefined) ??
      (await decodeJimp(bytes, label));
  } catch (e) {
    throw new ImageError(
      `cannot read image ${label}: its ${format === 'jpg' ? 'JPEG' : format.toUpperCase()} data is truncated or corrupt (the decoder says: ${firstLine(e)})`,
    );
  }
  const turns = orientationsOf(format, bytes);
  bitmap = applyOrientations(bitmap, turns);
  const { width, height } = bitmap;
  if (!width || !height) throw new ImageError(`image ${label} has no pixels`);
  // the decoder's own idea of the size (a header can lie) must be within the limit too
  checkPixels(label, width, height, maxPixels);
  return { bitmap, format, oriented: oriented(turns), width, height };
}

/**
 * A JPEG of `width` × `height` stored pixels at the largest reduction whose upright raster still covers what `need`
 * asks of the upright image, turned by its EXIF orientation as decodeJpeg turns it; undefined when no reduction
 * covers it or libvips does not read the file cleanly (the full-size decoders then take it, as before).
 */
async function decodeJpegForResize(
  bytes: Buffer,
  width: number,
  height: number,
  need: ResizeNeed,
): Promise<{ bitmap: Bitmap; width: number; height: number } | undefined> {
  const turns = jpegOrientation(bytes);
  const [w, h] = turns.some((o) => o >= 5) ? [height, width] : [width, height];
  const [nw, nh] = need(w, h);
  const d = jpegReduction(w, h, nw, nh);
  if (d === 1) return undefined;
  const stored = await decodeJpegReduced(bytes, d);
  // anything but the header's size over d is not the file the header described
  if (!stored || stored.width !== width / d || stored.height !== height / d) return undefined;
  return { bitmap: applyOrientations(stored, turns), width: w, height: h };
}

/** PNG (but the plain kind, png.ts), GIF, BMP, TIFF and a JPEG mozjpeg refused, with jimp: loaded the first time one comes (a sweep of plain PNGs never loads it). */
async function decodeJimp(bytes: Buffer, label: string): Promise<Bitmap> {
  const { Jimp } = await import('jimp');
  return (await decoderChatterToStderr(label, () => Jimp.fromBuffer(bytes))).bitmap;
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0].replace(/\.$/, '');

type WasmFormat = 'webp' | 'avif' | 'jpeg';
/** Node's WebAssembly global (the extension host's tsconfig has no DOM types, which declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { readonly exports: Record<string, unknown> };
      Memory: new (descriptor: { initial: number }) => WasmMemory;
    };
  }
).WebAssembly;

/** A Squoosh decoder's Emscripten module (@jsquash/<format>/codec/dec): `decode` copies the file's bytes into the
 *  module's heap (embind takes an ArrayBuffer or any Uint8Array view), decodes there and returns the pixels copied
 *  out, or null. Its second argument: mozjpeg's preserveOrientation, AVIF's bit depth. */
interface Emscripten {
  decode(bytes: Uint8Array, option?: boolean | number): { data: Uint8ClampedArray; width: number; height: number } | null;
}
type Factory = (options: object) => Promise<Emscripten>;

/** One instance of a decoder and the memory it grows. */
interface Codec {
  readonly module: Emscripten;
  readonly memory: WasmMemory;
}

/**
 * Bytes of WebAssembly memory a decoder keeps. A WebAssembly memory never shrinks: a 12-megapixel JPEG grows
 * mozjpeg's to 55 MB, which a long-lived process (the extension's engine) would otherwise hold for good. An instance
 * above this is let go once its format has had no decode for IDLE_MS; the next image gets a fresh one from the
 * compiled module (a millisecond or two: compiling is what costs, and that is done once). Up to 32 MB (JPEGs up to
 * about 7 megapixels) stays for the next image.
 */
const KEEP = 32 * 1024 * 1024;
/** Not at once: in a run of big photos (a sweep) every one would pay for its memory afresh (about 35 ms of CPU of
 *  page faults for 12 megapixels, on 210); after a second without one, that costs at most a few per cent. */
const IDLE_MS = 1000;

/** Each decoder's JavaScript and compiled WebAssembly: once per process (AVIF's WebAssembly is 1.1 MB to compile). */
const compiled = new Map<WasmFormat, Promise<{ factory: Factory; module: object }>>();
/** Each decoder's live instance, and the timer that lets a large one go. */
const codecs = new Map<WasmFormat, Promise<Codec>>();
const idle = new Map<WasmFormat, ReturnType<typeof setTimeout>>();

/** The decoder's WebAssembly: dist/codecs/ beside the bundles (scripts/build.mjs copies it there), else the package's own. */
function wasmFile(format: WasmFormat): string {
  const name = `${format === 'jpeg' ? 'mozjpeg' : format}_dec.wasm`;
  const bundled = path.join(__dirname, 'codecs', name);
  if (fs.existsSync(bundled)) return bundled;
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', '@jsquash', format, 'codec', 'dec', name);
    if (fs.existsSync(file)) return file;
  }
  throw new ImageError(`the ${format.toUpperCase()} decoder (${name}) is missing from this installation; reinstall it`);
}

function compile(format: WasmFormat): Promise<{ factory: Factory; module: object }> {
  let c = compiled.get(format);
  if (!c) {
    c = (async () => {
      const js = (format === 'webp'
        ? await import('@jsquash/webp/codec/dec/webp_dec.js')
        : format === 'avif'
          ? await import('@jsquash/avif/codec/dec/avif_dec.js')
          : await import('@jsquash/jpeg/codec/dec/mozjpeg_dec.js')) as unknown as { default: Factory };
      return { factory: js.default, module: new wasm.Module(fs.readFileSync(wasmFile(format))) };
    })();
    c.catch(() => compiled.delete(format));
    compiled.set(format, c);
  }
  return c;
}

/** What the decoders return their pixels as. Their JavaScript defines it where it is missing (Node), with a class
 *  made inside the instance's closure, which would then keep the first instance and its memory for the life of the
 *  process: defined here first, outside any instance. */
class ImageData {
  constructor(
    readonly data: Uint8ClampedArray,
    readonly width: number,
    readonly height: number,
  ) {}
}

function codec(format: WasmFormat): Promise<Codec> {
  let c = codecs.get(format);
  if (!c) {
    c = (async () => {
      const { factory, module } = await compile(format);
      (globalThis as { ImageData?: unknown }).ImageData ??= ImageData;
      let memory: WasmMemory | undefined;
      const emscripten = await factory({
        noInitialRun: true,
        // libjpeg's warnings (a damaged file) would go to the console (the CLI's stdout): the result says enough
        print: () => undefined,
        printErr: () => undefined,
        instantiateWasm: (imports: object, instantiated: (instance: object) => void) => {
          const instance = new wasm.Instance(module, imports);
          memory = Object.values(instance.exports).find((e): e is WasmMemory => e instanceof wasm.Memory);
          instantiated(instance);
          return instance.exports;
        },
      });
      if (!memory) throw new Error(`the ${format.toUpperCase()} decoder exports no memory`);
      return { module: emscripten, memory };
    })();
    c.catch(() => codecs.delete(format));
    codecs.set(format, c);
  }
  return c;
}

/** The memory of the decoder's live instance, undefined when it has none: for the tests. */
export async function decoderMemory(format: WasmFormat): Promise<WasmMemory | undefined> {
  return (await codecs.get(format))?.memory;
}

/** Lets `format`'s instance go IDLE_MS after its last decode, unless another instance has replaced it by then. */
function letGoWhenIdle(format: WasmFormat, instance: Promise<Codec>): void {
  clearTimeout(idle.get(format));
  const timer = setTimeout(() => {
    idle.delete(format);
    if (codecs.get(format) === instance) codecs.delete(format);
  }, IDLE_MS);
  timer.unref(); // a CLI run ends when its work does
  idle.set(format, timer);
}

async function decodeWasm(format: WasmFormat, bytes: Buffer): Promise<Bitmap> {
  const instance = codec(format);
  const { module, memory } = await instance;
  try {
    // the file's bytes as they are (no ArrayBuffer slice first: a second copy of a 5 MB photo, in fresh pages)
    // embind checks the count of arguments: WebP's takes none more; mozjpeg's leaves the raster as stored (decodeJpeg
    // turns it), AVIF's gives 8 bits a channel
    const r = format === 'webp' ? module.decode(bytes) : module.decode(bytes, format === 'jpeg' ? false : 8);
    if (!r) throw new Error('Decoding error');
    return { data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength), width: r.width, height: r.height };
  } catch (e) {
    // the failed call may have left the module's heap in any state: the next image gets a fresh instance
    if (codecs.get(format) === instance) codecs.delete(format);
    throw e;
  } finally {
    if (memory.buffer.byteLength > KEEP) letGoWhenIdle(format, instance);
  }
}

/** A JPEG by mozjpeg, EXIF orientation applied; undefined when mozjpeg cannot read it (jimp tries next). */
async function decodeJpeg(bytes: Buffer): Promise<Bitmap | undefined> {
  let stored: Bitmap;
  try {
    stored = await decodeWasm('jpeg', bytes);
  } catch {
    return undefined;
  }
  // turned here rather than by mozjpeg (its preserveOrientation): the same pixels, without two more full copies
  // in its heap (a turned 12-megapixel photo grew it to 151 MB instead of 55)
  return applyOrientations(stored, jpegOrientation(bytes));
}
