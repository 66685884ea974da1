// One overlay on a canvas: the photo at display resolution with the heat map, the kept fixation points and
// the box, drawn by the same compositor as the exported PNG (src/shared/overlay.ts). Heat values per
// display pixel are sampled once per explanation; toggles and opacity only draw again.
import { drawOverlay, sampleHeat, weighedPoints, type OverlayOptions } from '../../../src/shared/overlay';
import type { PanelExplanation } from '../../../src/shared/protocol';
import type { Photo } from './photo';

const heatCache = new WeakMap<PanelExplanation, { photo: Photo; values: Float32Array }>();

export function heatValues(x: PanelExplanation, photo: Photo): Float32Array {
  const hit = heatCache.get(x);
  if (hit && hit.photo === photo) return hit.values;
  const values = sampleHeat(x.heat, photo.displayWidth, photo.displayHeight, photo.scale);
  heatCache.set(x, { photo, values });
  return values;
}

export function paintOverlay(canvas: HTMLCanvasElement, photo: Photo, x: PanelExplanation, o: OverlayOptions): void {
  const { displayWidth: w, displayHeight: h } = photo;
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  const pixels = new ImageData(new Uint8ClampedArray(photo.rgba), w, h);
  const layers = { heat: o.heat ? heatValues(x, photo) : undefined, points: weighedPoints(x.result.keptPoints, x.result.keptPointWeights), box: x.result.box };
  drawOverlay({ width: w, height: h, rgba: pixels.data }, photo.scale, layers, o);
  canvas.getContext('2d')!.putImageData(pixels, 0, 0);
}
