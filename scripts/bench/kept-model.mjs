// What the scripts of scripts/bench share (after npm run compile-tests): a model named on the command line, the
// tensors the walk keeps on it, a random feed of its input's shape, and the session options of the sessions that
// explain.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const out = path.join(import.meta.dirname, '..', '..', 'out', 'src');
const ort = require('onnxruntime-node');
const { loadModelFile, externalDataFolder } = require(path.join(out, 'onnx', 'load.js'));
const { planExposure } = require(path.join(out, 'unravel', 'plan.js'));
const { defaultOps } = require(path.join(out, 'unravel', 'ops.js'));
const { fixturePath } = require(path.join(out, 'fixtures', 'index.js'));

/** The file of MODEL: a path, a name in test-fixtures/real/models, or a zoo name (resnet50-op17: the zoo's cache). */
export function modelPath(name) {
  if (!name) throw new Error('name a model: one of test-fixtures/real/models (e.g. mobilenetv2-12-dequantized-fp32), of the zoo (resnet50-op17) or a path');
  if (name.endsWith('.onnx')) return name;
  try {
    return fixturePath(`models/${name}.onnx`);
  } catch {
    // not a shipped model: the zoo's
  }
  const zoo = spawnSync(process.execPath, [path.join(import.meta.dirname, '..', 'zoo-fixtures.mjs'), '--check'], { encoding: 'utf8' }).stdout.trim();
  return path.join(zoo, `${name}.onnx`);
}

/**
 * MODEL (see `modelPath`) loaded with its exposure plan, a feed of random values of its first input's shape (dynamic
 * dims 1), and its output names.
 */
export function keptModel(name) {
  const file = modelPath(name);
  const model = loadModelFile(file);
  const { graph } = model;
  const plan = planExposure(graph, defaultOps);
  const input = graph.inputs[0];
  const dims = input.dims.map((d) => (typeof d === 'number' ? d : 1));
  const n = dims.reduce((a, b) => a * b, 1);
  const bytes = input.elemType === 2;
  const data = bytes ? Uint8Array.from({ length: n }, () => Math.random() * 255) : Float32Array.from({ length: n }, () => Math.random() * 2 - 1);
  const feed = { [input.name]: new ort.Tensor(bytes ? 'uint8' : 'float32', data, dims) };
  return { file, model, graph, plan, feed, outputs: graph.outputs.map((o) => o.name) };
}

/**
 * The options of the sessions that explain (src/runtime/session.ts): all optimizations, threads that do not spin
 * after a run (with several sessions in one process, the spinning threads of the one that just ran slowed the next
 * one's forward), the weights found beside the model file; `extra` adds session options.
 */
export function explainingOptions(model, extra = {}) {
  return {
    graphOptimizationLevel: 'all',
    ...extra,
    extra: { session: { intra_op: { allow_spinning: '0' }, model_external_initializers_file_folder_path: externalDataFolder(model) } },
  };
}
