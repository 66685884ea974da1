// Any failure → the panel's ErrorMessage: a title, the core's message, the offending node when there is
// one, and a hint of what to do. The core's error classes say which stage failed.
import { ModelFileError } from '../onnx/load';
import { ImageError } from '../preprocess/image';
import { InputSpecError } from '../preprocess/input-spec';
import { RuntimeError } from '../runtime/session';
import type { ErrorMessage } from '../shared/protocol';
import { UnsupportedError } from '../unravel/types';
import { UnravelError } from '../unravel/walk';
import { InvalidMessage } from './messages';
import { ModelSettingMissing } from './pickers';
import { SettingError } from './settings';

/** The user stopped the work (progress notification's Cancel). */
export class Cancelled extends Error {
  constructor() {
    super('the explanation was cancelled');
  }
}

const firstLine = (s: string) => s.split('\n')[0];

export function errorMessage(e: unknown): ErrorMessage {
  if (e instanceof UnsupportedError) {
    const path = e.path.length ? ` Path from the output: ${e.path.join(' ← ')}.` : '';
    return {
      type: 'error',
      title: `Cannot explain through ${e.opType}`,
      message: `${e.detail}.${path}`,
      node: e.nodeName,
      hint: `The walk has no rule for this node. Export the model with supported operators (Conv, Gemm/MatMul, pooling, Add, Concat, element-wise activations, their quantized forms) or report the op type with the model.`,
    };
  }
  if (e instanceof ModelSettingMissing) {
    return { type: 'error', title: 'Model not found', message: e.message, hint: 'Set cnnFixations.model to an existing .onnx file, or clear it to pick one.' };
  }
  if (e instanceof SettingError) {
    return { type: 'error', title: 'Invalid setting', message: e.message, hint: `Fix ${e.setting} in the settings, then explain again.` };
  }
  if (e instanceof ModelFileError) {
    return { type: 'error', title: 'Cannot load the model', message: e.message, hint: 'Check that the file is a complete ONNX model (re-export it, or open it in onnxruntime or Netron). The panel explains again when the file changes.' };
  }
  if (e instanceof RuntimeError) {
    return { type: 'error', title: 'onnxruntime failed', message: e.message, hint: 'Check the input size and preprocessing preset (setting cnnFixations.preset) against what the model expects.' };
  }
  if (e instanceof ImageError) {
    return { type: 'error', title: 'Cannot read the image', message: e.message, hint: 'Use a PNG, JPEG, BMP, GIF or TIFF file.' };
  }
  if (e instanceof InputSpecError) {
    return { type: 'error', title: 'Not an image classifier input', message: e.message, hint: 'CNN Fixations explains models with one image input (N×C×H×W or N×H×W×C) and a class-score output.' };
  }
  if (e instanceof UnravelError) {
    return { type: 'error', title: 'The walk failed', message: e.message, hint: 'Try another conv or flatten mode in the settings; if it persists, report it with the model.' };
  }
  if (e instanceof Cancelled) return { type: 'error', title: 'Cancelled', message: e.message, hint: 'Run "Explain with CNN Fixations" again to start over.' };
  if (e instanceof InvalidMessage) return { type: 'error', title: 'Invalid request from the panel', message: e.message, hint: 'Reload the panel (Developer: Reload Webviews).' };
  if (e instanceof RangeError) return { type: 'error', title: 'Out of range', message: e.message };
  const m = e instanceof Error ? e.message : String(e);
  return { type: 'error', title: 'Unexpected error', message: firstLine(m), hint: 'See the "CNN Fixations" output channel for details.' };
}
