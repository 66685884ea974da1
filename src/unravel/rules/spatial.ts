// Sliding-window geometry shared by Conv and the pools: ONNX's strides, dilations, pads, auto_pad and
// ceil_mode, resolved for one input size. Tap u of output row y reads input row y*stride - padBegin + u*dilation.
import type { OnnxNode } from '../../onnx/graph';
import type { Shape } from '../tensor';

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
export function resolveAxis(node: OnnxNode, i: number, kernel: number, inSize: number, ceilMode: boolean, spatialRank = 2): Axis & { out: number } {
  const stride = node.ints('strides')?.[i] ?? 1;
  const dilation = node.ints('dilations')?.[i] ?? 1;
  const autoPad = node.string('auto_pad', 'NOTSET');
  const span = (kernel - 1) * dilation + 1;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    const out = Math.ceil(inSize / stride);
    const total = Math.max(0, (out - 1) * stride + span - inSize);
    const small = Math.floor(total / 2);
    const padBegin = autoPad === 'SAME_UPPER' ? small : total - small;
    return { kernel, stride, dilation, padBegin, padEnd: total - padBegin, out };
  }
  const pads = autoPad === 'VALID' ? undefined : node.ints('pads');
  const padBegin = pads?.[i] ?? 0;
  const padEnd = pads?.[i + spatialRank] ?? 0;
  const room = inSize + padBegin + padEnd - span;
  let out = (ceilMode ? Math.ceil(room / stride) : Math.floor(room / stride)) + 1;
  // As PyTorch and onnxruntime do: in ceil mode the last window must start inside the input or its leading pad.
  if (ceilMode && (out - 1) * stride >= inSize + padBegin) out -= 1;
  return { kernel, stride, dilation, padBegin, padEnd, out };
}

/** The window of a 2-D Conv or pool on an input of shape [N, C, H, W] (kernel from the node or the weight). */
export function window2D(node: OnnxNode, input: Shape, kernel: readonly number[]): Window2D & { outH: number; outW: number } {
  if (input.length !== 4 || kernel.length !== 2) {
    throw new Error(`only 2-D windows are supported (input rank ${input.length}, kernel rank ${kernel.length})`);
  }
  const ceilMode = node.int('ceil_mode', 0) === 1;
  const h = resolveAxis(node, 0, kernel[0], input[2], ceilMode);
  const w = resolveAxis(node, 1, kernel[1], input[3], ceilMode);
  return { h, w, outH: h.out, outW: w.out };
}
