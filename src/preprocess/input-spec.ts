// What the model wants as its image: which input, its layout (NCHW or NHWC), channels and size.
import type { OnnxGraph, ValueInfo } from '../onnx/graph';
import { DataType, dataTypeName } from '../onnx/tensor';

export interface ImageInputSpec {
  readonly name: string;
  readonly layout: 'NCHW' | 'NHWC';
  readonly channels: number;
  /** Fixed sizes, or undefined where the dimension is dynamic. */
  readonly height: number | undefined;
  readonly width: number | undefined;
  readonly elemType: number;
  readonly dims: readonly (number | string)[];
}

export class InputSpecError extends Error {}

function asImage(v: ValueInfo): ImageInputSpec | undefined {
  const d = v.dims;
  if (!d || d.length !== 4) return undefined;
  const isCh = (x: number | string) => x === 1 || x === 3;
  const nhwc = typeof d[3] === 'number' && isCh(d[3]) && !(typeof d[1] === 'number' && isCh(d[1]));
  const [c, h, w] = nhwc ? [d[3], d[1], d[2]] : [d[1], d[2], d[3]];
  const channels = typeof c === 'number' ? c : 3;
  if (channels !== 1 && channels !== 3) return undefined;
  return {
    name: v.name,
    layout: nhwc ? 'NHWC' : 'NCHW',
    channels,
    height: typeof h === 'number' ? h : undefined,
    width: typeof w === 'number' ? w : undefined,
    elemType: v.elemType,
    dims: d,
  };
}

/** The model's one image-like input; a clear error when there is none or several. */
export function imageInputSpec(graph: OnnxGraph): ImageInputSpec {
  const describe = (v: ValueInfo) => `'${v.name}' ${v.dims ? `[${v.dims.map((x) => x || '?').join(',')}]` : '(no shape)'}`;
  if (graph.inputs.length !== 1) {
    const list = graph.inputs.map(describe).join(', ') || 'none';
    throw new InputSpecError(
      graph.inputs.length === 0
        ? 'the model has no inputs to feed an image to'
        : `the model has ${graph.inputs.length} inputs (${list}); CNN Fixations explains image classifiers with exactly one image input`,
    );
  }
  const spec = asImage(graph.inputs[0]);
  if (!spec) {
    throw new InputSpecError(`the model's input ${describe(graph.inputs[0])} is not image-like: expected rank 4 with 1 or 3 channels (NCHW or NHWC)`);
  }
  if (spec.elemType !== DataType.FLOAT && spec.elemType !== DataType.UINT8) {
    throw new InputSpecError(`the model's input '${spec.name}' is ${dataTypeName(spec.elemType)}; only float32 and uint8 image inputs are supported`);
  }
  return spec;
}
