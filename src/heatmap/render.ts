// The overlay as a picture: the image, the heat map in the inferno colormap with adjustable opacity
// (transparent where the heat is low), the kept points and the box. PNG bytes via jimp.
import { Jimp } from 'jimp';
import type { Box } from './box';
import { colorAt } from './colormap';
import { heatAt, type HeatMap } from './density';
import type { Point } from './outliers';

export interface OverlayOptions {
  readonly opacity: number;
  readonly heat: boolean;
  readonly points: boolean;
  readonly box: boolean;
}

export const defaultOverlay: OverlayOptions = { opacity: 0.6, heat: true, points: true, box: true };

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly rgba: Uint8Array;
}

/** How much a small image is enlarged in the picture, so points and box don't hide it (MNIST's 28 px → 336). */
export function renderScale(width: number, height: number): number {
  const short = Math.min(width, height);
  return short < 160 ? Math.ceil(320 / short) : 1;
}

/** Draws the overlay; small images are enlarged by `renderScale` (nearest neighbour, so pixels stay visible). */
export function composeOverlay(img: RgbaImage, heat: HeatMap | undefined, points: readonly Point[], box: Box | null, o: OverlayOptions = defaultOverlay): RgbaImage {
  const u = renderScale(img.width, img.height);
  const w = img.width * u, h = img.height * u;
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (Math.floor(y / u) * img.width + Math.floor(x / u)) * 4, d = (y * w + x) * 4;
      out[d] = img.rgba[s]; out[d + 1] = img.rgba[s + 1]; out[d + 2] = img.rgba[s + 2]; out[d + 3] = 255;
    }
  }
  if (o.heat && heat && !heat.empty) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = heatAt(heat, (x + 0.5) / u - 0.5, (y + 0.5) / u - 0.5);
        // Opacity grows with the heat, so cold regions keep the photo visible.
        const a = o.opacity * Math.min(1, v * 1.5);
        if (a <= 0.003) continue;
        const [r, g, b] = colorAt(v);
        const i = (y * w + x) * 4;
        out[i] = out[i] * (1 - a) + r * a;
        out[i + 1] = out[i + 1] * (1 - a) + g * a;
        out[i + 2] = out[i + 2] * (1 - a) + b * a;
      }
    }
  }
  const put = (x: number, y: number, c: readonly number[]) => {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    const i = (y * w + x) * 4;
    out[i] = c[0]; out[i + 1] = c[1]; out[i + 2] = c[2]; out[i + 3] = 255;
  };
  const scale = Math.max(1, Math.round(Math.min(w, h) / 250));
  const centre = (p: number) => Math.floor(p * u + u / 2);
  if (o.points) {
    const dot = [0, 229, 255], rim = [0, 0, 0];
    const r = Math.max(scale, Math.ceil(u / 3));
    const seen = new Set<number>();
    for (const [px, py] of points) {
      if (seen.has(py * img.width + px)) continue;
      seen.add(py * img.width + px);
      const cx = centre(px), cy = centre(py);
      for (let dy = -r - 1; dy <= r + 1; dy++) for (let dx = -r - 1; dx <= r + 1; dx++) {
        const d2 = dx * dx + dy * dy;
        if (d2 <= r * r) put(cx + dx, cy + dy, dot);
        else if (d2 <= (r + 1) * (r + 1)) put(cx + dx, cy + dy, rim);
      }
    }
  }
  if (o.box && box) {
    const [x0, y0, x1, y1] = [box[0] * u, box[1] * u, box[2] * u + u - 1, box[3] * u + u - 1];
    const green = [57, 255, 20];
    for (let t = 0; t < 2 * scale; t++) {
      for (let x = x0 - t; x <= x1 + t; x++) { put(x, y0 - t, green); put(x, y1 + t, green); }
      for (let y = y0 - t; y <= y1 + t; y++) { put(x0 - t, y, green); put(x1 + t, y, green); }
    }
  }
  return { width: w, height: h, rgba: out };
}

export async function encodePng(width: number, height: number, rgba: Uint8Array): Promise<Buffer> {
  const img = new Jimp({ width, height });
  img.bitmap.data.set(rgba);
  return img.getBuffer('image/png');
}

export async function renderOverlayPng(img: RgbaImage, heat: HeatMap | undefined, points: readonly Point[], box: Box | null, o: OverlayOptions = defaultOverlay): Promise<Buffer> {
  const pic = composeOverlay(img, heat, points, box, o);
  return encodePng(pic.width, pic.height, pic.rgba);
}
