// Image file → model input tensor: decode (decode.ts: header first, within the pixel limit), resize (shorter
// side, exact, or fit-and-pad; resize.ts: jimp's filter, only the region the crops keep), centre crop, channel
// order, grayscale, scaling and mean/std, NCHW or NHWC, in typed-array loops. Keeps the coordinate map.
import { defaultOf, type Views } from '../shared/settings';
import type { Feed } from '../runtime/session';
import { decodeBytes, ImageError, readImageFile, type Bitmap, type ResizeNeed } from './decode';
import { planGeometry, type CoordinateMap } from './geometry';
import type { ImageInputSpec } from './input-spec';
import type { Preset } from './presets';
import { resizeRgba } from './resize';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major, as the user sees the image (a JPEG's EXIF orientation applied). */
  readonly rgba: Uint8Array;
  /** The stored raster was turned or mirrored by the file's EXIF orientation. */
  readonly oriented: boolean;
}

export { ImageError };

/** Decodes an image file or its bytes; refuses (LimitError) one over `maxPixels` before decoding it. */
export async function decodeImage(
  source: string | Buffer,
  label = typeof source === 'string' ? source : 'image',
  maxPixels = defaultOf('maxMegapixels') * 1e6,
): Promise<DecodedImage> {
  const bytes = typeof source === 'string' ? readImageFile(source, maxPixels) : source;
  const { bitmap, oriented } = await decodeBytes(bytes, label, maxPixels);
  return { width: bitmap.width, height: bitmap.height, rgba: bitmap.data, oriented };
}

/** An image decoded for a model's input (decodeForModel). */
export interface ModelImage {
  /** The image's size as the user sees it (what the coordinate maps map to). */
  readonly width: number;
  readonly height: number;
  /**
   * The pixels the input is made from: the image, or a big JPEG at a reduced scale that still covers the model's
   * resize (decode.ts). Its pixel i along an axis is the image's [i·d, (i+1)·d) for the reduction d, so resizing
   * it to the maps' size lands where resizing the image would.
   */
  readonly raster: DecodedImage;
  /** RGBA at width × height, for the pictures an export draws: the raster's own, or the file decoded again at full size. */
  full(): Promise<Uint8Array>;
}

/**
 * Decodes an image for `spec`'s input as `preset` resizes it: a JPEG whose 1/2, 1/4 or 1/8 scale still covers the
 * resize decodes at that scale; anything else as decodeImage decodes it.
 */
export async function decodeForModel(
  source: string | Buffer,
  spec: ImageInputSpec,
  preset: Preset,
  label = typeof source === 'string' ? source : 'image',
  maxPixels = defaultOf('maxMegapixels') * 1e6,
): Promise<ModelImage> {
  const bytes = typeof source === 'string' ? readImageFile(source, maxPixels) : source;
  const need: ResizeNeed = (width, height) => {
    const [m] = viewGeometries({ width, height }, spec, preset, 'single');
    return [m.resizedWidth, m.resizedHeight];
  };
  const { bitmap, oriented, width, height } = await decodeBytes(bytes, label, maxPixels, need);
  const raster = { width: bitmap.width, height: bitmap.height, rgba: bitmap.data, oriented };
  const reduced = bitmap.width !== width || bitmap.height !== height;
  // not kept once decoded again: an explanation of a 12-megapixel photo holds its file, not 48 MB of RGBA
  const full = reduced ? async () => (await decodeBytes(bytes, label, maxPixels)).bitmap.data : () => Promise.resolve(raster.rgba);
  return { width, height, raster, full };
}

/** The model's input size for this image: fixed by the model, or the preset's default. */
export function modelSize(spec: ImageInputSpec, preset: Preset): [number, number] {
  return [spec.height ?? preset.defaultSize[0], spec.width ?? preset.defaultSize[1]];
}

export interface Prepared {
  readonly feed: Feed;
  readonly map: CoordinateMap;
}

/**
 * The image resized for the geometries of its views (all of one size, as viewGeometries makes them): only the
 * pixels their crops keep are computed. `img` may be a reduced raster of the image the maps were planned for.
 */
