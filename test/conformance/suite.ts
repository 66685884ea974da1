// ONNX's own node tests as Debian's libonnx-testdata installs them: per test a folder with a one-node (or a
// function's expanded) model.onnx and test_data_set_*/input_*.pb, output_*.pb, in the order of the graph's
// inputs and outputs. Data nobody on this project wrote, to check the core against.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseModel, type OnnxGraph } from '../../src/onnx/graph';
import { decodeTensorProto } from '../../src/onnx/schema';
import { ConstTensor, DataType, dataTypeName, tensorFromProto } from '../../src/onnx/tensor';

/** Where Debian puts the node tests; ONNX_NODE_TESTS overrides it (a checkout's onnx/backend/test/data/node). */
export const defaultSuiteDir = '/usr/share/libonnx-testdata/data/node';

export interface DataSet {
  /** By graph input name. */
  readonly inputs: ReadonlyMap<string, ConstTensor>;
  /** By graph output name. */
  readonly outputs: ReadonlyMap<string, ConstTensor>;
}

export interface NodeTest {
  readonly name: string;
  readonly graph: OnnxGraph;
  readonly sets: readonly DataSet[];
}

/** The test folders of the suite, sorted by name. */
export function listTests(dir: string): string[] {
  return fs.readdirSync(dir).filter((t) => fs.existsSync(path.join(dir, t, 'model.onnx'))).sort();
}

/** Types whose tensors the product cannot hold: a test using one is excluded with this reason. */
const unsupported = new Set<number>([0, DataType.STRING, DataType.COMPLEX64, DataType.COMPLEX128]);

const randomDropout = 'training-mode Dropout draws a random mask (numpy\'s generator in ONNX\'s data): not a constant, so not folded';

const truncatedBfloat16 = 'ONNX 1.12\'s expected bfloat16 values truncate the float32 bits; Cast rounds to nearest even, as our kernel and onnxruntime 1.30 do';

/** Tests whose expected outputs a correct implementation does not reproduce. */
const excludedTests: Record<string, string> = {
  test_cast_FLOAT_to_BFLOAT16: truncatedBfloat16,
  test_castlike_FLOAT_to_BFLOAT16: truncatedBfloat16,
  test_castlike_FLOAT_to_BFLOAT16_expanded: truncatedBfloat16,
  test_training_dropout: randomDropout,
  test_training_dropout_default: randomDropout,
  test_training_dropout_default_mask: randomDropout,
  test_training_dropout_mask: randomDropout,
};

/** Why the test is left out (outputs not reproducible; sequences, optionals, strings), or undefined. */
export function exclusion(name: string, graph: OnnxGraph): string | undefined {
  if (excludedTests[name]) return excludedTests[name];
  for (const v of [...graph.inputs, ...graph.outputs]) {
    if (v.dims === undefined && v.elemType === 0) return `'${v.name}' is a sequence or optional value, not a tensor: the product never sees one`;
    if (unsupported.has(v.elemType)) return `'${v.name}' is a ${dataTypeName(v.elemType)} tensor: a type the product never sees`;
  }
  return undefined;
}

/**
 * A test tensor as the graph declares it: numpy has no bfloat16, so ONNX stores bfloat16 data as uint16 bit
 * patterns; those are read back as bfloat16 values.
 */
function readTensor(file: string, declared: number | undefined): ConstTensor {
  const t = tensorFromProto(decodeTensorProto(fs.readFileSync(file)));
  if (declared !== DataType.BFLOAT16 || t.dataType !== DataType.UINT16) return t;
  const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
  return new ConstTensor(t.name, DataType.BFLOAT16, t.dims, () => Float32Array.from(t.data, (h) => ((u32[0] = h << 16), f32[0])));
}

function numbered(dir: string, prefix: string): string[] {
  return fs.readdirSync(dir).filter((f) => f.startsWith(prefix) && f.endsWith('.pb')).sort((a, b) => parseInt(a.slice(prefix.length)) - parseInt(b.slice(prefix.length)));
}

export function loadTest(dir: string, name: string): NodeTest {
  const folder = path.join(dir, name);
  const graph = parseModel(fs.readFileSync(path.join(folder, 'model.onnx')));
  if (exclusion(name, graph)) return { name, graph, sets: [] };
  const sets = fs.readdirSync(folder).filter((d) => d.startsWith('test_data_set_')).sort().map((d): DataSet => {
    const setDir = path.join(folder, d);
    const ins = numbered(setDir, 'input_').map((f, i) => readTensor(path.join(setDir, f), graph.inputs[i]?.elemType));
    const outs = numbered(setDir, 'output_').map((f, i) => readTensor(path.join(setDir, f), graph.outputs[i]?.elemType));
    return {
      inputs: new Map(graph.inputs.map((v, i) => [v.name, ins[i]] as const).filter(([, t]) => t !== undefined)),
      outputs: new Map(graph.outputs.map((v, i) => [v.name, outs[i]] as const).filter(([, t]) => t !== undefined)),
    };
  });
  return { name, graph, sets };
}
