// The model graph as the rest of the project sees it: nodes in topological order, constants
// (initializers and Constant nodes) by name, producers and consumers, attributes with typed access.
import { decodeModelProto, type onnx } from './schema';
import { ConstTensor, DataType, tensorFromProto, toNumber, type ExternalDataReader } from './tensor';

export type Dim = number | string;

export interface ValueInfo {
  readonly name: string;
  readonly elemType: number;
  /** Concrete sizes, or the symbolic name of a dynamic dimension ('' when unnamed). */
  readonly dims: readonly Dim[] | undefined;
}

export type AttrValue = number | string | number[] | string[] | ConstTensor;

export class OnnxNode {
  constructor(
    readonly index: number,
    readonly name: string,
    readonly opType: string,
    readonly domain: string,
    readonly inputs: readonly string[],
    readonly outputs: readonly string[],
    readonly attrs: ReadonlyMap<string, AttrValue>,
    /**
     * The model's opset of the default ONNX domain: the version of ONNX's operators, which decides an attribute's
     * form and default (the quantized com.microsoft ops compute a default-domain op and follow it too).
     * Undefined for a node built outside a model: the newest forms.
     */
    readonly opset?: number,
  ) {}

  /** "Conv 'conv1'": how messages name a node. */
  get label(): string {
    return `${this.opType} '${this.name}'`;
  }
  int(name: string, dflt: number): number {
    const v = this.attrs.get(name);
    return typeof v === 'number' ? v : dflt;
  }
  float(name: string, dflt: number): number {
    return this.int(name, dflt);
  }
  ints(name: string): number[] | undefined {
    const v = this.attrs.get(name);
    return Array.isArray(v) ? (v as number[]) : undefined;
  }
  string(name: string, dflt: string): string {
    const v = this.attrs.get(name);
    return typeof v === 'string' ? v : dflt;
  }
  tensor(name: string): ConstTensor | undefined {
    const v = this.attrs.get(name);
    return v instanceof ConstTensor ? v : undefined;
  }
  /** The input name at position i, or '' when absent (ONNX marks omitted optional inputs with ''). */
  input(i: number): string {
    return this.inputs[i] ?? '';
  }
}

export interface OnnxGraph {
  readonly nodes: readonly OnnxNode[];
  /** Initializers and the outputs of Constant nodes. */
  readonly constants: ReadonlyMap<string, ConstTensor>;
  /** Graph inputs that are not initializers: what the model must be fed. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly valueInfo: ReadonlyMap<string, ValueInfo>;
  readonly producer: ReadonlyMap<string, OnnxNode>;
  readonly consumers: ReadonlyMap<string, readonly OnnxNode[]>;
  /** Opset version per domain ('' is the default ONNX domain). */
  readonly opsets: ReadonlyMap<string, number>;
  readonly irVersion: number;
  readonly producerName: string;
  readonly metadata: ReadonlyMap<string, string>;
}

const utf8 = new TextDecoder();

function attrValue(a: onnx.IAttributeProto, readExternal?: ExternalDataReader): AttrValue | undefined {
  // AttributeProto.AttributeType: FLOAT=1 INT=2 STRING=3 TENSOR=4 GRAPH=5 FLOATS=6 INTS=7 STRINGS=8
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return toNumber(a.i);
    case 3:
      return utf8.decode(a.s ?? new Uint8Array());
    case 4:
      return a.t ? tensorFromProto(a.t, readExternal) : undefined;
    case 6:
      return Array.from(a.floats ?? []);
    case 7:
      return (a.ints ?? []).map(toNumber);
    case 8:
      return (a.strings ?? []).map((s) => utf8.decode(s));
    default:
      return undefined; // graphs and sparse tensors: ops that hold them have no rule
  }
}

function valueInfo(v: onnx.IValueInfoProto): ValueInfo {
  const tt = v.type?.tensor_type;
  const dims = tt?.shape?.dim?.map((d): Dim =>
    d.dim_value !== undefined && d.dim_value !== null && toNumber(d.dim_value) > 0 ? toNumber(d.dim_value) : (d.dim_param ?? ''),
  );
  return { name: v.name ?? '', elemType: tt?.elem_type ?? 0, dims: tt?.shape ? (dims ?? []) : undefined };
}

/** The tensor a Constant node produces, from whichever of its value attributes is set. */
function constantValue(node: OnnxNode): ConstTensor | undefined {
  const out = node.outputs[0] ?? '';
  const t = node.tensor('value');
  if (t) return new ConstTensor(out, t.dataType, t.dims, () => t.data);
  const a = node.attrs;
  if (typeof a.get('value_float') === 'number') return ConstTensor.of(out, DataType.FLOAT, [], Float32Array.of(a.get('value_float') as number));
  if (typeof a.get('value_int') === 'number') return ConstTensor.of(out, DataType.INT64, [], Float64Array.of(a.get('value_int') as number));
  const fs = node.ints('value_floats');
  if (fs) return ConstTensor.of(out, DataType.FLOAT, [fs.length], Float32Array.from(fs));
  const is = node.ints('value_ints');
  if (is) return ConstTensor.of(out, DataType.INT64, [is.length], Float64Array.from(is));
  return undefined;
}

