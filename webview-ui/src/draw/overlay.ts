// One overlay: the photo, the heat map (inferno), the kept fixation points and the box. Heat values per
// display pixel are computed once per explanation; toggles and opacity only re-blend.
import type { PanelExplanation } from '../../../src/shared/protocol';
import type { OverlayToggles } from '../state';
import { blendHeat, sampleHeat } from './heat';
import type { Photo } from './photo';

const heatCache = new WeakMap<PanelExplanation, { photo: Photo; values: Float32Array }>();

export function heatValues(x: PanelExplanation, photo: Photo): Float32Array {
  const hit = heatCache.get(x);
  if (hit && hit.photo === photo) return hit.values;
  const values = sampleHeat(x.heat, photo.displayWidth, photo.displayHeight, photo.scale);
  heatCache.set(x, { photo, values });
  return values;
}

/** The same colours as the exported PNG (src/heatmap/render.ts): cyan points with a dark rim, green box. */
const POINT = 'rgb(0, 229, 255)', RIM = 'rgb(0, 0, 0)', BOX = 'rgb(57, 255, 20)';

export function drawOverlay(canvas: HTMLCanvasElement, photo: Photo, x: PanelExplanation, t: OverlayToggles): void {
  const { displayWidth: w, displayHeight: h, scale: s } = photo;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const ctx = canvas.getContext('2d')!;
  const pixels = t.heat && t.opacity > 0 ? blendHeat(photo.rgba, heatValues(x, photo), t.opacity) : photo.rgba;
  ctx.putImageData(new ImageData(new Uint8ClampedArray(pixels), w, h), 0, 0);
  const unit = Math.max(1, Math.min(w, h) / 250);
  if (t.points) {
    const r = Math.max(2, 1.6 * unit);
    const seen = new Set<string>();
    ctx.lineWidth = Math.max(1, 0.8 * unit);
    ctx.strokeStyle = RIM;
    ctx.fillStyle = POINT;
    for (const [px, py] of x.result.keptPoints) {
      const key = `${px},${py}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ctx.beginPath();
      ctx.arc((px + 0.5) * s, (py + 0.5) * s, r, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
  }
  const box = x.result.box;
  if (t.box && box) {
    const lw = Math.max(2, 1.5 * unit);
    const [x0, y0, x1, y1] = box;
    ctx.lineWidth = lw;
    ctx.strokeStyle = 'rgba(0, 0, 0, 0.55)';
    ctx.strokeRect(x0 * s - lw, y0 * s - lw, (x1 - x0 + 1) * s + 2 * lw, (y1 - y0 + 1) * s + 2 * lw);
    ctx.strokeStyle = BOX;
    ctx.strokeRect(x0 * s, y0 * s, (x1 - x0 + 1) * s, (y1 - y0 + 1) * s);
  }
}
