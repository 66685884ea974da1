// Independent references for the mapping check, written from ONNX's operator spec and not from the rules:
// which ops move elements (and so must map each output to an input element of the same value), which outputs of
// a Pad lie on constant padding, and the input positions a pooling window, a convolution's receptive field (its
// group's channels) or a reduction covers (N-D, with auto_pad, dilations and the window positions the outputs' own
// dims imply). The windows are checked against the test's outputs first (max, mean or the convolution's sum over
// them reproduces the output), so a wrong reference cannot pass.
import type { OnnxNode } from '../../src/onnx/graph';
import { axisOf, numel, stridesOf, type Shape } from '../../src/unravel/tensor';
import type { DataSet } from './suite';

export type MappingKind = 'move' | 'max' | 'window';

const moves = new Set([
  'Pad', 'Slice', 'Split', 'Concat', 'Transpose', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze',
  'DepthToSpace', 'SpaceToDepth', 'Gather', 'Tile', 'Expand',
]);

/** What the mapping check asks of the op's rule, or undefined where it has no index mapping to check. */
export function mappingKind(node: OnnxNode): MappingKind | undefined {
  if (moves.has(node.opType)) return 'move';
  if (node.opType === 'Resize' || node.opType === 'Upsample') return node.string('mode', 'nearest') === 'nearest' ? 'move' : undefined;
  if (node.opType === 'MaxPool' || node.opType === 'GlobalMaxPool' || node.opType === 'ReduceMax') return 'max';
  if (['AveragePool', 'GlobalAveragePool', 'ReduceMean', 'Conv'].includes(node.opType)) return 'window';
  return undefined;
}

function coords(shape: Shape, f: number): number[] {
  return stridesOf(shape).map((s, i) => Math.floor(f / s) % shape[i]);
}

const input = (node: OnnxNode, set: DataSet, i: number) => set.inputs.get(node.input(i));
const output0 = (node: OnnxNode, set: DataSet) => set.outputs.get(node.outputs[0])!;

/** Whether output element `o` of a constant-mode Pad lies outside the copied input. */
export function padded(node: OnnxNode, set: DataSet, o: number): boolean {
  if (node.opType !== 'Pad' || node.string('mode', 'constant') !== 'constant') return false;
  const x = input(node, set, 0)!.dims;
  const r = x.length;
  const given = node.ints('pads') ?? Array.from(input(node, set, 1)!.data);
  const axesT = input(node, set, 3);
  let pads = given;
  if (axesT) {
    pads = new Array<number>(2 * r).fill(0);
    Array.from(axesT.data).forEach((a, i) => {
      const ax = axisOf(a, r);
      pads[ax] = given[i];
      pads[ax + r] = given[i + axesT.size];
    });
  }
  return coords(output0(node, set).dims, o).some((c, k) => c - pads[k] < 0 || c - pads[k] >= x[k]);
}

interface WindowAxis { begin: number; end: number; stride: number; dilation: number; kernel: number }

/** The pool's window per spatial axis, its leading pad resolved against the output size the test gives. */
function poolAxes(node: OnnxNode, set: DataSet, kernel: readonly number[] = node.ints('kernel_shape')!): WindowAxis[] {
  const x = input(node, set, 0)!.dims, y = output0(node, set).dims;
  const n = kernel.length;
  const autoPad = node.string('auto_pad', 'NOTSET');
  return kernel.map((k, i) => {
    const stride = node.ints('strides')?.[i] ?? 1, dilation = node.ints('dilations')?.[i] ?? 1;
    const span = (k - 1) * dilation + 1, size = x[i + 2];
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
      const total = Math.max(0, (y[i + 2] - 1) * stride + span - size);
      const begin = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : Math.ceil(total / 2);
      return { begin, end: total - begin, stride, dilation, kernel: k };
    }
    const pads = autoPad === 'VALID' ? undefined : node.ints('pads');
    return { begin: pads?.[i] ?? 0, end: pads?.[i + n] ?? 0, stride, dilation, kernel: k };
  });
}

/** The in-bounds input positions of output `o`'s window, and how many taps fall inside input plus pads. */
function windowTaps(node: OnnxNode, set: DataSet, o: number): { taps: number[]; padded: number } {
  const x = input(node, set, 0)!.dims, y = output0(node, set).dims;
  const axes = poolAxes(node, set);
  const oc = coords(y, o);
  const st = stridesOf(x);
  let taps = [oc[0] * st[0] + oc[1] * st[1]];
  let paddedCount = 1;
  axes.forEach((a, i) => {
    const next: number[] = [];
    let inPads = 0;
    for (let u = 0; u < a.kernel; u++) {
      const pos = oc[i + 2] * a.stride - a.begin + u * a.dilation;
      if (pos >= -a.begin && pos < x[i + 2] + a.end) inPads++;
      if (pos < 0 || pos >= x[i + 2]) continue;
      for (const t of taps) next.push(t + pos * st[i + 2]);
    }
    taps = next;
    paddedCount *= inPads;
  });
  return { taps, padded: paddedCount };
}

