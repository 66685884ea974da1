// The pictures of a mistake: its image with the predicted class's map, with "predicted rather than expected",
// and with the expected class's map, side by side in the report and the VS Code view. The image is stored
// once (at most SIDE pixels a side, never enlarged: the page enlarges a small one pixel for pixel) and each
// map as transparent layers laid over it (heat; points and box), drawn with the one compositor (src/shared/overlay.ts) from the
// results line alone (kept points, their masses, sigma, box). The worker that explained the image draws them
// from the pixels it decoded (pictures/KEY.json in the results folder); the finishing step and a merge read
// them there and draw only what is missing, from the image, the same way, so every run gives the same pictures.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { densityMap } from '../heatmap/density';
import { decodeImage } from '../preprocess/image';
import { defaultOverlay, drawOverlay, heatGridOf, sampleHeat, weighedPoints, type Picture } from '../shared/overlay';
import type { MapPictures, MistakeThumbnails, Thumbnail } from '../report/sweep';
import type { MapSummary, SweepLine } from './record';
import { encodePng, type RowFilter } from './png';
import { PICTURES, pictureFile, pictureKey, readPictures, writePictures } from './pictures';
import type { Mistake } from './summary';

/** The longer side of a mistake's pictures, in pixels; a small image is enlarged by a whole factor up to it (pixels stay sharp). */
const SIDE = 192;
/** Pixels of a heat layer per sigma: stretched bilinearly, a Gaussian sampled every sigma/3 is off by about 1% of its peak. */
const HEAT_PER_SIGMA = 3;

const dataUri = (mime: string, b: Buffer) => `data:${mime};base64,${b.toString('base64')}`;

const isGrey = (rgba: Uint8Array): boolean => {
  for (let i = 0; i < rgba.length; i += 4) if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) return false;
  return true;
};

const greyPng = (width: number, height: number, rgba: Uint8Array): string => {
  const grey = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < grey.length; i++) grey[i] = rgba[4 * i];
  return dataUri('image/png', encodePng(width, height, 1, grey, 'up'));
};

/**
 * The image as stored once per mistake, `width` × `height` (smaller only: a larger one is enlarged by the page): a grey
 * image as 8-bit grey PNG (the demo's canvases: about their file's size), a colour one as JPEG. jimp (the resize, the
 * JPEG encoder) is loaded only for those: a sweep of small grey images never loads it.
 */
async function baseImage(img: { readonly width: number; readonly height: number; readonly rgba: Uint8Array }, width: number, height: number): Promise<string> {
  const shrink = width < img.width || height < img.height;
  if (!shrink && isGrey(img.rgba)) return greyPng(img.width, img.height, img.rgba);
  const { Jimp, ResizeStrategy } = await import('jimp');
  const j = new Jimp({ width: img.width, height: img.height });
  j.bitmap.data.set(img.rgba);
  if (shrink) j.resize({ w: width, h: height, mode: ResizeStrategy.BILINEAR });
  const rgba = new Uint8Array(j.bitmap.data.buffer, j.bitmap.data.byteOffset, j.bitmap.data.byteLength);
  if (isGrey(rgba)) return greyPng(j.bitmap.width, j.bitmap.height, rgba);
  return dataUri('image/jpeg', await j.getBuffer('image/jpeg', { quality: 85 }));
}

/** A layer as PNG (png.ts: one row filter for all rows, a fast deflate; jimp's encoder took most of a mistake's drawing). */
const png = (pic: Picture, filter: RowFilter): string => dataUri('image/png', encodePng(pic.width, pic.height, 4, pic.rgba, filter));

const clear = (width: number, height: number): Picture => ({ width, height, rgba: new Uint8Array(width * height * 4), layer: true });

/**
 * One map as two transparent layers over the width × height picture (`scale` of its pixels per image pixel):
 * the heat map, smooth at the scale of sigma, with HEAT_PER_SIGMA pixels a sigma (the page stretches it:
 * a quarter of the full size's bytes on the demo), and the points and box at full size.
 */
