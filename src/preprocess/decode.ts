// Image bytes → RGBA pixels. The header is read first (image-size): the format and the size in pixels, so a
// decompression bomb (a small file declaring gigapixels) is refused before anything is allocated for it.
// JPEG, WebP and AVIF decode with Squoosh's decoders compiled to WebAssembly (@jsquash), loaded the first time
// one is needed. JPEG is mozjpeg's libjpeg-turbo decoder: the pixels PIL gives (the decoder torchvision models are
// trained and evaluated with; jimp's jpeg-js differs by up to 30 levels at colour edges) in a tenth of the time;
// it turns the pixels by the file's EXIF orientation, so points land where the user sees the object. A JPEG it
// will not read (CMYK, damaged) goes to jimp, whose message a damaged file gets. PNG of the plainest kind (8-bit
// grey or RGB(A), not interlaced: png.ts) decodes directly; other PNGs, GIF, BMP and TIFF with jimp, loaded when first needed. PNG, WebP and AVIF say their orientation in the container (orientation.ts): the pixels are turned by
// it here, as mozjpeg does for JPEG.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { imageSize } from 'image-size';
import { decoderChatterToStderr } from './quiet';
import { checkPixels } from '../limits';
import { applyOrientations, orientationsOf } from './orientation';
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
  readonly bitmap: Bitmap;
  readonly format: Format;
  /** The pixels were turned or mirrored by the file's EXIF orientation (what the user sees is not the stored raster). */
  readonly oriented: boolean;
}

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

/** Decodes `bytes` (named `label` in messages) after checking its header against the pixel limit. */
export async function decodeBytes(bytes: Buffer, label: string, maxPixels: number): Promise<Decoded> {
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
  return { bitmap, format, oriented: turns.length > 0 || (format === 'jpg' && (header.orientation ?? 1) > 1) };
}

/** PNG (but the plain kind, png.ts), GIF, BMP, TIFF and a JPEG mozjpeg refused, with jimp: loaded the first time one comes (a sweep of plain PNGs never loads it). */
async function decodeJimp(bytes: Buffer, label: string): Promise<Bitmap> {
  const { Jimp } = await import('jimp');
  return (await decoderChatterToStderr(label, () => Jimp.fromBuffer(bytes))).bitmap;
}

const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n')[0].replace(/\.$/, '');

type WasmFormat = 'webp' | 'avif' | 'jpeg';
/** Node's WebAssembly global (the extension host's tsconfig has no DOM types, which declare it). */
const wasm = (globalThis as unknown as { WebAssembly: { Module: new (bytes: Uint8Array) => object } }).WebAssembly;
interface Codec {
  /** `buffer`: embind copies it into the module's heap once, from an ArrayBuffer or from any Uint8Array view. */
  decode(buffer: ArrayBuffer | Uint8Array, options?: { preserveOrientation: boolean }): Promise<{ data: Uint8ClampedArray; width: number; height: number }>;
}
const codecs = new Map<WasmFormat, Promise<Codec>>();

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

function codec(format: WasmFormat): Promise<Codec> {
  let c = codecs.get(format);
  if (!c) {
    c = (async () => {
      const m = (format === 'webp'
        ? await import('@jsquash/webp/decode.js')
        : format === 'avif'
          ? await import('@jsquash/avif/decode.js')
          : await import('@jsquash/jpeg/decode.js')) as unknown as {
        init: (module: object, options?: object) => Promise<void>;
        default: Codec['decode'];
      };
      // libjpeg's warnings (a damaged file) would go to the console (the CLI's stdout): the result says enough
      const quiet = { print: () => undefined, printErr: () => undefined };
      await m.init(new wasm.Module(fs.readFileSync(wasmFile(format))), quiet);
      return { decode: m.default };
    })();
    c.catch(() => codecs.delete(format));
    codecs.set(format, c);
  }
  return c;
}

async function decodeWasm(format: WasmFormat, bytes: Buffer): Promise<Bitmap> {
  const { decode } = await codec(format);
  // the file's bytes as they are (no ArrayBuffer slice first: a second copy of a 5 MB photo, in fresh pages)
  const r = await decode(bytes, { preserveOrientation: true });
  return { data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength), width: r.width, height: r.height };
}

/** A JPEG by mozjpeg, EXIF orientation applied; undefined when mozjpeg cannot read it (jimp tries next). */
async function decodeJpeg(bytes: Buffer): Promise<Bitmap | undefined> {
  try {
    return await decodeWasm('jpeg', bytes);
  } catch {
    // the failed call may have left the module's heap in any state: the next JPEG gets a fresh one
    codecs.delete('jpeg');
    return undefined;
  }
}
