// An inspection run for the panel's per-layer drill-down: the forward pass keeps only what the walk reads,
// so a tensor the user asks to see may be missing. This runs the same input once more through a session
// that exposes every tensor on the walk's path, then releases the session. Made only when asked.
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { sessionBytes } from '../onnx/load';
import type { Values } from '../onnx/tensor';
import type { Shape } from '../unravel/tensor';
import { runForward, sessionOptions, RuntimeError, type Feed, type OpenModel } from './session';

export async function runExposingPath(open: OpenModel, feed: Feed): Promise<ReadonlyMap<string, { readonly dims: Shape; readonly data: Values }>> {
  const { graph } = open.model;
  const skip = new Set([...graph.inputs.map((i) => i.name), ...graph.outputs.map((o) => o.name)]);
  const names: string[] = [];
  for (const i of open.plan.onPath) {
    for (const o of graph.nodes[i].outputs) if (o && !skip.has(o) && !graph.constants.has(o)) names.push(o);
  }
  const file = open.model.path;
  const stat = fs.statSync(file);
  if (stat.size !== open.model.fileSize || stat.mtimeMs !== open.model.mtimeMs) {
    throw new RuntimeError(`${file} changed on disk since it was explained; explain it again`);
  }
  const bytes = sessionBytes(open.model, names);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, await sessionOptions(open.model));
  } catch (e) {
    throw new RuntimeError(`onnxruntime cannot expose the intermediate tensors: ${(e as Error).message?.split('\n')[0]}`);
  }
  try {
    const forward = await runForward({ ...open, session, outputNames: names, finite: undefined }, feed);
    return forward.values;
  } finally {
    await session.release();
  }
}
