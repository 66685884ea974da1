// A picture of what the numbers score: the first canvases of the benchmark, one column per method, each
// tile the method's heat map, points and box (green) over the canvas, with the true box in white.
import { Jimp } from 'jimp';
import { Explainer } from '../explain';
import type { Box } from '../heatmap/box';
import { composeOverlay, encodePng } from '../heatmap/render';
import { canvasRgba, type Benchmark } from './fmnist';
import { evalMethods, type BoxKind } from './methods';

const TILE = 128;
const GAP = 4;

/** The tiles' methods and which of their boxes to draw. */
const columns: readonly { readonly id: string; readonly box: BoxKind }[] = [
  { id: 'fixations-contribution', box: 'points' },
  { id: 'fixations-contribution', box: 'threshold' },
  { id: 'fixations-center', box: 'threshold' },
  { id: 'cam', box: 'threshold' },
  { id: 'occlusion', box: 'threshold' },
  { id: 'random', box: 'threshold' },
];

/** The true box as a 1-px outline, around the pixels it covers once scaled to the tile. */
function frame(out: Uint8Array, width: number, x0: number, y0: number, b: Box, scale: number, colour: readonly number[]): void {
  const put = (x: number, y: number) => {
    const i = ((y0 + y) * width + x0 + x) * 4;
    out[i] = colour[0]; out[i + 1] = colour[1]; out[i + 2] = colour[2];
  };
  const left = Math.floor(b[0] * scale), top = Math.floor(b[1] * scale);
  const right = Math.min(TILE - 1, Math.ceil((b[2] + 1) * scale) - 1), bottom = Math.min(TILE - 1, Math.ceil((b[3] + 1) * scale) - 1);
  for (let x = left; x <= right; x++) { put(x, top); put(x, bottom); }
  for (let y = top; y <= bottom; y++) { put(left, y); put(right, y); }
}

/** The predicted class's maps for the first `rows` canvases, as one JPEG (the canvases' noise makes a PNG 6× larger). */
export async function fmnistGallery(modelPath: string, bench: Benchmark, rows: number): Promise<Buffer> {
  const width = columns.length * (TILE + GAP) - GAP, height = rows * (TILE + GAP) - GAP;
  const out = new Uint8Array(width * height * 4).fill(40);
  for (let i = 0; i < rows; i++) {
    const png = await encodePng(bench.size, bench.size, canvasRgba(bench, i));
    const e = await Explainer.create(modelPath, { imageBytes: png, label: `fmnist-loc #${i}` }, { labels: bench.classes });
    const pred = e.predictions(1)[0].index;
    for (const [j, col] of columns.entries()) {
      const m = evalMethods.find((x) => x.id === col.id)!;
      if (m.unavailable(e)) continue;
      const r = await m.run({ explainer: e, seed: i }, pred);
      const points = col.id.startsWith('fixations') && col.box === 'points' ? e.explain(pred, { convMode: 'contribution' }).keptPoints : [];
      const pic = composeOverlay(e.picture, r.heat, points, r.boxes[col.box] ?? null);
      const x0 = j * (TILE + GAP), y0 = i * (TILE + GAP);
      // Nearest-neighbour down to the tile: the overlay is drawn at 4× for small images.
      for (let y = 0; y < TILE; y++) {
        for (let x = 0; x < TILE; x++) {
          const s = (Math.floor((y * pic.height) / TILE) * pic.width + Math.floor((x * pic.width) / TILE)) * 4, d = ((y0 + y) * width + x0 + x) * 4;
          out.set(pic.rgba.subarray(s, s + 4), d);
        }
      }
      frame(out, width, x0, y0, bench.boxes[i], TILE / bench.size, [255, 255, 255]);
    }
  }
  const img = new Jimp({ width, height });
  img.bitmap.data.set(out);
  return img.getBuffer('image/jpeg', { quality: 85 });
}

export const galleryColumns = columns.map((c) => `${evalMethods.find((m) => m.id === c.id)!.label}, ${c.box === 'points' ? 'points box' : 'heat ≥ 20% box'}`);
