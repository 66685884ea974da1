// The attributes every rule and kernel reads, one schema per op (attrs.ts), with ONNX's names, defaults and the
// opsets where ONNX's changelog has each form: an attribute that became an input (Pad's pads at 11, Slice's
// starts at 10, Squeeze's axes at 13, Reduce*'s axes at 13 or 18, Clip's bounds at 11, Upsample's scales at 9)
// is declared for the opsets where it is one, and a model that carries it at another opset is refused by name.
// Values a rule does not handle (a Pad mode, a Resize transformation) are listed so the rest are refused.
import { attr, schema, type Schema } from './attrs';

const ever = Infinity;
const positive = (v: number) => (v >= 1 ? undefined : 'it must be at least 1');
const allPositive = (v: readonly number[]) => (v.every((x) => x >= 1) ? undefined : 'every entry must be at least 1');
const nonNegative = (v: readonly number[]) => (v.every((x) => x >= 0) ? undefined : 'every entry must be at least 0');

/** Sliding windows: Conv, ConvTranspose and the pools (ceil_mode from opset 10, dilations on MaxPool from 10). */
const windowAttrs = {
  auto_pad: attr.string('NOTSET', ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID']),
  strides: attr.ints({ check: allPositive }),
  dilations: attr.ints({ check: allPositive }),
  pads: attr.ints({ check: nonNegative }),
};

export const convAttrs = schema({ ...windowAttrs, kernel_shape: attr.ints({ check: allPositive }), group: attr.int(1, { check: positive }) });
export const convTransposeAttrs = schema({
  ...windowAttrs,
  kernel_shape: attr.ints({ check: allPositive }),
  group: attr.int(1, { check: positive }),
  output_padding: attr.ints({ check: nonNegative }),
  output_shape: attr.ints(),
});
export const poolAttrs = schema({ ...windowAttrs, kernel_shape: attr.requiredInts({ check: allPositive }), ceil_mode: attr.flag(0) });
/** channels_last: onnxruntime's NHWC form of the global pools (com.microsoft). */
export const globalPoolAttrs = schema({ channels_last: attr.flag(0) });

/** ReduceMean, ReduceMax and the other reductions but ReduceSum: axes an attribute up to 17, input 1 from 18. */
export const reduceAttrs = schema({
  axes: attr.ints({ opsets: [1, 17], moved: 'from opset 18 the axes are input 1' }),
  keepdims: attr.flag(1),
  noop_with_empty_axes: attr.flag(0, { opsets: [18, ever] }),
});
/** ReduceSum moved its axes to an input at 13, the others at 18. */
export const reduceSumAttrs = schema({
  axes: attr.ints({ opsets: [1, 12], moved: 'from opset 13 the axes are input 1' }),
  keepdims: attr.flag(1),
  noop_with_empty_axes: attr.flag(0, { opsets: [13, ever] }),
});
export const argAttrs = schema({ axis: attr.int(0), keepdims: attr.flag(1), select_last_index: attr.flag(0) });

export const gemmAttrs = schema({ transA: attr.flag(0), transB: attr.flag(0), alpha: attr.float(1), beta: attr.float(1) });

// ---- layout --------------------------------------------------------------------------------------------
export const concatAttrs = schema({ axis: attr.requiredInt() });
export const splitAttrs = schema({
  axis: attr.int(0),
  split: attr.ints({ opsets: [1, 12], moved: 'from opset 13 the split sizes are input 1', check: nonNegative }),
  num_outputs: attr.int(0, { opsets: [18, ever], check: positive }),
});
export const sliceAttrs = schema({
  starts: attr.ints({ opsets: [1, 9], moved: 'from opset 10 starts, ends, axes and steps are inputs 1–4' }),
  ends: attr.ints({ opsets: [1, 9], moved: 'from opset 10 starts, ends, axes and steps are inputs 1–4' }),
  axes: attr.ints({ opsets: [1, 9], moved: 'from opset 10 starts, ends, axes and steps are inputs 1–4' }),
});
/** Pad-2 to 10 hold pads and value as attributes; Pad-11 takes them as inputs 1 and 2 (and axes as 3 from 18). */
export const padAttrs = schema({
  mode: attr.string('constant', ['constant', 'reflect', 'edge', 'wrap']),
  pads: attr.ints({ opsets: [2, 10], moved: 'from opset 11 the pads are input 1' }),
  value: attr.float(0, { opsets: [2, 10], moved: 'from opset 11 the value is input 2' }),
});
export const reshapeAttrs = schema({
  shape: attr.ints({ opsets: [1, 4], moved: 'from opset 5 the shape is input 1' }),
  allowzero: attr.flag(0, { opsets: [14, ever] }),
});
export const flattenAttrs = schema({ axis: attr.int(1) });
export const squeezeAttrs = schema({ axes: attr.ints({ opsets: [1, 12], moved: 'from opset 13 the axes are input 1' }) });
export const transposeAttrs = schema({ perm: attr.ints() });
export const gatherAttrs = schema({ axis: attr.int(0) });
export const depthToSpaceAttrs = schema({ blocksize: attr.requiredInt({ check: positive }), mode: attr.string('DCR', ['DCR', 'CRD']) });
export const spaceToDepthAttrs = schema({ blocksize: attr.requiredInt({ check: positive }) });
export const constantOfShapeAttrs = schema({ value: attr.tensor() });

// ---- resampling ----------------------------------------------------------------------------------------
export const resizeAttrs = schema({
  mode: attr.string('nearest', ['nearest', 'linear', 'cubic']),
  coordinate_transformation_mode: attr.string('half_pixel', [
    'half_pixel',
    'half_pixel_symmetric',
    'pytorch_half_pixel',
    'align_corners',
    'asymmetric',
    'tf_half_pixel_for_nn',
    'tf_crop_and_resize',
  ]),
  nearest_mode: attr.string('round_prefer_floor', ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']),
  cubic_coeff_a: attr.float(-0.75),
  exclude_outside: attr.flag(0),
  extrapolation_value: attr.float(0),
  antialias: attr.flag(0, { opsets: [18, ever] }),
  axes: attr.ints({ opsets: [18, ever] }),
  keep_aspect_ratio_policy: attr.string('stretch', ['stretch', 'not_larger', 'not_smaller'], { opsets: [18, ever] }),
});
/** Upsample-7 holds its scales as an attribute, Upsample-9 as input 1 ('bilinear' is Upsample-1's name for linear). */
export const upsampleAttrs = schema({
  mode: attr.string('nearest', ['nearest', 'linear', 'bilinear']),
  scales: attr.floats({ opsets: [7, 8], moved: 'from opset 9 the scales are input 1' }),
});

// ---- element-wise ----------------------------------------------------------------------------------------
export const clipAttrs = schema({
  min: attr.float(-Infinity, { opsets: [1, 10], moved: 'from opset 11 the bounds are inputs 1 and 2' }),
  max: attr.float(Infinity, { opsets: [1, 10], moved: 'from opset 11 the bounds are inputs 1 and 2' }),
});
/** BatchNormalization up to 8 could normalize per element (spatial=0): a scale per channel is what the rules fold. */
export const batchNormAttrs = schema({ epsilon: attr.float(1e-5), spatial: attr.int(1, { opsets: [1, 8], oneOf: [1] }) });
export const layerNormAttrs = schema({ axis: attr.int(-1), epsilon: attr.float(1e-5) });
/** Softmax and LogSoftmax coerced their input to 2-D at `axis` (default 1) up to 12; from 13 they work along one axis (default -1). */
export const softmaxAttrs = schema({
  axis: attr.int({
    byOpset: [
      [1, 1],
      [13, -1],
    ],
  }),
});
export const shapeAttrs = schema({ start: attr.int(0, { opsets: [15, ever] }), end: attr.optInt({ opsets: [15, ever] }) });
export const castAttrs = schema({ to: attr.requiredInt() });
/** axis: absent means 1, but a constant's integer domain tells a given axis from the default (constants.ts). */
export const quantizeAttrs = schema({ axis: attr.optInt(), block_size: attr.int(0, { oneOf: [0] }) });
export const cumSumAttrs = schema({ exclusive: attr.flag(0), reverse: attr.flag(0) });
export const triluAttrs = schema({ upper: attr.flag(1) });

/** Each schema by the op types that read it (the op table attaches them to their descriptors). */
export const attrSchemas: Readonly<Record<string, Schema<unknown>>> = {
  Conv: convAttrs,
  ConvTranspose: convTransposeAttrs,
  MaxPool: poolAttrs,
  AveragePool: poolAttrs,
  ReduceMean: reduceAttrs,
  ReduceMax: reduceAttrs,
  ReduceMin: reduceAttrs,
  ReduceProd: reduceAttrs,
  ReduceL1: reduceAttrs,
  ReduceL2: reduceAttrs,
  ReduceLogSum: reduceAttrs,
  ReduceLogSumExp: reduceAttrs,
  ReduceSumSquare: reduceAttrs,
  ReduceSum: reduceSumAttrs,
  ArgMax: argAttrs,
  ArgMin: argAttrs,
  Gemm: gemmAttrs,
  Concat: concatAttrs,
  Split: splitAttrs,
  Slice: sliceAttrs,
  Pad: padAttrs,
  Reshape: reshapeAttrs,
  Flatten: flattenAttrs,
  Squeeze: squeezeAttrs,
  Unsqueeze: squeezeAttrs,
  Transpose: transposeAttrs,
  Gather: gatherAttrs,
  GatherElements: gatherAttrs,
  DepthToSpace: depthToSpaceAttrs,
  SpaceToDepth: spaceToDepthAttrs,
  ConstantOfShape: constantOfShapeAttrs,
  Resize: resizeAttrs,
  Upsample: upsampleAttrs,
  Clip: clipAttrs,
  BatchNormalization: batchNormAttrs,
  LayerNormalization: layerNormAttrs,
  Softmax: softmaxAttrs,
  LogSoftmax: softmaxAttrs,
  Cast: castAttrs,
  Shape: shapeAttrs,
  QuantizeLinear: quantizeAttrs,
  DequantizeLinear: quantizeAttrs,
  CumSum: cumSumAttrs,
  Trilu: triluAttrs,
};
