// Fixed data colours. Inferno (sequential, src/shared/colormap.ts) for heat and fixation counts; for
// activations, viridis when they are all ≥ 0 (after a ReLU: zero is dark, like a photo's black) and a
// blue–white–red diverging map (ColorBrewer RdBu, Apache-2.0, Cynthia Brewer) when they have both signs,
// so zero is white and the sign reads at a glance. Viridis (CC0, van der Walt and Smith) is rebuilt from
// ten of its colours, close enough for a display map.
import { inferno } from '../../../src/shared/colormap';

const RDBU = ['053061', '2166ac', '4393c3', '92c5de', 'd1e5f0', 'f7f7f7', 'fddbc7', 'f4a582', 'd6604d', 'b2182b', '67001f'];

function interpolate(anchors: readonly string[]): Uint8Array {
  const rgb = anchors.map((h) => [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)));
  const lut = new Uint8Array(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (rgb.length - 1);
    const k = Math.min(rgb.length - 2, Math.floor(t)),
      f = t - k;
    for (let c = 0; c < 3; c++) lut[i * 3 + c] = Math.round(rgb[k][c] * (1 - f) + rgb[k + 1][c] * f);
  }
  return lut;
}

const VIRIDIS = ['440154', '482878', '3e4a89', '31688e', '26828e', '1f9e89', '35b779', '6ece58', 'b5de2b', 'fde725'];

export const diverging: Uint8Array = interpolate(RDBU);
export const viridis: Uint8Array = interpolate(VIRIDIS);
export { inferno };

/** Writes LUT colour for v in [0, 1] into rgba at pixel p (opaque). */
export function put(rgba: Uint8ClampedArray, p: number, lut: Uint8Array, v: number): void {
  const c = Math.max(0, Math.min(255, Math.round(v * 255))) * 3;
  rgba[p * 4] = lut[c];
  rgba[p * 4 + 1] = lut[c + 1];
  rgba[p * 4 + 2] = lut[c + 2];
  rgba[p * 4 + 3] = 255;
}

/** A horizontal colour bar, drawn once into a small canvas (no inline styles needed). */
export function colorbar(lut: Uint8Array, width = 128, height = 10): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(width, height);
  for (let x = 0; x < width; x++) for (let y = 0; y < height; y++) put(img.data, y * width + x, lut, x / (width - 1));
  ctx.putImageData(img, 0, 0);
  return canvas;
}
