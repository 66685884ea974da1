// Turns an explanation into what the panel draws: the heat grid, the model summary, the per-layer
// drill-down. Pure data shaping, done in the engine.
import type { Explainer, Explanation } from '../explain';
import { dataTypeName } from '../onnx/tensor';
import { describePreset } from '../preprocess/presets';
import { tensorGrid } from '../shared/layout';
import { heatGridOf } from '../shared/overlay';
import type { LayerDetail, ModelSummary, PanelExplanation } from '../shared/protocol';

export function panelExplanation(x: Explanation): PanelExplanation {
  return { result: x.json, heat: heatGridOf(x.heat) };
}

export function modelSummary(e: Explainer): ModelSummary {
  const g = e.model.model.graph;
  const counts = new Map<string, number>();
  for (const n of g.nodes) counts.set(n.opType, (counts.get(n.opType) ?? 0) + 1);
  const io = (v: { name: string; dims: readonly (number | string)[] | undefined; elemType: number }) => ({
    name: v.name,
    dims: v.dims ?? [],
    type: dataTypeName(v.elemType),
  });
  return {
    path: e.model.model.path,
    fileName: e.model.model.path.split(/[\\/]/).pop() ?? e.model.model.path,
    opsets: [...g.opsets].map(([domain, version]) => ({ domain: domain || 'ai.onnx', version })),
    producer: g.producerName,
    inputs: g.inputs.map(io),
    outputs: g.outputs.map(io),
    opCounts: [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    nodeCount: g.nodes.length,
    exposedTensors: e.model.plan.expose.length,
    preprocessing: describePreset(e.preset),
    warnings: e.warnings,
  };
}

export function layerDetail(
  e: Explainer,
  x: Explanation,
  layerIndex: number,
  classIndex: number,
  channel: number | undefined,
  activation: (tensor: string) => { data: ArrayLike<number>; scale: number; zero: number } | undefined,
): LayerDetail {
  const layer = x.unravel.layers[layerIndex];
  if (!layer) throw new RangeError(`there is no layer ${layerIndex} (the walk has ${x.unravel.layers.length})`);
  const { channels, h, w } = tensorGrid(layer.shape);
  const plane = h * w;
  const cellCounts = new Uint32Array(plane);
  // With masses (every mode but paper), each fixation's share of the class's mass adds up per cell and channel.
  const mass = layer.mass;
  const cellMass = mass ? new Float32Array(plane) : undefined;
  const perChannel = new Map<number, [count: number, mass: number]>();
  layer.fixations.forEach((f, i) => {
    const c = Math.floor(f / plane) % channels;
    cellCounts[f % plane]++;
    const m = mass?.[i] ?? 0;
    if (cellMass) cellMass[f % plane] += m;
    const seen = perChannel.get(c);
    if (seen) {
      seen[0]++;
      seen[1] += m;
    } else perChannel.set(c, [1, m]);
  });
  const topChannels = [...perChannel]
    .map(([c, [n, m]]) => (mass ? ([c, n, m] as const) : ([c, n] as const)))
    .sort((a, b) => (mass ? b[2]! - a[2]! : 0) || b[1] - a[1] || a[0] - b[0])
    .slice(0, 16);
  // Receptive-field centres: the cell's centre scaled to the model input, then through the preprocessing.
  const input = e.forward.values.get(e.spec.name)!.dims;
  const [ih, iw] = e.spec.layout === 'NCHW' ? [input[2], input[3]] : [input[1], input[2]];
  const m = e.map;
  const projected: (readonly [number, number, number, number?])[] = [];
  cellCounts.forEach((n, cell) => {
    if (!n) return;
    const mx = ((cell % w) + 0.5) * (iw / w) - 0.5;
    const my = (Math.floor(cell / w) + 0.5) * (ih / h) - 0.5;
    const ox = ((mx + m.cropLeft + 0.5) * m.originalWidth) / m.resizedWidth - 0.5;
    const oy = ((my + m.cropTop + 0.5) * m.originalHeight) / m.resizedHeight - 0.5;
    projected.push(cellMass ? [Math.round(ox), Math.round(oy), n, cellMass[cell]] : [Math.round(ox), Math.round(oy), n]);
  });
  const ch = channel ?? topChannels[0]?.[0];
  let act: Float32Array | undefined;
  let note: string | undefined;
  if (ch !== undefined && plane > 1) {
    const values = activation(layer.tensor);
    if (values) {
      act = new Float32Array(plane);
      for (let i = 0; i < plane; i++) act[i] = (values.data[ch * plane + i] - values.zero) * values.scale;
    } else {
      note = 'this tensor is not kept by the forward pass';
    }
  }
  return {
    layerIndex,
    classIndex,
    node: layer.node,
    op: layer.op,
    tensor: layer.tensor,
    shape: layer.shape,
    gridHeight: h,
    gridWidth: w,
    cellCounts,
    cellMass,
    projected,
    topChannels,
    channel: ch,
    activation: act,
    activationNote: note,
  };
}
