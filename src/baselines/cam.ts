// Class activation mapping (Zhou et al., CVPR 2016), gradient-free: for a model whose scores are a linear
// layer on globally averaged conv maps, the map of class k is Σ_c W[k,c]·A_c(y,x), the class weights
// applied to the last conv maps before averaging. The head is found from the graph: from the output
// back through bias/identity ops to a Gemm or MatMul with constant weights, through Flatten/Reshape/
// Squeeze to a GlobalAveragePool (or a spatial ReduceMean, or an AveragePool over the whole map).
import type { OnnxGraph, OnnxNode } from '../onnx/graph';
import type { Values } from '../onnx/tensor';
import type { Shape } from '../unravel/tensor';
import type { Schema } from '../unravel/attrs';
import { gemmAttrs, poolAttrs, reduceAttrs } from '../unravel/op-attrs';
import type { Constants } from '../unravel/types';

export class CamError extends Error {}

export interface CamHead {
  /** The conv maps the pool averages (N×C×H×W). */
  readonly features: string;
  readonly pool: OnnxNode;
  readonly fc: OnnxNode;
  readonly channels: number;
  readonly classes: number;
  /** W[k][c] with Gemm's alpha and transposes applied, row-major classes × channels. */
  readonly weights: Float32Array;
}

/** Ops between the class scores and the linear layer that CAM looks through (QDQ pairs included). */
const scoreSide = new Set(['Identity', 'Softmax', 'LogSoftmax', 'Dropout', 'QuantizeLinear', 'DequantizeLinear']);
/** Ops between the linear layer and the pool that only reshape (or requantize) a [N, C, 1, 1] vector. */
const vectorSide = new Set(['Identity', 'Dropout', 'Flatten', 'Reshape', 'Squeeze', 'QuantizeLinear', 'DequantizeLinear']);

/** A node's attributes as the core parses them (src/unravel/op-attrs.ts); a refusal is CAM's error. */
function camAttrs<A>(schema: Schema<A>, node: OnnxNode): A {
  const why = schema.problem(node);
  if (why) throw new CamError(`${node.label}: ${why}`);
  return schema.of(node);
}

function describe(path: readonly OnnxNode[]): string {
  return path.map((n) => n.opType).join(' ← ') || 'the graph input';
}

function spatialMean(node: OnnxNode, constants: Constants): boolean {
  if (node.opType === 'GlobalAveragePool') return true;
  if (node.opType === 'ReduceMean') {
    const axes = camAttrs(reduceAttrs, node).axes ?? (node.input(1) ? Array.from(constants.float(node.input(1)) ?? []) : undefined);
    if (!axes) return false;
    const norm = axes.map((a) => (a < 0 ? a + 4 : a)).sort();
    return norm.length === 2 && norm[0] === 2 && norm[1] === 3;
  }
  // An AveragePool is global when its kernel covers the map; checked against the map's shape later.
  return node.opType === 'AveragePool';
}

/** The CAM head of the model whose scores are `output`, or a CamError saying why there is none. */
export function findCamHead(graph: OnnxGraph, constants: Constants, output: string): CamHead {
  const path: OnnxNode[] = [];
  const fail = (why: string) =>
    new CamError(
      `CAM needs scores that are a linear layer on globally averaged conv maps (GlobalAveragePool → [Flatten] → Gemm/MatMul); ${why} (from the output: ${describe(path)}). Use --method fixations or occlusion for this model.`,
    );
  let name = output;
  let fc: OnnxNode | undefined;
  for (;;) {
    const p = graph.producer.get(name);
    if (!p) throw fail('the output comes from no node');
    path.push(p);
    if (scoreSide.has(p.opType)) {
      name = p.input(0);
      continue;
    }
    if (p.opType === 'Add') {
      const [a, b] = [p.input(0), p.input(1)];
      if (constants.has(b)) {
        name = a;
        continue;
      }
      if (constants.has(a)) {
        name = b;
        continue;
      }
      throw fail('an Add of two activations sits before the scores');
    }
    if ((p.opType === 'Gemm' || p.opType === 'MatMul') && constants.has(p.input(1)) && !constants.has(p.input(0))) {
      fc = p;
      break;
    }
    throw fail(`${p.label} produces the scores, not a linear layer with constant weights`);
  }
  const w = constants.get(fc.input(1))!;
  const wf = constants.float(fc.input(1))!;
  if (w.dims.length !== 2) throw fail(`the weights of ${fc.label} are not a matrix`);
  const { transA, transB, alpha } = fc.opType === 'Gemm' ? camAttrs(gemmAttrs, fc) : { transA: false, transB: false, alpha: 1 };
  if (transA) throw fail(`${fc.label} transposes its input`);
  const [channels, classes] = transB ? [w.dims[1], w.dims[0]] : [w.dims[0], w.dims[1]];
  const weights = new Float32Array(classes * channels);
  for (let k = 0; k < classes; k++) {
    for (let c = 0; c < channels; c++) weights[k * channels + c] = alpha * (transB ? wf[k * channels + c] : wf[c * classes + k]);
  }
  name = fc.input(0);
  for (;;) {
    const p = graph.producer.get(name);
    if (!p) throw fail('the linear layer reads the graph input');
    path.push(p);
    if (vectorSide.has(p.opType)) {
      name = p.input(0);
      continue;
    }
    if (spatialMean(p, constants)) return { features: p.input(0), pool: p, fc, channels, classes, weights };
    throw fail(`the linear layer reads ${p.label}, not a global average pool`);
  }
}

/**
 * Σ_c W[k,c]·A_c over the H×W map, from the features tensor (batch 0, NCHW). Checks that the map has
 * the head's channel count and, for an AveragePool, that its kernel spans the whole map.
 */
export function camMap(
  head: CamHead,
  features: { readonly dims: Shape; readonly data: Values },
  k: number,
): { rows: number; cols: number; values: Float32Array } {
  const d = features.dims;
  if (d.length !== 4) throw new CamError(`the pooled tensor '${head.features}' has shape [${d.join(',')}], not N×C×H×W`);
  const [, c, h, w] = d;
  if (c !== head.channels) throw new CamError(`the pooled tensor '${head.features}' has ${c} channels but ${head.fc.label} takes ${head.channels}`);
  if (head.pool.opType === 'AveragePool') {
    const ks = camAttrs(poolAttrs, head.pool).kernel_shape;
    if (ks[0] !== h || ks[1] !== w)
      throw new CamError(`${head.pool.label} averages ${ks.join('×')} windows of a ${h}×${w} map: not a global average, so CAM does not apply`);
  }
  if (k < 0 || k >= head.classes) throw new RangeError(`class ${k} is out of range for ${head.classes} classes`);
  const plane = h * w;
  const out = new Float32Array(plane);
  const row = head.weights.subarray(k * c, (k + 1) * c);
  for (let ch = 0; ch < c; ch++) {
    const wk = row[ch];
    if (wk === 0) continue;
    const base = ch * plane;
    for (let i = 0; i < plane; i++) out[i] += wk * features.data[base + i];
  }
  return { rows: h, cols: w, values: out };
}
