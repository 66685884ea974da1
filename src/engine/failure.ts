// A failure inside the engine → data the host can show: a title, the core's message, the offending node
// when there is one, and a hint of what to do. The core's error classes say which stage failed; they stay
// on this side of the process boundary (the host gets plain data).
import { LimitError } from '../limits';
import { ModelFileError } from '../onnx/load';
import { formatNames } from '../preprocess/decode';
import { ImageError } from '../preprocess/image';
import { InputSpecError } from '../preprocess/input-spec';
import { NonFiniteError } from '../runtime/finite';
import { RuntimeError } from '../runtime/session';
import { unexpected } from '../shared/unexpected';
import { UnsupportedError } from '../unravel/types';
import { UnravelError } from '../unravel/walk';
import type { EngineFailure } from './protocol';

/** The host asked about an explanation the engine does not hold (it restarted, or the panel was released). */
export class NoHandle extends Error {
  constructor(readonly handle: number) {
    super(`the engine holds no explanation ${handle}; open it again`);
  }
}

/** A request the engine does not allow (e.g. the test-only crash outside tests). */
export class Refused extends Error {}

export function toFailure(e: unknown): EngineFailure {
  if (e instanceof UnsupportedError) {
    const path = e.path.length ? ` Path from the output: ${e.path.join(' ← ')}.` : '';
    return {
      kind: 'unsupported',
      title: `Cannot explain through ${e.opType}`,
      message: `${e.detail}.${path}`,
      node: e.nodeName,
      hint: `The walk has no rule for this node. Export the model with supported operators (Conv, Gemm/MatMul, pooling, Add, Concat, element-wise activations, their quantized forms) or report the op type with the model.`,
      unsupported: { opType: e.opType, nodeName: e.nodeName, detail: e.detail, path: [...e.path] },
    };
  }
  if (e instanceof ModelFileError) {
    return {
      kind: 'model-file',
      title: 'Cannot load the model',
      message: e.message,
      hint: 'Check that the file is a complete ONNX model (re-export it, or open it in onnxruntime or Netron). The panel explains again when the file changes.',
    };
  }
  if (e instanceof RuntimeError) {
    return {
      kind: 'runtime',
      title: 'onnxruntime failed',
      message: e.message,
      hint: 'Check the input size and preprocessing preset (setting cnnFixations.preset) against what the model expects.',
    };
  }
  if (e instanceof ImageError) {
    return { kind: 'image', title: 'Cannot read the image', message: e.message, hint: `Use an image file: ${formatNames}.` };
  }
  if (e instanceof LimitError) return { kind: 'limit', title: 'Too large to explain', message: e.message };
  if (e instanceof NonFiniteError) return { kind: 'non-finite', title: 'The model computes NaN or Inf', message: e.message };
  if (e instanceof InputSpecError) {
    return {
      kind: 'input-spec',
      title: 'Not an image classifier input',
      message: e.message,
      hint: 'CNN Fixations explains models with one image input (N×C×H×W or N×H×W×C) and a class-score output.',
    };
  }
  if (e instanceof UnravelError) {
    return {
      kind: 'unravel',
      title: 'The walk failed',
      message: e.message,
      hint: 'Try another conv or flatten mode in the settings; if it persists, report it with the model.',
    };
  }
  if (e instanceof NoHandle) return { kind: 'no-handle', title: 'Explanation gone', message: e.message, hint: 'Press Rerun to explain it again.' };
  if (e instanceof Refused) return { kind: 'refused', title: 'Request refused', message: e.message };
  if (e instanceof RangeError) return { kind: 'range', title: 'Out of range', message: e.message };
  return { kind: 'unexpected', ...unexpected(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) };
}