async function layers(width: number, height: number, scale: number, image: { width: number; height: number }, m: MapSummary): Promise<MapPictures> {
  const paper = m.mode === 'paper';
  const density = m.keptPoints.length
    ? densityMap(m.keptPoints as [number, number][], image.width, image.height, m.sigma, paper ? undefined : m.keptWeights)
    : undefined;
  let heat: string | null = null;
  if (density && !density.empty) {
    const hw = Math.max(1, Math.min(width, Math.ceil((image.width * HEAT_PER_SIGMA) / m.sigma)));
    const s = hw / image.width;
    const pic = clear(hw, Math.max(1, Math.min(height, Math.round(image.height * s))));
    drawOverlay(pic, s, { heat: sampleHeat(heatGridOf(density), pic.width, pic.height, s), points: [], box: null }, defaultOverlay);
    heat = png(pic, 'up'); // smooth: each row is nearly the one above
  }
  const marks = clear(width, height);
  drawOverlay(marks, scale, { heat: undefined, points: weighedPoints(m.keptPoints, paper ? undefined : m.keptWeights), box: m.box }, defaultOverlay);
  return { heat, marks: png(marks, 'none') }; // mostly runs of transparent pixels
}

/** The pictures of a mistake from its decoded image (RGBA as the user sees it) and its results line. */
export async function drawMistake(img: { readonly width: number; readonly height: number; readonly rgba: Uint8Array }, line: SweepLine): Promise<Thumbnail> {
  const { predicted, versus, expectedMap } = line;
  if (!predicted || !versus || !expectedMap) throw new Error('no maps in its results line');
  const s = SIDE / Math.max(img.width, img.height);
  const factor = s >= 1 ? Math.floor(s) : s;
  const width = Math.max(1, Math.round(img.width * factor)),
    height = Math.max(1, Math.round(img.height * factor));
  const scale = width / img.width;
  const [base, p, v, e] = await Promise.all([
    baseImage(img, s < 1 ? width : img.width, s < 1 ? height : img.height),
    ...[predicted, versus, expectedMap].map((m) => layers(width, height, scale, img, m)),
  ]);
  return { width, height, base, predicted: p, versus: v, expected: e };
}

/** The three pictures of one mistake drawn from its image, or why there are none (the image is gone, or changed since the sweep). */
export async function mistakeThumbnails(root: string, line: SweepLine): Promise<Thumbnail | string> {
  if (!line.predicted || !line.versus || !line.expectedMap) return 'no maps in its results line';
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(root, line.path));
  } catch {
    return `the image is not at ${path.join(root, line.path)} any more`;
  }
  if (line.sha256 && createHash('sha256').update(bytes).digest('hex') !== line.sha256) return 'the image changed since it was swept';
  return drawMistake(await decodeImage(bytes, line.path), line);
}

/**
 * The pictures of the listed mistakes, by path: read from `stored` results folders (the workers drew them), else
 * drawn from the images under `root`. With `out`, the results folder keeps exactly the listed mistakes' pictures.
 */
export async function thumbnailsOf(
  root: string,
  mistakes: readonly Mistake[],
  lines: ReadonlyMap<string, SweepLine>,
  stored: readonly string[] = [],
  out?: string,
): Promise<MistakeThumbnails> {
  const result = new Map<string, Thumbnail | string>();
  const keep = new Set<string>();
  for (const m of mistakes) {
    const line = lines.get(m.path);
    if (!line) {
      result.set(m.path, 'no results line');
      continue;
    }
    const key = pictureKey(line);
    let t: Thumbnail | string | undefined = readPictures(stored, key);
    if (!t) {
      try {
        t = await mistakeThumbnails(root, line);
      } catch (e) {
        t = `cannot draw it: ${(e as Error).message}`;
      }
    }
    result.set(m.path, t);
    if (out && typeof t === 'object') {
      keep.add(`${key}.json`);
      if (!fs.existsSync(pictureFile(out, key))) writePictures(out, line, t);
    }
  }
  if (out) {
    const dir = path.join(out, PICTURES);
    for (const f of fs.existsSync(dir) ? fs.readdirSync(dir) : []) if (!keep.has(f)) fs.rmSync(path.join(dir, f), { force: true });
  }
  return result;
}
