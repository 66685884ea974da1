// Any failure → the panel's ErrorMessage: a title, the message, the offending node when there is one, and
// a hint of what to do. Failures of the pipeline come from the engine already as data (src/engine/failure.ts
// classifies the core's errors); this adds the host's own: settings, messages, the engine's death, Cancel.
// No vscode here: the panel's controller, which runs in the browser tests too, maps its errors with it.
import { EngineError, EngineFailed, EngineOutOfMemory, EngineUnavailable, StaleHandle } from '../engine/client';
import type { ErrorMessage } from '../shared/protocol';
import { options, SECTION } from '../shared/settings';
import { unexpected } from '../shared/unexpected';
import { InvalidMessage } from './messages';

/** The user stopped the work (progress notification's Cancel). */
export class Cancelled extends Error {
  constructor(message = 'the explanation was cancelled') {
    super(message);
  }
}

/** The panel closed: work of it still queued or in flight then is dropped (nothing is opened or kept in the engine for it). */
export class PanelClosed extends Cancelled {
  constructor() {
    super('the panel was closed');
  }
}

/** A run took longer than the time limit (setting cnnFixations.timeLimitSeconds) and was stopped. */
export class TimedOut extends Error {
  constructor(readonly seconds: number) {
    super(`the explanation took longer than the time limit of ${seconds} s and was stopped`);
  }
}

/** A setting whose value cannot be used: the message names the setting and what to put there. */
export class SettingError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/** `cnnFixations.model` names a file that is not there. */
export class ModelSettingMissing extends Error {
  constructor(readonly file: string) {
    super(`the setting ${SECTION}.model points to ${file}, which does not exist; fix the setting or clear it to pick a model`);
  }
}

export function errorMessage(e: unknown): ErrorMessage {
  if (e instanceof EngineFailed) {
    const f = e.failure;
    return {
      type: 'error',
      title: f.title,
      message: f.message,
      ...(f.node !== undefined ? { node: f.node } : {}),
      ...(f.hint !== undefined ? { hint: f.hint } : {}),
    };
  }
  if (e instanceof EngineUnavailable) return { type: 'error', title: 'Not available on this machine', message: e.message };
  if (e instanceof EngineOutOfMemory) {
    return {
      type: 'error',
      title: 'The explanation engine ran out of memory',
      message: e.message,
      hint: `Press Rerun to try again in a new engine. Close other panels (each holds its explanation), use a smaller image or model, or lower ${SECTION}.${options.memoryLimit.setting} so that runs too large are refused before they start.`,
    };
  }
  if (e instanceof EngineError) {
    return {
      type: 'error',
      title: 'The explanation engine stopped',
      message: e.message,
      hint: 'Press Rerun to explain again (in a new engine process). If it keeps stopping, see the "CNN Fixations" output channel.',
    };
  }
  if (e instanceof StaleHandle) return { type: 'error', title: 'Explanation gone', message: e.message, hint: 'Press Rerun to explain again.' };
  if (e instanceof ModelSettingMissing) {
    return { type: 'error', title: 'Model not found', message: e.message, hint: `Set ${SECTION}.model to an existing .onnx file, or clear it to pick one.` };
  }
  if (e instanceof SettingError) {
    return { type: 'error', title: 'Invalid setting', message: e.message, hint: `Fix ${e.setting} in the settings, then explain again.` };
  }
  if (e instanceof TimedOut) {
    return {
      type: 'error',
      title: 'Time limit reached',
      message: e.message,
      hint: `Press Rerun to try again, raise the setting ${SECTION}.${options.timeLimit.setting} (0: no limit), or use a smaller model or image.`,
    };
  }
  if (e instanceof Cancelled)
    return { type: 'error', title: 'Cancelled', message: e.message, hint: 'Press Rerun (or run "Explain with CNN Fixations" again) to start over.' };
  if (e instanceof InvalidMessage)
    return { type: 'error', title: 'Invalid request from the panel', message: e.message, hint: 'Reload the panel (Developer: Reload Webviews).' };
  if (e instanceof RangeError) return { type: 'error', title: 'Out of range', message: e.message };
  return { type: 'error', ...unexpected(e) };
}
