// The drill-down pictures of one layer: fixations per cell of its grid (their share of the class's mass, when
// the mode carries masses), their receptive-field centres on the photo, and one channel's activation map. Grids are drawn one canvas pixel per cell and scaled up
// by CSS with square pixels, because each cell is one neuron position.
import type { LayerDetail } from '../../../src/shared/protocol';
import { diverging, inferno, put, viridis } from './colormaps';
import type { Photo } from './photo';

function sized(canvas: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  return canvas.getContext('2d')!;
}

/** The share of a fixated cell's shade that its mass does not decide: a cell with a sliver of mass is still not an empty one. */
export const CELL_FLOOR = 0.1;

/**
 * Cells in inferno, an empty one black: by mass when the detail has masses (a fixated cell from CELL_FLOOR up to
 * 1 at the heaviest), else by fixation count. Returns the largest value per cell (a mass share, or a count).
 */
export function drawCells(canvas: HTMLCanvasElement, d: LayerDetail): number {
  const { gridWidth: w, gridHeight: h, cellCounts, cellMass } = d;
  const ctx = sized(canvas, w, h);
  const values = cellMass ?? cellCounts;
  let max = 0;
  for (const v of values) if (v > max) max = v;
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < w * h; p++) {
    const t = max ? values[p] / max : 0;
    put(img.data, p, inferno, !cellCounts[p] ? 0 : cellMass ? CELL_FLOOR + (1 - CELL_FLOOR) * t : t);
  }
  ctx.putImageData(img, 0, 0);
  return max;
}

/** Activations: viridis from 0 to the max when none is negative, else a diverging map symmetric around 0. */
export function drawActivation(canvas: HTMLCanvasElement, d: LayerDetail, act: Float32Array): { min: number; max: number; lut: Uint8Array } {
  const { gridWidth: w, gridHeight: h } = d;
  const ctx = sized(canvas, w, h);
  let min = Infinity,
    max = -Infinity;
  for (const v of act) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const signed = min < 0;
  const scale = Math.max(Math.abs(min), Math.abs(max)) || 1;
  const lut = signed ? diverging : viridis;
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < w * h; p++) put(img.data, p, lut, signed ? 0.5 + (act[p] ?? 0) / (2 * scale) : (act[p] ?? 0) / scale);
  ctx.putImageData(img, 0, 0);
  return { min, max, lut };
}

/** The photo (at most `long` px on its long side) with a disc at each fixated cell's receptive-field centre. */
export function drawProjected(canvas: HTMLCanvasElement, photo: Photo, d: LayerDetail, long = 420): void {
  const s = Math.min(long / Math.max(photo.width, photo.height), 8);
  const w = Math.max(1, Math.round(photo.width * s)),
    h = Math.max(1, Math.round(photo.height * s));
  const ctx = sized(canvas, w, h);
  ctx.imageSmoothingEnabled = s < 1;
  ctx.drawImage(photo.bitmap, 0, 0, w, h);
  // Dim the photo so the discs carry the picture.
  ctx.fillStyle = 'rgba(0, 0, 0, 0.45)';
  ctx.fillRect(0, 0, w, h);
  // A disc's area grows with its mass (with masses) or its count; the largest is about one grid cell across.
  const weight = (p: LayerDetail['projected'][number]) => p[3] ?? p[2];
  let max = 0;
  for (const p of d.projected) max = Math.max(max, weight(p));
  const cell = Math.min(w / d.gridWidth, h / d.gridHeight);
  const rMax = Math.max(3, Math.min(0.5 * cell, 0.06 * Math.min(w, h)));
  const order = [...d.projected].sort((a, b) => weight(a) - weight(b));
  for (const p of order) {
    const [x, y] = p;
    const r = Math.max(1.5, rMax * Math.sqrt(max ? weight(p) / max : 1));
    ctx.beginPath();
    ctx.arc((x + 0.5) * s, (y + 0.5) * s, r, 0, 2 * Math.PI);
    ctx.fillStyle = 'rgba(0, 229, 255, 0.6)';
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.8)';
    ctx.stroke();
  }
}
