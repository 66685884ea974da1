// The overlay as PNG bytes (jimp). The picture itself is drawn by the one compositor, src/shared/overlay.ts.
import { Jimp } from 'jimp';
import { heatGridOf, overlayPicture, type OverlayOptions, type OverlayPoint, type Picture } from '../shared/overlay';
import type { Box } from './box';
import type { HeatMap } from './density';

export async function encodePng(width: number, height: number, rgba: Uint8Array): Promise<Buffer> {
  const img = new Jimp({ width, height });
  img.bitmap.data.set(rgba);
  return img.getBuffer('image/png');
}

/** The exported picture of an explanation (see overlayPicture), from the core's heat map. */
export function composeOverlay(
  img: Picture,
  heat: HeatMap | undefined,
  points: readonly OverlayPoint[],
  box: Box | null,
  o?: OverlayOptions,
): Picture & { rgba: Uint8Array } {
  return overlayPicture(img, heat && !heat.empty ? heatGridOf(heat) : undefined, points, box, o);
}

export async function renderOverlayPng(
  img: Picture,
  heat: HeatMap | undefined,
  points: readonly OverlayPoint[],
  box: Box | null,
  o?: OverlayOptions,
): Promise<Buffer> {
  const pic = composeOverlay(img, heat, points, box, o);
  return encodePng(pic.width, pic.height, pic.rgba);
}