/** A convolution's receptive field for output `o` (in-bounds taps, every input channel of its group) and its sum. */
function convTaps(node: OnnxNode, set: DataSet, o: number): { taps: number[]; sum: number } {
  const x = input(node, set, 0)!, w = input(node, set, 1)!, b = input(node, set, 2);
  const y = output0(node, set).dims;
  const [m, cinG, ...kernel] = w.dims;
  const g = Math.floor(coords(y, o)[1] / (m / node.int('group', 1)));
  const oc = coords(y, o), st = stridesOf(x.dims), kst = stridesOf(kernel);
  const axes = poolAxes(node, set, kernel);
  const taps: number[] = [];
  let sum = b ? Number(b.data[oc[1]]) : 0;
  for (let ci = 0; ci < cinG; ci++) {
    for (let t = 0; t < numel(kernel); t++) {
      let i = oc[0] * st[0] + (g * cinG + ci) * st[1], inside = true;
      axes.forEach((a, k) => {
        const pos = oc[k + 2] * a.stride - a.begin + (Math.floor(t / kst[k]) % kernel[k]) * a.dilation;
        inside &&= pos >= 0 && pos < x.dims[k + 2];
        i += pos * st[k + 2];
      });
      if (!inside) continue;
      taps.push(i);
      sum += x.data[i] * w.data[(oc[1] * cinG + ci) * numel(kernel) + t];
    }
  }
  return { taps, sum };
}

/** The reduced axes of a reduction (attribute or input) or of a global pool, and whether dims are kept. */
function reduction(node: OnnxNode, set: DataSet): { axes: number[]; keep: boolean } {
  const r = input(node, set, 0)!.dims.length;
  if (node.opType.startsWith('Global')) return { axes: Array.from({ length: r - 2 }, (_, i) => i + 2), keep: true };
  const given = node.ints('axes') ?? (input(node, set, 1) ? Array.from(input(node, set, 1)!.data) : undefined);
  const all = Array.from({ length: r }, (_, i) => i);
  const axes = !given || given.length === 0 ? (node.int('noop_with_empty_axes', 0) ? [] : all) : given.map((a) => axisOf(a, r));
  return { axes, keep: node.int('keepdims', 1) === 1 };
}

/** The input positions output `o` reduces. */
function sliceTaps(node: OnnxNode, set: DataSet, o: number): number[] {
  const x = input(node, set, 0)!.dims;
  const { axes, keep } = reduction(node, set);
  const kept = x.map((_, i) => i).filter((i) => !axes.includes(i));
  const oc = coords(output0(node, set).dims, o);
  const fixed = new Map(kept.map((a, j) => [a, keep ? oc[a] : oc[j]]));
  const out: number[] = [];
  for (let f = 0; f < numel(x); f++) if (coords(x, f).every((c, a) => !fixed.has(a) || fixed.get(a) === c)) out.push(f);
  return out;
}

function tapsOf(node: OnnxNode, set: DataSet, o: number): number[] {
  if (node.opType === 'Conv') return convTaps(node, set, o).taps;
  return node.opType === 'MaxPool' || node.opType === 'AveragePool' ? windowTaps(node, set, o).taps : sliceTaps(node, set, o);
}

export function insideWindow(node: OnnxNode, set: DataSet, o: number, p: number): boolean {
  return tapsOf(node, set, o).includes(p);
}

/** Undefined when max, mean or sum over every reference window gives the test's output; else the first difference. */
export function windowReproduces(node: OnnxNode, set: DataSet): string | undefined {
  const x = input(node, set, 0)!.data, y = output0(node, set);
  const includePad = node.int('count_include_pad', 0) === 1;
  const near = (v: number, e: number) => Math.abs(v - e) <= 1e-4 + 1e-3 * Math.abs(e);
  for (let o = 0; o < y.size; o++) {
    const want = y.data[o];
    if (node.opType === 'AveragePool') {
      const { taps, padded: count } = windowTaps(node, set, o);
      const v = taps.reduce((s, t) => s + x[t], 0) / (includePad ? count : taps.length);
      if (!near(v, want)) return `output ${o}: mean ${v}, expected ${want}`;
    } else if (node.opType === 'Conv') {
      const v = convTaps(node, set, o).sum;
      if (!near(v, want)) return `output ${o}: sum ${v}, expected ${want}`;
    } else if (node.opType === 'GlobalAveragePool' || node.opType === 'ReduceMean') {
      const taps = sliceTaps(node, set, o);
      const v = taps.reduce((s, t) => s + x[t], 0) / taps.length;
      if (!near(v, want)) return `output ${o}: mean ${v}, expected ${want}`;
    } else {
      const v = Math.max(...tapsOf(node, set, o).map((t) => x[t]));
      if (v !== want) return `output ${o}: max ${v}, expected ${want}`;
    }
  }
  return undefined;
}
