// The drill-down pictures of one layer: fixations per cell of its grid, their receptive-field centres on
// the photo, and one channel's activation map. Grids are drawn one canvas pixel per cell and scaled up
// by CSS with square pixels, because each cell is one neuron position.
import type { LayerDetail } from '../../../src/shared/protocol';
import { diverging, inferno, put, viridis } from './colormaps';
import type { Photo } from './photo';

function sized(canvas: HTMLCanvasElement, w: number, h: number): CanvasRenderingContext2D {
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  return canvas.getContext('2d')!;
}

/** Cells by fixation count (inferno, 0 = black); returns the largest count. */
export function drawCellCounts(canvas: HTMLCanvasElement, d: LayerDetail): number {
  const { gridWidth: w, gridHeight: h, cellCounts } = d;
  const ctx = sized(canvas, w, h);
  let max = 0;
  for (const c of cellCounts) if (c > max) max = c;
  const img = ctx.createImageData(w, h);
  for (let p = 0; p < w * h; p++) put(img.data, p, inferno, max ? cellCounts[p] / max : 0);
  ctx.putImageData(img, 0, 0);
  return max;
}

/** Activations: viridis from 0 to the max when none is negative, else a diverging map symmetric around 0. */
export function drawActivation(canvas: HTMLCanvasElement, d: LayerDetail, act: Float32Array): { min: number; max: number; lut: Uint8Array } {
  const { gridWidth: w, gridHeight: h } = d;
  const ctx = sized(canvas, w, h);
  let min = Infinity, max = -Infinity;
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
  const w = Math.max(1, Math.round(photo.width * s)), h = Math.max(1, Math.round(photo.height * s));
  const ctx = sized(canvas, w, h);
  ctx.imageSmoothingEnabled = s < 1;
  ctx.drawImage(photo.bitmap, 0, 0, w, h);
  // Dim the photo so the discs carry the picture.
  ctx.fillStyle = 'rgba(0, 0, 0, 0.45)';
  ctx.fillRect(0, 0, w, h);
  let max = 0;
  for (const [, , n] of d.projected) if (n > max) max = n;
  // A disc's area grows with its count; the largest is about one grid cell across.
  const cell = Math.min(w / d.gridWidth, h / d.gridHeight);
  const rMax = Math.max(3, Math.min(0.5 * cell, 0.06 * Math.min(w, h)));
  const order = [...d.projected].sort((a, b) => a[2] - b[2]);
  for (const [x, y, n] of order) {
    const r = Math.max(1.5, rMax * Math.sqrt(n / max));
    ctx.beginPath();
    ctx.arc((x + 0.5) * s, (y + 0.5) * s, r, 0, 2 * Math.PI);
    ctx.fillStyle = 'rgba(0, 229, 255, 0.6)';
    ctx.fill();
    ctx.lineWidth = 1;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.8)';
    ctx.stroke();
  }
}
