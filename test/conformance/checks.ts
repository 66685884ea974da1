// The three checks of one ONNX node test against the product's core, each on the test's own data:
// shapes (inferShapes, as the walk infers them), constant evaluation (graphConstants, the folding every rule
// reads constants through) and, for ops that move elements, the rule's index mapping checked by value.
// A check that does not apply is null; a failed one says why in `detail`.
import type { OnnxGraph, OnnxNode } from '../../src/onnx/graph';
import { ConstTensor } from '../../src/onnx/tensor';
import { graphConstants } from '../../src/unravel/constants';
import { fromConst } from '../../src/unravel/kernels/values';
import { defaultOps as ops } from '../../src/unravel/ops';
import { inferShapes } from '../../src/unravel/shapes';
import { floatActivation, numel, valuesAt, type Shape } from '../../src/unravel/tensor';
import { defaultUnravelOptions, type Fixations, type WalkContext } from '../../src/unravel/types';
import { insideWindow, mappingKind, padded, windowReproduces } from './reference';
import type { DataSet, NodeTest } from './suite';

export interface Outcome {
  readonly pass: boolean;
  readonly detail?: string;
}

/** ONNX's backend runner compares floats with numpy's assert_allclose at these tolerances. */
const RTOL = 1e-3, ATOL = 1e-7;

const fail = (detail: string): Outcome => ({ pass: false, detail });
const ok: Outcome = { pass: true };
const dims = (s: Shape) => `[${s.join(',')}]`;

/** The graph with some of its inputs turned into constants (initializers), as a model holding them would have. */
function withConstants(graph: OnnxGraph, values: ReadonlyMap<string, ConstTensor>): OnnxGraph {
  const constants = new Map(graph.constants);
  for (const [name, t] of values) constants.set(name, new ConstTensor(name, t.dataType, t.dims, () => t.data));
  return { ...graph, constants, inputs: graph.inputs.filter((v) => !values.has(v.name)) };
}

/**
 * The inputs the walk treats as activations: those the rule routes fixations to (a one-node test), else every
 * input. The others (Reshape's shape, Pad's pads, Conv's weights, Split's sizes) are constants in real models.
 */
function activationInputs(test: NodeTest): Set<string> {
  const { graph } = test;
  if (graph.nodes.length !== 1) return new Set(graph.inputs.map((v) => v.name));
  const node = graph.nodes[0];
  const rule = ops.get(node)?.rule;
  if (!rule) return new Set();
  const routes = rule.routes?.(node, { graph, ops, constants: graphConstants(graph, ops) }) ?? [0];
  return new Set(routes.map((i) => node.input(i)).filter(Boolean));
}

function split(set: DataSet, active: Set<string>): { active: Map<string, ConstTensor>; constant: Map<string, ConstTensor> } {
  const a = new Map<string, ConstTensor>(), c = new Map<string, ConstTensor>();
  for (const [name, t] of set.inputs) (active.has(name) ? a : c).set(name, t);
  return { active: a, constant: c };
}

/** Shapes: the walk's shape inference from the activations' shapes, with the other inputs as constants. */
export function checkShapes(test: NodeTest, set: DataSet): Outcome | null {
  const { graph } = test;
  const single = graph.nodes.length === 1;
  if (!graph.nodes.every((n) => ops.get(n)?.rule || (single && ops.get(n)?.kernel))) return null;
  const parts = split(set, activationInputs(test));
  const g = withConstants(graph, parts.constant);
  const constants = graphConstants(g, ops);
  const shapes = inferShapes(g, ops, constants, new Map([...parts.active].map(([n, t]) => [n, t.dims])));
  for (const [name, want] of set.outputs) {
    const got = shapes.get(name) ?? constants.get(name)?.dims;
    if (!got) return fail(`no shape inferred for output '${name}' (expected ${dims(want.dims)})`);
    if (dims(got) !== dims(want.dims)) return fail(`output '${name}': inferred ${dims(got)}, expected ${dims(want.dims)}`);
  }
  return ok;
}

function close(a: number, e: number, exact: boolean): boolean {
  if (Number.isNaN(e)) return Number.isNaN(a);
  if (exact || !Number.isFinite(e)) return a === e;
  return Math.abs(a - e) <= ATOL + RTOL * Math.abs(e);
}

const floatTypes = new Set([1, 10, 11, 16]);

/** Compares a computed tensor with the expected one: type, dims, values (exact for integers). */
export function sameTensor(got: ConstTensor, want: ConstTensor): string | undefined {
  if (got.dataType !== want.dataType) return `type ${got.dataType}, expected ${want.dataType}`;
  if (dims(got.dims) !== dims(want.dims)) return `dims ${dims(got.dims)}, expected ${dims(want.dims)}`;
  const exact = !floatTypes.has(want.dataType);
  const g = got.data, w = want.data;
  for (let i = 0; i < w.length; i++) if (!close(g[i], w[i], exact)) return `element ${i} is ${g[i]}, expected ${w[i]}${exact ? '' : ` (rtol ${RTOL}, atol ${ATOL})`}`;
  return undefined;
}