export function resizeFor(img: DecodedImage, maps: readonly CoordinateMap[]): Bitmap {
  const { resizedWidth: rw, resizedHeight: rh } = maps[0];
  const left = Math.min(...maps.map((m) => m.cropLeft)),
    top = Math.min(...maps.map((m) => m.cropTop));
  const right = Math.min(rw, Math.max(...maps.map((m) => m.cropLeft + Math.min(m.modelWidth, m.contentWidth)))),
    bottom = Math.min(rh, Math.max(...maps.map((m) => m.cropTop + Math.min(m.modelHeight, m.contentHeight))));
  return resizeRgba({ width: img.width, height: img.height, data: img.rgba }, rw, rh, { left, top, width: right - left, height: bottom - top });
}

/** The model input for one crop of an already resized image. */
export function cropToTensor(resized: Bitmap, map: CoordinateMap, spec: ImageInputSpec, preset: Preset): Feed {
  const mh = map.modelHeight,
    mw = map.modelWidth;
  const px = resized.data;
  const rw = map.resizedWidth;
  const c = spec.channels;
  const plane = mh * mw;
  const bytes = spec.elemType === 2;
  const out = bytes ? new Uint8Array(c * plane) : new Float32Array(c * plane);
  const [lo, hi] = preset.range;
  const order = preset.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const norm = (v: number, ch: number) => (bytes ? v : ((v / 255) * (hi - lo) + lo - preset.mean[ch]) / preset.std[ch]);
  // each channel's 256 values, computed once as the formula gives them (a colour pixel is a whole byte); a grey
  // input has no table (its luma is not a whole byte), and building three was a third of a small image's time
  const table: Float64Array[] = [];
  if (c !== 1)
    for (let ch = 0; ch < order.length; ch++) {
      const lut = (table[ch] = new Float64Array(256));
      for (let v = 0; v < 256; v++) lut[v] = norm(v, ch);
    }
  const span = hi - lo,
    mean0 = preset.mean[0],
    std0 = preset.std[0];
  // channel ch of pixel (x, y) lands at base(ch) + (y·mw + x)·step: planes (NCHW) or interleaved (NHWC)
  const nchw = spec.layout === 'NCHW';
  const step = nchw ? 1 : c;
  // Padding (PaddleOCR's right margin) stays 0 after normalization, as Paddle pads: the array starts at 0.
  const cw = Math.min(mw, map.contentWidth),
    chh = Math.min(mh, map.contentHeight);
  for (let ch = 0; ch < c; ch++) {
    const base = nchw ? ch * plane : ch;
    const lut = table[ch],
      k = order[ch];
    for (let y = 0; y < chh; y++) {
      let s = ((y + map.cropTop) * rw + map.cropLeft) * 4;
      let i = base + y * mw * step;
      if (c === 1 && bytes) {
        for (let x = 0; x < cw; x++, s += 4, i += step) out[i] = (px[s] * 299 + px[s + 1] * 587 + px[s + 2] * 114) / 1000;
      } else if (c === 1) {
        // norm(v, 0) with its constants read once: the same operations in the same order
        for (let x = 0; x < cw; x++, s += 4, i += step) out[i] = (((px[s] * 299 + px[s + 1] * 587 + px[s + 2] * 114) / 1000 / 255) * span + lo - mean0) / std0;
      } else {
        for (let x = 0; x < cw; x++, s += 4, i += step) out[i] = lut[px[s + k]];
      }
    }
  }
  const dims = nchw ? [1, c, mh, mw] : [1, mh, mw, c];
  return { name: spec.name, dims, data: out };
}

/** The views of an image: the single (centre) crop, or the paper's five crops (four corners and centre). */
export function viewGeometries(img: { width: number; height: number }, spec: ImageInputSpec, preset: Preset, views: Views): CoordinateMap[] {
  const [mh, mw] = modelSize(spec, preset);
  const centre = planGeometry(preset.resize, img.width, img.height, mw, mh, preset.shorterRatio);
  if (views === 'single' || preset.resize !== 'shorter') return [centre];
  const right = centre.resizedWidth - mw,
    bottom = centre.resizedHeight - mh;
  const corners: [number, number][] = [
    [0, 0],
    [right, 0],
    [0, bottom],
    [right, bottom],
  ];
  return [centre, ...corners.map(([cropLeft, cropTop]) => ({ ...centre, cropLeft, cropTop }))];
}

export function imageToTensor(img: DecodedImage, spec: ImageInputSpec, preset: Preset): Prepared {
  const [map] = viewGeometries(img, spec, preset, 'single');
  return { feed: cropToTensor(resizeFor(img, [map]), map, spec, preset), map };
}
