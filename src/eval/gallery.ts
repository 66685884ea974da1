// Pictures of what the numbers score, each a sheet of tiles (the method's heat map and box over the image,
// true boxes outlined): the first canvases of the one-item benchmark, one column per method; two-object
// canvases with both classes' maps side by side; and a photo's maps per mode, conv mode and class.
import { Jimp } from 'jimp';
import type { Explainer } from '../explain';
import type { Box } from '../heatmap/box';
import { composeOverlay } from '../heatmap/render';
import type { Picture } from '../shared/overlay';
import type { Benchmark, TwoObjectBenchmark } from './fmnist';
import { evalMethods, fixations, twoObjectMethods, type BoxKind, type EvalMethod } from './methods';
import type { PhotoObject } from './photos';
import { canvasExplainer } from './run';
import type { ConvMode } from '../unravel/types';

const GAP = 4;
const WHITE = [255, 255, 255] as const, OTHER = [255, 90, 60] as const;

interface Frame {
  readonly box: Box;
  readonly colour: readonly number[];
}

/** One tile: a map drawn over the image (or nothing, for a method that does not apply), with outlines. */
interface Tile {
  readonly pic: Picture & { readonly rgba: Uint8Array };
  /** Size of the image the boxes are in (the original picture). */
  readonly width: number;
  readonly height: number;
  readonly frames: readonly Frame[];
}

/** A box as a 1-px outline around the pixels it covers once scaled to the tile. */
function outline(out: Uint8Array, sheetWidth: number, x0: number, y0: number, tw: number, th: number, b: Box, sx: number, sy: number, c: readonly number[]): void {
  const put = (x: number, y: number) => {
    const i = ((y0 + y) * sheetWidth + x0 + x) * 4;
    out[i] = c[0]; out[i + 1] = c[1]; out[i + 2] = c[2];
  };
  const left = Math.max(0, Math.floor(b[0] * sx)), top = Math.max(0, Math.floor(b[1] * sy));
  const right = Math.min(tw - 1, Math.ceil((b[2] + 1) * sx) - 1), bottom = Math.min(th - 1, Math.ceil((b[3] + 1) * sy) - 1);
  for (let x = left; x <= right; x++) { put(x, top); put(x, bottom); }
  for (let y = top; y <= bottom; y++) { put(left, y); put(right, y); }
}

/** Tiles in rows (undefined: an empty tile), each scaled nearest-neighbour to tw × th, as one JPEG (canvas noise makes a PNG 6× larger). */
async function sheet(rows: readonly (readonly (Tile | undefined)[])[], tw: number, th: number): Promise<Buffer> {
  const cols = Math.max(...rows.map((r) => r.length));
  const width = cols * (tw + GAP) - GAP, height = rows.length * (th + GAP) - GAP;
  const out = new Uint8Array(width * height * 4).fill(40);
  rows.forEach((row, i) => {
    row.forEach((t, j) => {
      if (!t) return;
      const x0 = j * (tw + GAP), y0 = i * (th + GAP), p = t.pic;
      for (let y = 0; y < th; y++) {
        for (let x = 0; x < tw; x++) {
          const s = (Math.floor((y * p.height) / th) * p.width + Math.floor((x * p.width) / tw)) * 4, d = ((y0 + y) * width + x0 + x) * 4;
          out.set(p.rgba.subarray(s, s + 4), d);
        }
      }
      for (const f of t.frames) outline(out, width, x0, y0, tw, th, f.box, tw / t.width, th / t.height, f.colour);
    });
  });
  const img = new Jimp({ width, height });
  img.bitmap.data.set(out);
  return img.getBuffer('image/jpeg', { quality: 85 });
}

/** Method `m`'s map of class k (its `box` kind drawn in green), the true boxes outlined; undefined where m does not apply. */
async function tile(m: EvalMethod, e: Explainer, k: number, box: BoxKind | undefined, frames: readonly Frame[], seed: number, rival?: number): Promise<Tile | undefined> {
  if (m.unavailable(e)) return undefined;
  const r = await m.run({ explainer: e, seed, rival }, k);
  const image = { width: e.picture.width, height: e.picture.height, rgba: await e.picture.pixels() };
  const pic = composeOverlay(image, r.heat, [], box ? (r.boxes[box] ?? null) : null);
  return { pic, width: e.picture.width, height: e.picture.height, frames };
}

const method = (list: readonly EvalMethod[], id: string) => list.find((x) => x.id === id)!;

