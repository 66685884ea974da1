// An inspection run for the panel's per-layer drill-down: the forward pass keeps only what the walk reads,
// so a tensor the user asks to see may be missing. This runs the same input once more through a session
// that exposes every tensor on the walk's path, then releases the session. Made only when asked.
import * as ort from 'onnxruntime-node';
import { encodeExtraOutputs } from '../onnx/schema';
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
  // A fresh copy of the file's bytes: the spare room of model.buffer belongs to the main session.
  const extra = encodeExtraOutputs(names);
  const bytes = new Uint8Array(open.model.fileSize + extra.length);
  bytes.set(open.model.buffer.subarray(0, open.model.fileSize));
  bytes.set(extra, open.model.fileSize);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, await sessionOptions(open.model));
  } catch (e) {
    throw new RuntimeError(`onnxruntime cannot expose the intermediate tensors: ${(e as Error).message?.split('\n')[0]}`);
  }
  try {
    const forward = await runForward({ ...open, session, outputNames: names }, feed);
    return forward.values;
  } finally {
    await session.release();
  }
}
