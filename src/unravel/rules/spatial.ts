// Sliding-window geometry shared by Conv and the pools: ONNX's strides, dilations, pads, auto_pad and
// ceil_mode, resolved for one input size. Tap u of output row y reads input row y*stride - padBegin + u*dilation.
import type { Shape } from '../tensor';

/** The window attributes of a Conv, ConvTranspose or pool, parsed (op-attrs.ts). */
export interface WindowAttrs {
  readonly auto_pad: 'NOTSET' | 'SAME_UPPER' | 'SAME_LOWER' | 'VALID';
  readonly strides: readonly number[] | undefined;
  readonly dilations: readonly number[] | undefined;
  readonly pads: readonly number[] | undefined;
}

export interface Axis {
  readonly kernel: number;
  readonly stride: number;
  readonly dilation: number;
  readonly padBegin: number;
  readonly padEnd: number;
}

export interface Window2D {
  readonly h: Axis;
  readonly w: Axis;
}

/** Spatial axis i of a window over `spatialRank` axes (pads lists every axis's begin, then every axis's end). */
export function resolveAxis(a: WindowAttrs, i: number, kernel: number, inSize: number, ceilMode: boolean, spatialRank = 2): Axis & { out: number } {
  const stride = a.strides?.[i] ?? 1;
  const dilation = a.dilations?.[i] ?? 1;
  const autoPad = a.auto_pad;
  const span = (kernel - 1) * dilation + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + span - inSize);
    const small = Math.floor(total / 2);
    const padBegin = autoPad === 'SAME_UPPER' ? small : total - small;
    return { kernel, stride, dilation, padBegin, padEnd: total - padBegin, out };
  }
  const pads = autoPad === 'VALID' ? undefined : a.pads;
  const padBegin = pads?.[i] ?? 0;
  const padEnd = pads?.[i + spatialRank] ?? 0;
  const room = inSize + padBegin + padEnd - span;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // As PyTorch and onnxruntime do: in ceil mode the last window must start inside the input or its leading pad.
  if (ceilMode && (out - 1) * stride >= inSize + padBegin) out -= 1;
  return { kernel, stride, dilation, padBegin, padEnd, out };
}

/** The window of a 2-D Conv or pool on an input of shape [N, C, H, W] (kernel from the node or the weight). */
export function window2D(a: WindowAttrs, input: Shape, kernel: readonly number[], ceilMode = false): Window2D & { outH: number; outW: number } {
  if (input.length !== 4 || kernel.length !== 2) {
    throw new Error(`only 2-D windows are supported (input rank ${input.length}, kernel rank ${kernel.length})`);
  }
  const h = resolveAxis(a, 0, kernel[0], input[2], ceilMode);
  const w = resolveAxis(a, 1, kernel[1], input[3], ceilMode);
  return { h, w, outH: h.out, outW: w.out };
}