/** Kahn's algorithm, keeping the file's order among ready nodes. Throws on a cycle. */
function topologicalOrder(nodes: readonly onnx.INodeProto[], available: Set<string>): number[] {
  const producedBy = new Map<string, number>();
  nodes.forEach((n, i) => n.output?.forEach((o) => o && producedBy.set(o, i)));
  const waiting = nodes.map((n) => new Set((n.input ?? []).filter((x) => x && !available.has(x) && producedBy.has(x))));
  const dependents = new Map<number, number[]>();
  waiting.forEach((deps, i) =>
    deps.forEach((x) => {
      const p = producedBy.get(x)!;
      dependents.set(p, [...(dependents.get(p) ?? []), i]);
    }),
  );
  const ready: number[] = [];
  waiting.forEach((d, i) => d.size === 0 && ready.push(i));
  const order: number[] = [];
  const done = new Set<number>();
  while (ready.length) {
    ready.sort((a, b) => a - b);
    const i = ready.shift()!;
    order.push(i);
    done.add(i);
    for (const o of nodes[i].output ?? []) {
      for (const d of dependents.get(i) ?? []) {
        if (waiting[d].delete(o) && waiting[d].size === 0 && !done.has(d)) ready.push(d);
      }
    }
  }
  if (order.length !== nodes.length) {
    const stuck = nodes.findIndex((_, i) => !done.has(i));
    throw new Error(`the graph has a cycle or an input nobody produces (around node '${nodes[stuck].name ?? stuck}')`);
  }
  return order;
}

export class NotOnnxError extends Error {}

/** Builds the graph from a decoded ModelProto. */
export function buildGraph(model: onnx.IModelProto, readExternal?: ExternalDataReader): OnnxGraph {
  const g = model.graph;
  if (!g || !g.node || g.node.length === 0 || !model.opset_import || model.opset_import.length === 0) {
    throw new NotOnnxError('it holds no ONNX graph (no nodes or no opset)');
  }
  const constants = new Map<string, ConstTensor>();
  for (const t of g.initializer ?? []) constants.set(t.name ?? '', tensorFromProto(t, readExternal));
  const inputs = (g.input ?? []).filter((i) => !constants.has(i.name ?? '')).map(valueInfo);
  const available = new Set<string>([...constants.keys(), ...inputs.map((i) => i.name)]);
  const order = topologicalOrder(g.node, available);
  const opsets = new Map<string, number>();
  for (const o of model.opset_import) {
    const d = o.domain ?? '';
    opsets.set(d === 'ai.onnx' ? '' : d, toNumber(o.version));
  }
  const nodes: OnnxNode[] = [];
  const usedNames = new Set<string>();
  for (const i of order) {
    const n = g.node[i];
    const attrs = new Map<string, AttrValue>();
    for (const a of n.attribute ?? []) {
      const v = attrValue(a, readExternal);
      if (v !== undefined) attrs.set(a.name ?? '', v);
    }
    const opType = n.op_type ?? '';
    let name = n.name || `${opType}_${i}`;
    if (usedNames.has(name)) name = `${name}#${i}`;
    usedNames.add(name);
    const node = new OnnxNode(nodes.length, name, opType, n.domain ?? '', n.input ?? [], n.output ?? [], attrs, opsets.get(''));
    nodes.push(node);
    if (opType === 'Constant' && (node.domain === '' || node.domain === 'ai.onnx')) {
      const c = constantValue(node);
      if (c && node.outputs[0]) constants.set(node.outputs[0], c);
    }
  }
  const producer = new Map<string, OnnxNode>();
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of nodes) {
    for (const o of n.outputs) if (o) producer.set(o, n);
    for (const x of new Set(n.inputs)) if (x) consumers.set(x, [...(consumers.get(x) ?? []), n]);
  }
  return {
    nodes,
    constants,
    inputs,
    outputs: (g.output ?? []).map(valueInfo),
    valueInfo: new Map((g.value_info ?? []).map(valueInfo).map((v) => [v.name, v])),
    producer,
    consumers,
    opsets,
    irVersion: toNumber(model.ir_version),
    producerName: [model.producer_name, model.producer_version].filter(Boolean).join(' '),
    metadata: new Map((model.metadata_props ?? []).map((e) => [e.key ?? '', e.value ?? ''])),
  };
}

/** Decodes serialized model bytes (the first `length` bytes of `bytes`) into a graph. */
export function parseModel(bytes: Uint8Array, readExternal?: ExternalDataReader): OnnxGraph {
  let model: onnx.IModelProto;
  try {
    model = decodeModelProto(bytes);
  } catch (e) {
    throw new NotOnnxError(`it cannot be decoded as an ONNX protobuf (${(e as Error).message}); it may be truncated or corrupt`);
  }
  return buildGraph(model, readExternal);
}