/** The one-item gallery's methods and which of their boxes to draw. */
const columns: readonly { readonly id: string; readonly box: BoxKind }[] = [
  { id: 'fixations-paper-contribution', box: 'points' },
  { id: 'fixations-paper-contribution', box: 'threshold' },
  { id: 'fixations-weighted-contribution', box: 'threshold' },
  { id: 'fixations-discriminative-contribution', box: 'threshold' },
  { id: 'fixations-discriminative-center', box: 'threshold' },
  { id: 'cam', box: 'threshold' },
  { id: 'occlusion', box: 'threshold' },
  { id: 'random', box: 'threshold' },
];
export const galleryColumns = columns.map((c) => `${method(evalMethods, c.id).label}, ${c.box === 'points' ? 'points box' : 'heat ≥ 20% box'}`);

/** The predicted class's maps for the first `rows` one-item canvases. */
export async function fmnistGallery(modelPath: string, bench: Benchmark, rows: number): Promise<Buffer> {
  const out: (Tile | undefined)[][] = [];
  for (let i = 0; i < rows; i++) {
    const e = await canvasExplainer(modelPath, bench, i, 'fmnist-loc');
    const pred = e.predictions(1)[0].index;
    const row: (Tile | undefined)[] = [];
    for (const c of columns) row.push(await tile(method(evalMethods, c.id), e, pred, c.box, [{ box: bench.boxes[i], colour: WHITE }], i));
    out.push(row);
  }
  return sheet(out, 128, 128);
}

/** The two-object gallery's methods: each gets two tiles, class A's map and class B's. */
const twoColumns = [
  'fixations-paper-contribution',
  'fixations-discriminative-contribution',
  'fixations-versus-contribution',
  'fixations-discriminative-center',
  'cam',
  'occlusion',
] as const;
export const twoGalleryColumns = twoColumns.map((id) => `${method(twoObjectMethods, id).label} for A · for B`);

/** Both classes' maps for the first `rows` two-object canvases; the explained class's box in white, the other's in red. */
export async function twoObjectGallery(modelPath: string, two: TwoObjectBenchmark, rows: number): Promise<Buffer> {
  const out: (Tile | undefined)[][] = [];
  for (let i = 0; i < rows; i++) {
    const e = await canvasExplainer(modelPath, two, i, 'fmnist-two');
    const row: (Tile | undefined)[] = [];
    for (const id of twoColumns) {
      for (const c of [0, 1]) {
        const frames = [{ box: two.boxes[i][1 - c], colour: OTHER }, { box: two.boxes[i][c], colour: WHITE }];
        row.push(await tile(method(twoObjectMethods, id), e, two.labels[i][c], undefined, frames, i, two.labels[i][1 - c]));
      }
    }
    out.push(row);
  }
  return sheet(out, 128, 128);
}

export const photoGalleryColumns = ['paper', 'weighted', 'discriminative', 'versus the other class'];
/** dog.jpg's gallery: the dog (malamute), the bicycle (mountain bike). */
export const dogGalleryClasses = [249, 671];

/**
 * One photo's maps: for each class, one row per conv mode with the modes as columns (versus: against the
 * next class in the list, the last against the first), then a row with CAM and occlusion. The class's
 * object is outlined in white, the other objects in red.
 */
export async function photoGallery(e: Explainer, classes: readonly number[], objects: readonly PhotoObject[]): Promise<Buffer> {
  const out: (Tile | undefined)[][] = [];
  const convs: readonly ConvMode[] = ['contribution', 'center', 'activation'];
  for (const [n, k] of classes.entries()) {
    const rival = classes[(n + 1) % classes.length];
    const frames = objects.flatMap((o) => o.boxes.map((box) => ({ box, colour: o.classes.includes(k) ? WHITE : OTHER })));
    frames.sort((a, b) => (a.colour === WHITE ? 1 : 0) - (b.colour === WHITE ? 1 : 0));
    for (const conv of convs) {
      const row: (Tile | undefined)[] = [];
      for (const mode of ['paper', 'weighted', 'discriminative', 'versus'] as const) row.push(await tile(fixations(mode, conv), e, k, undefined, frames, n, rival));
      out.push(row);
    }
    out.push([await tile(method(evalMethods, 'cam'), e, k, undefined, frames, n), await tile(method(evalMethods, 'occlusion'), e, k, undefined, frames, n)]);
  }
  const tw = 240;
  return sheet(out, tw, Math.round((tw * e.picture.height) / e.picture.width));
}
