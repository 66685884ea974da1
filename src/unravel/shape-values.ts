// Values computed from shapes alone. Exporters write dynamic code such as torch's `chunk` as
// Shape → Gather → Add → Div → Mul → Slice: the Slice bounds are small integer tensors that depend only on
// the input's shape. Evaluating them while shapes are inferred keeps such shapes inferable, so the forward
// pass need not keep tensors just to learn their shapes, and rules read the bounds as if they were constants.
import type { OnnxNode } from '../onnx/graph';
import { ConstTensor, DataType } from '../onnx/tensor';
import type { Shape } from './tensor';
import type { Constants } from './types';

/** The largest tensor folded here: shape arithmetic works on a few integers. */
const MAX_ELEMENTS = 64;

const integerTypes = new Set<number>([DataType.INT8, DataType.INT16, DataType.INT32, DataType.INT64, DataType.UINT8, DataType.UINT16, DataType.UINT32, DataType.UINT64, DataType.BOOL]);

interface Small {
  readonly type: number;
  readonly dims: readonly number[];
  readonly v: readonly number[];
}

function small(t: ConstTensor | undefined): Small | undefined {
  if (!t || t.size > MAX_ELEMENTS) return undefined;
  return { type: t.dataType, dims: t.dims, v: Array.from(t.data as ArrayLike<number>, Number) };
}

function tensor(name: string, s: Small): ConstTensor {
  return ConstTensor.of(name, s.type, s.dims, integerTypes.has(s.type) ? Float64Array.from(s.v) : Float32Array.from(s.v));
}

const axisIn = (a: number, rank: number) => (a < 0 ? a + rank : a);

function arithmetic(op: string, a: Small, b: Small): Small | undefined {
  // Broadcasting as shape code uses it: a scalar (or one element) against anything, or equal shapes.
  const n = Math.max(a.v.length, b.v.length);
  const dims = a.v.length >= b.v.length ? a.dims : b.dims;
  if (a.v.length !== n && a.v.length !== 1) return undefined;
  if (b.v.length !== n && b.v.length !== 1) return undefined;
  if (a.v.length === b.v.length && a.dims.join() !== b.dims.join()) return undefined;
  const integer = integerTypes.has(a.type) && integerTypes.has(b.type);
  const v: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a.v[a.v.length === 1 ? 0 : i], y = b.v[b.v.length === 1 ? 0 : i];
    let r: number;
    if (op === 'Add') r = x + y;
    else if (op === 'Sub') r = x - y;
    else if (op === 'Mul') r = x * y;
    else {
      if (integer && y === 0) return undefined;
      r = integer ? Math.trunc(x / y) : Math.fround(x / y);
    }
    v.push(r);
  }
  return { type: a.type, dims, v };
}

function sliceOne(x: Small, starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined): Small | undefined {
  if (x.dims.length !== 1 || starts.length !== 1 || ends.length !== 1) return undefined;
  if (axes && axisIn(axes[0], 1) !== 0) return undefined;
  const step = steps?.[0] ?? 1;
  if (step === 0) return undefined;
  const d = x.v.length;
  const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));
  let s = starts[0] < 0 ? starts[0] + d : starts[0];
  let e = ends[0] < 0 ? ends[0] + d : ends[0];
  if (step > 0) { s = clamp(s, 0, d); e = clamp(e, 0, d); } else { s = clamp(s, 0, d - 1); e = clamp(e, -1, d - 1); }
  const v: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) v.push(x.v[i]);
  return { type: x.type, dims: [v.length], v };
}

/**
 * The output of a shape-arithmetic node when its inputs are known: Shape of a tensor whose shape is known,
 * and Gather, Unsqueeze, Squeeze, Concat, Cast, Identity, Add, Sub, Mul, Div and 1-D Slice of small constants
 * or such values. Undefined for anything else.
 */
export function shapeValue(node: OnnxNode, get: (name: string) => ConstTensor | undefined, shapeOf: (name: string) => Shape | undefined): ConstTensor | undefined {
  const out = node.outputs[0];
  if (!out || node.outputs.length !== 1) return undefined;
  const ints = (i: number, attr?: string): number[] | undefined => (attr ? node.ints(attr) : undefined) ?? (node.input(i) ? small(get(node.input(i)))?.v.slice() : undefined);
  let r: Small | undefined;
  if (node.opType === 'Shape') {
    const s = shapeOf(node.input(0));
    if (!s) return undefined;
    const rank = s.length;
    const clampEnd = (v: number) => Math.min(rank, Math.max(0, axisIn(v, rank)));
    const start = clampEnd(node.int('start', 0)), end = node.attrs.has('end') ? clampEnd(node.int('end', rank)) : rank;
    const v = s.slice(start, Math.max(start, end));
    r = { type: DataType.INT64, dims: [v.length], v };
  } else {
    const inputs = node.inputs.map((name) => (name ? small(get(name)) : undefined));
    const x = inputs[0];
    if (!x) return undefined;
    switch (node.opType) {
      case 'Identity':
        r = x;
        break;
      case 'Cast': {
        const to = node.int('to', x.type);
        r = { type: to, dims: x.dims, v: integerTypes.has(to) ? x.v.map(Math.trunc) : x.v };
        break;
      }
      case 'Gather': {
        const idx = inputs[1];
        if (!idx || x.dims.length !== 1 || axisIn(node.int('axis', 0), 1) !== 0) return undefined;
        const v = idx.v.map((i) => x.v[i < 0 ? i + x.v.length : i]);
        if (v.some((e) => e === undefined)) return undefined;
        r = { type: x.type, dims: idx.dims, v };
        break;
      }
      case 'Unsqueeze': {
        const axes = ints(1, 'axes');
        if (!axes) return undefined;
        const rank = x.dims.length + axes.length;
        const at = new Set(axes.map((a) => axisIn(a, rank)));
        const dims: number[] = [];
        for (let i = 0, k = 0; i < rank; i++) dims.push(at.has(i) ? 1 : x.dims[k++]);
        r = { ...x, dims };
        break;
      }
      case 'Squeeze': {
        const axes = ints(1, 'axes');
        const at = axes ? new Set(axes.map((a) => axisIn(a, x.dims.length))) : undefined;
        r = { ...x, dims: x.dims.filter((d, i) => (at ? !at.has(i) : d !== 1)) };
        break;
      }
      case 'Concat': {
        if (inputs.some((s) => !s || s.dims.length !== 1) || axisIn(node.int('axis', 0), 1) !== 0) return undefined;
        const v = inputs.flatMap((s) => s!.v);
        r = { type: x.type, dims: [v.length], v };
        break;
      }
      case 'Add': case 'Sub': case 'Mul': case 'Div':
        r = inputs[1] && arithmetic(node.opType, x, inputs[1]);
        break;
      case 'Slice': {
        const starts = ints(1, 'starts'), ends = ints(2, 'ends');
        if (!starts || !ends) return undefined;
        r = sliceOne(x, starts, ends, ints(3, 'axes'), ints(4));
        break;
      }
      default:
        return undefined;
    }
  }
  return r && r.v.length <= MAX_ELEMENTS ? tensor(out, r) : undefined;
}

/** The graph's constants with values computed from shapes added: what rules see for one input shape. */
export function withShapeValues(constants: Constants, values: ReadonlyMap<string, ConstTensor>): Constants {
  return {
    ...constants,
    get: (name) => values.get(name) ?? constants.get(name),
    has: (name) => values.has(name) || constants.has(name),
    float: (name) => {
      const v = values.get(name);
      return v ? Float32Array.from(v.data as ArrayLike<number>) : constants.float(name);
    },
  };
}
