// The NaN/Inf check of a forward's kept tensors, done by onnxruntime: nodes added to the session's graph sum all
// kept float32 tensors into one added output. A sum is finite only if every value is (NaN and ±Inf survive any
// addition), so a finite sum clears them all; one that is not (a bad value, or finite values whose sum overflows)
// leaves them to the scan of finite.ts, which names the first bad tensor. onnxruntime sums each tensor right after
// computing it, vectorized, with no pass of JavaScript over the values.
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { onnx } from '../onnx/schema';
import { DataType } from '../onnx/tensor';

/** Nodes and an output to add to the session's graph, and what the output's values say. */
export interface FiniteSums {
  /** The added graph output: one number, the sum of all values of `tensors` (NaN or ±Inf if one of them is). */
  readonly output: string;
  readonly tensors: readonly string[];
  readonly nodes: readonly onnx.INodeProto[];
}

/**
 * The sums for the tensors of `kept` known to be float32 (the others stay with the scan), or undefined when none
 * is: a ReduceSum of each (all axes: no `axes` attribute nor input, the same at every opset), added up by a chain
 * of Adds into one number. The chain, not one Sum, and the nodes' order are for onnxruntime's execution order (a
 * depth-first walk up from the graph's last leaf, a node's inputs of higher index first): each link's previous
 * link is visited before its new sum, so each sum runs right after its tensor is computed, still in cache (with
 * one node gathering them all, all ran at the end: twice the time on ResNet-50).
 */
export function finiteSums(graph: OnnxGraph, kept: readonly string[]): FiniteSums | undefined {
  // onnxruntime has no Add below opset 7 (nor guarantees such models): the scan checks them
  if ((graph.opsets.get('') ?? 0) < 7) return undefined;
  const types = elementTypes(graph);
  const tensors = kept.filter((t) => types.get(t) === DataType.FLOAT);
  if (!tensors.length) return undefined;
  const prefix = freshPrefix(graph);
  const sum = (i: number) => `${prefix}sum${i}`;
  const link = (i: number) => (i ? `${prefix}link${i}` : sum(0));
  const nodes: onnx.INodeProto[] = tensors.map((t, i) => ({
    op_type: 'ReduceSum',
    name: sum(i),
    input: [t],
    output: [sum(i)],
    attribute: [{ name: 'keepdims', type: 2, i: 0 }],
  }));
  for (let i = 1; i < tensors.length; i++) nodes.push({ op_type: 'Add', name: link(i), input: [link(i - 1), sum(i)], output: [link(i)] });
  return { output: link(tensors.length - 1), tensors, nodes };
}

/** A prefix no name of the graph starts with, for the added tensors and nodes. */
function freshPrefix(graph: OnnxGraph): string {
  const names = [...graph.constants.keys(), ...graph.inputs.map((i) => i.name), ...graph.nodes.flatMap((n) => [n.name, ...n.outputs])];
  let prefix = 'finite_';
  while (names.some((n) => n.startsWith(prefix))) prefix = `_${prefix}`;
  return prefix;
}

/**
 * The element types of the graph's tensors where they can be told: declared ones (inputs, outputs, value_info),
 * constants', and those the ops below give. A wrong float32 would make onnxruntime refuse the added nodes
 * (session.ts then opens the model without them); a type not told keeps its tensor with the scan.
 */
export function elementTypes(graph: OnnxGraph): Map<string, number> {
  const types = new Map<string, number>();
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo.values()]) if (v.elemType) types.set(v.name, v.elemType);
  for (const [name, c] of graph.constants) types.set(name, c.dataType);
  for (const node of graph.nodes) {
    // A Split's outputs all have its input's type: ShuffleNet's branches start at the second one, and with only the
    // first typed, 39 of its 56 kept tensors were left to the scan (1 ms a forward). Other ops: the first output.
    const outs = node.opType === 'Split' && (node.domain === '' || node.domain === 'ai.onnx') ? node.outputs : node.outputs.slice(0, 1);
    for (const out of outs) {
      if (!out || types.has(out)) continue;
      const t = firstOutputType(node, (name) => types.get(name));
      if (t) types.set(out, t);
    }
  }
  return types;
}

/** Ops whose first output is never float, whatever their inputs. */
const NOT_FLOAT = new Set([
  ...['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero', 'NonMaxSuppression', 'IsNaN', 'IsInf', 'Equal', 'Greater', 'GreaterOrEqual'],
  ...['Less', 'LessOrEqual', 'QuantizeLinear', 'DynamicQuantizeLinear', 'ConvInteger', 'MatMulInteger', 'QLinearConv', 'QLinearMatMul'],
]);

/** Ops whose first output is not the type of their first input, nor one of the cases below: left untold. */
const UNTOLD = new Set([
  ...['If', 'Loop', 'Scan', 'EyeLike', 'RandomNormalLike', 'RandomUniformLike', 'Bernoulli', 'Multinomial', 'RandomNormal', 'RandomUniform'],
  ...['TfIdfVectorizer', 'MelWeightMatrix', 'BlackmanWindow', 'HannWindow', 'HammingWindow', 'OptionalGetElement', 'SequenceAt'],
]);

/** The type of a default-domain node's first output: mostly its first input's (Conv, Relu, Add, Reshape, Resize…). */
function firstOutputType(node: OnnxNode, typeOf: (name: string) => number | undefined): number | undefined {
  if (node.domain !== '' && node.domain !== 'ai.onnx') return undefined;
  if (NOT_FLOAT.has(node.opType)) return -1;
  if (UNTOLD.has(node.opType)) return undefined;
  switch (node.opType) {
    case 'Cast': {
      const to = node.attrs.get('to');
      return typeof to === 'number' ? to : to === 'FLOAT' ? DataType.FLOAT : undefined;
    }
    case 'CastLike':
      return typeOf(node.input(1));
    case 'DequantizeLinear':
      return typeOf(node.input(1)) ?? DataType.FLOAT;
    case 'Where':
      return typeOf(node.input(1));
    case 'OneHot':
      return typeOf(node.input(2));
    case 'ConstantOfShape':
      return node.tensor('value')?.dataType ?? DataType.FLOAT;
    default:
      return typeOf(node.input(0));
  }
}
