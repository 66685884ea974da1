// Where each model-input pixel comes from in the original image: resize, crop and pad as one affine map
// per axis, original = model·scale + offset, valid inside the content region (padding maps nowhere).
import type { ResizeMode } from './presets';

export interface CoordinateMap {
  readonly originalWidth: number;
  readonly originalHeight: number;
  readonly modelWidth: number;
  readonly modelHeight: number;
  /** Resized size before cropping, and the crop's top-left corner in it. */
  readonly resizedWidth: number;
  readonly resizedHeight: number;
  readonly cropLeft: number;
  readonly cropTop: number;
  /** Model pixels at x ≥ contentWidth or y ≥ contentHeight are padding. */
  readonly contentWidth: number;
  readonly contentHeight: number;
}

/** The torchvision recipe for `shorter` (Resize(int) then CenterCrop), stretch for `exact`, fit-height for `pad`. */
export function planGeometry(mode: ResizeMode, width: number, height: number, modelWidth: number, modelHeight: number, shorterRatio: number): CoordinateMap {
  let rw: number,
    rh: number,
    left = 0,
    top = 0,
    cw = modelWidth;
  const ch = modelHeight;
  if (mode === 'shorter') {
    const target = Math.round(Math.min(modelWidth, modelHeight) * shorterRatio);
    if (width <= height) {
      rw = target;
      rh = Math.floor((target * height) / width);
    } else {
      rh = target;
      rw = Math.floor((target * width) / height);
    }
    rw = Math.max(rw, modelWidth);
    rh = Math.max(rh, modelHeight);
    left = roundHalfEven((rw - modelWidth) / 2);
    top = roundHalfEven((rh - modelHeight) / 2);
  } else if (mode === 'exact') {
    rw = modelWidth;
    rh = modelHeight;
  } else {
    rh = modelHeight;
    rw = Math.max(1, Math.min(modelWidth, Math.ceil((modelHeight * width) / height)));
    cw = rw;
  }
  return {
    originalWidth: width,
    originalHeight: height,
    modelWidth,
    modelHeight,
    resizedWidth: rw,
    resizedHeight: rh,
    cropLeft: left,
    cropTop: top,
    contentWidth: cw,
    contentHeight: ch,
  };
}

/** Python's round(): halves go to the even neighbour, as torchvision's CenterCrop computes its offsets. */
export function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
}

/** The identity map, for inputs given as tensors. */
export function identityGeometry(width: number, height: number): CoordinateMap {
  return planGeometry('exact', width, height, width, height, 1);
}

/** Original-image pixel (rounded, clamped) of model pixel (x, y), or undefined on padding. */
export function toOriginal(map: CoordinateMap, x: number, y: number): [number, number] | undefined {
  if (x < 0 || y < 0 || x >= map.contentWidth || y >= map.contentHeight) return undefined;
  const ox = ((x + map.cropLeft + 0.5) * map.originalWidth) / map.resizedWidth - 0.5;
  const oy = ((y + map.cropTop + 0.5) * map.originalHeight) / map.resizedHeight - 0.5;
  const clamp = (v: number, n: number) => Math.min(n - 1, Math.max(0, Math.round(v)));
  return [clamp(ox, map.originalWidth), clamp(oy, map.originalHeight)];
}
