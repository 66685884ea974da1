// The photo the host sent (PNG/JPEG bytes), decoded once and kept at display resolution as RGBA so every
// overlay redraw (toggle, opacity drag, class switch) only blends pixels.
import type { PanelImage } from '../../../src/shared/protocol';
import { displayScale } from './scale';

export interface Photo {
  readonly bitmap: ImageBitmap;
  /** Original size (the coordinates of points, box and the heat grid). */
  readonly width: number;
  readonly height: number;
  /** Display size and scale (display px per original px). */
  readonly displayWidth: number;
  readonly displayHeight: number;
  readonly scale: number;
  readonly rgba: Uint8ClampedArray;
}

export async function decodePhoto(image: PanelImage): Promise<Photo> {
  const blob = new Blob([image.bytes as Uint8Array<ArrayBuffer>], { type: image.mime });
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    throw new Error(`the panel could not decode ${image.name} (${image.mime}, ${image.bytes.length} bytes)`);
  }
  // The host's numbers are the image's true size (points and the heat grid use them); the bitmap agrees
  // unless the file carries an EXIF rotation, in which case the host's size wins.
  const width = image.width || bitmap.width,
    height = image.height || bitmap.height;
  const scale = displayScale(width, height);
  const displayWidth = Math.max(1, Math.round(width * scale)),
    displayHeight = Math.max(1, Math.round(height * scale));
  const canvas = new OffscreenCanvas(displayWidth, displayHeight);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  // Upscaled tiny images keep square pixels (a 28×28 digit should look like one); photos are smoothed.
  ctx.imageSmoothingEnabled = scale < 1;
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bitmap, 0, 0, displayWidth, displayHeight);
  const rgba = ctx.getImageData(0, 0, displayWidth, displayHeight).data;
  return { bitmap, width, height, displayWidth, displayHeight, scale, rgba };
}
