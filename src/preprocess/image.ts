// Image file → model input tensor with jimp: decode (decode.ts: header first, within the pixel limit), resize
// (shorter side, exact, or fit-and-pad), centre crop, channel order, grayscale, scaling and mean/std, NCHW or
// NHWC. Keeps the coordinate map.
import { defaultOf, type Views } from '../shared/settings';
import type { Feed } from '../runtime/session';
import { decodeBytes, ImageError, readImageFile, type JimpImage } from './decode';
import { planGeometry, type CoordinateMap } from './geometry';
import type { ImageInputSpec } from './input-spec';
import type { Preset } from './presets';

export interface DecodedImage {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major, as the user sees the image (a JPEG's EXIF orientation applied). */
  readonly rgba: Uint8Array;
  readonly jimp: JimpImage;
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
  const { jimp, oriented } = await decodeBytes(bytes, label, maxPixels);
  const { width, height, data } = jimp.bitmap;
  return { width, height, rgba: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), jimp, oriented };
}

/** The model's input size for this image: fixed by the model, or the preset's default. */
export function modelSize(spec: ImageInputSpec, preset: Preset): [number, number] {
  return [spec.height ?? preset.defaultSize[0], spec.width ?? preset.defaultSize[1]];
}

export interface Prepared {
  readonly feed: Feed;
  readonly map: CoordinateMap;
}

export interface Bitmap {
  readonly width: number;
  readonly height: number;
  /** RGBA, row-major. */
  readonly data: Uint8Array;
}

/** The image resized for a geometry (shared by every crop of the same size). */
export function resizeFor(img: DecodedImage, map: CoordinateMap): Bitmap {
  const { width, height, data } = img.jimp.clone().resize({ w: map.resizedWidth, h: map.resizedHeight }).bitmap;
  return { width, height, data };
}

/** The model input for one crop of an already resized image. */
export function cropToTensor(resized: Bitmap, map: CoordinateMap, spec: ImageInputSpec, preset: Preset): Feed {
  const mh = map.modelHeight,
    mw = map.modelWidth;
  const px = resized.data;
  const rw = map.resizedWidth;
  const c = spec.channels;
  const plane = mh * mw;
  const out = spec.elemType === 2 ? new Uint8Array(c * plane) : new Float32Array(c * plane);
  const [lo, hi] = preset.range;
  const order = preset.channelOrder === 'BGR' ? [2, 1, 0] : [0, 1, 2];
  const norm = (v: number, ch: number) => (out instanceof Uint8Array ? v : ((v / 255) * (hi - lo) + lo - preset.mean[ch]) / preset.std[ch]);
  for (let y = 0; y < mh; y++) {
    for (let x = 0; x < mw; x++) {
      const inside = x < map.contentWidth && y < map.contentHeight;
      const s = ((y + map.cropTop) * rw + (x + map.cropLeft)) * 4;
      for (let ch = 0; ch < c; ch++) {
        const i = spec.layout === 'NCHW' ? ch * plane + y * mw + x : (y * mw + x) * c + ch;
        // Padding (PaddleOCR's right margin) is 0 after normalization, as Paddle pads.
        if (!inside) out[i] = 0;
        else out[i] = norm(c === 1 ? (px[s] * 299 + px[s + 1] * 587 + px[s + 2] * 114) / 1000 : px[s + order[ch]], ch);
      }
    }
  }
  const dims = spec.layout === 'NCHW' ? [1, c, mh, mw] : [1, mh, mw, c];
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
  return { feed: cropToTensor(resizeFor(img, map), map, spec, preset), map };
}
