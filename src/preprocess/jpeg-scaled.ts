// Big JPEGs decoded at a reduced scale: libjpeg's DCT scaling (each side 1/2, 1/4 or 1/8: each 8×8 block's
// coefficients turned straight into 4×4, 2×2 or 1×1 pixels, the last its mean, the others a reduced inverse DCT
// close to an area average) through libvips' JPEG loader in WebAssembly (wasm-vips: libvips with mozjpeg, the
// decoder decode.ts uses at full size). Only when the model's resize shrinks the image at least that much anyway, so
// the resize still only shrinks: a 12-megapixel photo for a 224-pixel input decodes at 500×375, about a third of the
// CPU of the full decode (the entropy decoding of every block stays) and none of its 48 MB of RGBA. The input tensor
// is not exactly the full decode's (README, Presets). wasm-vips runs its pool of threads as worker threads of its
// own script, which is why it is loaded from its file (dist/codecs/ beside the bundles, else the package's) rather
// than bundled; it stays loaded for the life of the process (its shutdown gives neither threads nor memory back).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Bitmap } from './decode';

/** Reductions libjpeg's DCT scaling offers that are worth a decoder of their own: 1/8, 1/4, 1/2 of each side. */
const DENOMINATORS = [8, 4, 2] as const;

/**
 * Images below this many pixels decode at full size: there the full decode costs under ~35 ms of CPU, the reduced one
 * would save a few ms of it, and loading libvips costs ~110 ms once per process. (Every shipped photo is below 0.5 MP.)
 */
const REDUCE_FROM_PIXELS = 2e6;

/**
 * The largest reduction d (8, 4 or 2; 1: none) of a width × height raster of at least REDUCE_FROM_PIXELS that
 * divides both sides and whose decode, width/d × height/d, still covers needWidth × needHeight. Dividing both sides
 * keeps the geometry exact: pixel i of the reduced raster is the image's [i·d, (i+1)·d), so resizing it to the maps'
 * size lands where resizing the image would. (libvips drops a last partial block where a side is not a multiple;
 * stretched over the image, that shifted the model's input by a fraction of its pixel and measurably changed it.)
 */
export function jpegReduction(width: number, height: number, needWidth: number, needHeight: number): number {
  if (width * height < REDUCE_FROM_PIXELS) return 1;
  return DENOMINATORS.find((d) => width % d === 0 && height % d === 0 && width / d >= needWidth && height / d >= needHeight) ?? 1;
}

/** wasm-vips' module factory, its module and an image of it. */
type VipsFactory = typeof import('wasm-vips');
type Vips = Awaited<ReturnType<VipsFactory>>;
type VipsImage = ReturnType<Vips['Image']['jpegloadBuffer']>;

let vips: Promise<Vips> | undefined;

/** wasm-vips' script: dist/codecs/ beside the bundles (scripts/build.mjs copies it there with vips.wasm), else the package's. */
function vipsScript(): string {
  const bundled = path.join(__dirname, 'codecs', 'vips-node.js');
  if (fs.existsSync(bundled)) return bundled;
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    const file = path.join(dir, 'node_modules', 'wasm-vips', 'lib', 'vips-node.js');
    if (fs.existsSync(file)) return file;
  }
  throw new Error('the scaled JPEG decoder (wasm-vips) is missing from this installation');
}

function loadVips(): Promise<Vips> {
  vips ??= (async () => {
    // a runtime path: bundled, its worker threads would start the bundle instead of wasm-vips
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const factory = require(vipsScript()) as VipsFactory;
    const v = await factory({
      // HEIF, JPEG XL and SVG come as side modules: none is needed (nor shipped) for JPEG
      dynamicLibraries: [],
      print: () => undefined,
      printErr: () => undefined,
    });
    // one decode is one sequential pass: more threads only cost CPU; an operation cache would keep each photo's bytes
    v.concurrency(1);
    v.Cache.max(0);
    return v;
  })();
  // a failed start stays failed (every JPEG then decodes at full size, as before), not retried per image
  return vips;
}

/**
 * The stored raster of the JPEG `bytes` at 1/`denominator` of each side, RGBA; undefined when libvips cannot read it
 * without a warning (CMYK, damaged, anything but 8-bit grey or RGB): the full-size decoders then take it as before.
 */
export async function decodeJpegReduced(bytes: Uint8Array, denominator: number): Promise<Bitmap | undefined> {
  let img: VipsImage | undefined;
  try {
    const v = await loadVips();
    img = v.Image.jpegloadBuffer(bytes, { shrink: denominator, access: 'sequential', fail_on: 'warning' });
    const { width, height, bands } = img;
    if (img.format !== 'uchar' || (bands !== 1 && bands !== 3)) return undefined;
    const px = img.writeToMemory();
    const data = new Uint8Array(width * height * 4);
    const g = bands === 3 ? 1 : 0,
      b = bands === 3 ? 2 : 0;
    for (let s = 0, d = 0; d < data.length; s += bands, d += 4) {
      data[d] = px[s];
      data[d + 1] = px[s + g];
      data[d + 2] = px[s + b];
      data[d + 3] = 255;
    }
    return { width, height, data };
  } catch {
    return undefined;
  } finally {
    img?.delete();
  }
}
