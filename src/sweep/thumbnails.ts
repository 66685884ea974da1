// The pictures of a mistake: its image with the predicted class's map, with "predicted rather than expected",
// and with the expected class's map, side by side in the report and the VS Code view. Drawn again from the
// results line (kept points, their masses, sigma, box), with the one compositor (src/shared/overlay.ts), so
// a merge on another machine draws the same pictures from the same lines and images.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Jimp, PNGColorType, PNGFilterType, ResizeStrategy } from 'jimp';
import { densityMap } from '../heatmap/density';
import { decodeImage } from '../preprocess/image';
import { defaultOverlay, drawOverlay, heatGridOf, sampleHeat, weighedPoints } from '../shared/overlay';
import type { MistakeThumbnails, Thumbnail } from '../report/sweep';
import type { MapSummary, SweepLine } from './record';
import type { Mistake } from './summary';

/** The longer side of a thumbnail, in pixels; small images are enlarged by a whole factor up to it (pixels stay sharp). */
const SIDE = 192;

type Rgba = { width: number; height: number; rgba: Uint8Array };

async function png(pic: Rgba): Promise<Uint8Array> {
  const img = new Jimp({ width: pic.width, height: pic.height });
  img.bitmap.data.set(pic.rgba);
  // RGB, each row against the one above: a small image enlarged by a whole factor repeats its rows, so its
  // pictures shrink to about JPEG's size (canvas noise makes other filters' PNGs 2-3× larger), 50× faster than jimp's JPEG.
  return new Uint8Array(await img.getBuffer('image/png', { colorType: PNGColorType.COLOR, filterType: PNGFilterType.UP }));
}

/** One map over the scaled picture. */
function drawn(base: Rgba, scale: number, image: { width: number; height: number }, m: MapSummary): Rgba {
  const pic = { width: base.width, height: base.height, rgba: Uint8Array.from(base.rgba) };
  const paper = m.mode === 'paper';
  const heat = m.keptPoints.length
    ? densityMap(m.keptPoints as [number, number][], image.width, image.height, m.sigma, paper ? undefined : m.keptWeights)
    : undefined;
  const grid = heat && !heat.empty ? sampleHeat(heatGridOf(heat), pic.width, pic.height, scale) : undefined;
  drawOverlay(pic, scale, { heat: grid, points: weighedPoints(m.keptPoints, paper ? undefined : m.keptWeights), box: m.box }, defaultOverlay);
  return pic;
}

/** The three pictures of one mistake, or why there are none (the image is gone, or changed since the sweep). */
export async function mistakeThumbnails(root: string, line: SweepLine): Promise<Thumbnail | string> {
  const { predicted, versus, expectedMap } = line;
  if (!predicted || !versus || !expectedMap) return 'no maps in its results line';
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path.join(root, line.path));
  } catch {
    return `the image is not at ${path.join(root, line.path)} any more`;
  }
  if (line.sha256 && createHash('sha256').update(bytes).digest('hex') !== line.sha256) return 'the image changed since it was swept';
  const img = await decodeImage(bytes, line.path);
  const s = SIDE / Math.max(img.width, img.height);
  const factor = s >= 1 ? Math.floor(s) : s;
  const width = Math.max(1, Math.round(img.width * factor)),
    height = Math.max(1, Math.round(img.height * factor));
  const source = Jimp.fromBitmap({ width: img.width, height: img.height, data: Buffer.from(img.rgba.buffer, img.rgba.byteOffset, img.rgba.byteLength) });
  const resized = source.resize({ w: width, h: height, mode: s >= 1 ? ResizeStrategy.NEAREST_NEIGHBOR : ResizeStrategy.BILINEAR }).bitmap;
  const base = { width, height, rgba: new Uint8Array(resized.data.buffer, resized.data.byteOffset, resized.data.byteLength) };
  const scale = width / img.width;
  const [p, v, e] = await Promise.all([predicted, versus, expectedMap].map((m) => png(drawn(base, scale, img, m))));
  return { mime: 'image/png', width, height, predicted: p, versus: v, expected: e };
}

/** The pictures of the listed mistakes, by path. */
export async function thumbnailsOf(root: string, mistakes: readonly Mistake[], lines: ReadonlyMap<string, SweepLine>): Promise<MistakeThumbnails> {
  const out = new Map<string, Thumbnail | string>();
  for (const m of mistakes) {
    const line = lines.get(m.path);
    try {
      out.set(m.path, line ? await mistakeThumbnails(root, line) : 'no results line');
    } catch (e) {
      out.set(m.path, `cannot draw it: ${(e as Error).message}`);
    }
  }
  return out;
}