/** Constant evaluation: every input a constant, the outputs folded as the walk folds constant subgraphs. */
export function checkConstant(test: NodeTest, set: DataSet): Outcome | null {
  const { graph } = test;
  if (!graph.nodes.every((n) => ops.get(n)?.kernel)) return null;
  const g = withConstants(graph, set.inputs);
  const constants = graphConstants(g, ops);
  for (const [name, want] of set.outputs) {
    let got: ConstTensor | undefined;
    let why = 'the kernel could not compute it';
    try {
      got = constants.get(name);
      if (got) void got.data;
    } catch (e) {
      got = undefined;
      why = (e as Error).message;
    }
    if (!got && graph.nodes.length === 1) why = kernelError(graph.nodes[0], g) ?? why;
    if (!got) return fail(`output '${name}' not folded: ${why}`);
    const diff = sameTensor(got, want);
    if (diff) return fail(`output '${name}': ${diff}`);
  }
  return ok;
}

/** Why the node's kernel refuses (folding swallows the error: an unfoldable node is left to the walk). */
function kernelError(node: OnnxNode, g: OnnxGraph): string | undefined {
  try {
    ops.get(node)!.kernel!.run(node, node.inputs.map((i) => (i && g.constants.get(i) ? fromConst(g.constants.get(i)!) : undefined)));
  } catch (e) {
    return (e as Error).message;
  }
  return undefined;
}

const none: Fixations = { index: new Int32Array(0), mass: undefined };

/**
 * Index mapping by value: each output element alone is handed to the rule, and where it lands is checked
 * against the data. Data movement: one parent holding the same value (none on constant padding). Max pools and
 * ReduceMax: one parent holding the window's (slice's) maximum, inside it. AveragePool, GlobalAveragePool,
 * ReduceMean, Conv: one parent inside the window, slice or receptive field. Windows come from an independent
 * reference (reference.ts), itself checked against the outputs.
 */
export function checkMapping(test: NodeTest, set: DataSet): Outcome | null {
  const { graph } = test;
  if (graph.nodes.length !== 1) return null;
  const node = graph.nodes[0];
  const rule = ops.get(node)?.rule;
  const kind = mappingKind(node);
  if (!rule || !kind) return null;
  const parts = split(set, activationInputs(test));
  const g = withConstants(graph, parts.constant);
  const constants = graphConstants(g, ops);
  const shapes = new Map<string, Shape>([...[...set.inputs, ...set.outputs].map(([n, t]) => [n, t.dims] as const)]);
  const activation = (n: string) => {
    const t = set.inputs.get(n) ?? constants.get(n);
    if (!t) throw new Error(`no values for '${n}'`);
    return floatActivation(t.dims, t.data);
  };
  const ctx: WalkContext = {
    graph: g,
    ops,
    constants,
    options: defaultUnravelOptions,
    shape: (n) => {
      const s = shapes.get(n) ?? constants.get(n)?.dims;
      if (!s) throw new Error(`no shape for '${n}'`);
      return s;
    },
    activation,
    valuesAt: (n, at) => valuesAt(activation(n), at),
    flag: () => {},
  };
  if (kind === 'window' || kind === 'max') {
    const why = windowReproduces(node, set);
    if (why) return fail(`the reference window does not reproduce the output: ${why}`);
  }
  for (let k = 0; k < node.outputs.length; k++) {
    const out = set.outputs.get(node.outputs[k]);
    if (!out) continue;
    if (node.opType === 'MaxPool' && k === 1) continue; // the Indices output: not a value to follow
    for (let o = 0; o < out.size; o++) {
      const outs = node.outputs.map((_, j) => (j === k ? { index: Int32Array.of(o), mass: undefined } : none));
      let sent: readonly (Fixations | undefined)[];
      try {
        sent = rule.back(node, outs, ctx);
      } catch (e) {
        return fail(`output ${k} element ${o}: the rule threw: ${(e as Error).message}`);
      }
      const parents = sent.flatMap((f, i) => (f ? Array.from(f.index, (p) => ({ input: i, p })) : []));
      const where = `output ${k} element ${o} (value ${out.data[o]})`;
      if (kind === 'move' && padded(node, set, o)) {
        if (parents.length) return fail(`${where} lies on constant padding but has parent ${parents[0].p} of input ${parents[0].input}`);
        continue;
      }
      if (parents.length !== 1) return fail(`${where} has ${parents.length} parents, expected 1`);
      const { input, p } = parents[0];
      const x = set.inputs.get(node.input(input));
      if (!x) return fail(`${where} was sent to input ${input}, which is not an activation`);
      if (!(p >= 0 && p < numel(x.dims))) return fail(`${where}: parent ${p} is outside input ${input} ${dims(x.dims)}`);
      const same = Object.is(x.data[p], out.data[o]) || x.data[p] === out.data[o];
      if ((kind === 'move' || kind === 'max') && !same) return fail(`${where}: parent ${p} of input ${input} holds ${x.data[p]}`);
      if ((kind === 'max' || kind === 'window') && !insideWindow(node, set, o, p)) return fail(`${where}: parent ${p} is outside its window`);
    }
  }
  return ok;
}
