// Right-click a folder → Find Misclassifications with CNN Fixations: the model (the one chosen for this
// folder before, else found as for an image: setting → last used → pick), then the sweep in the engine
// process (its own worker processes explain the images; the host only waits) with a progress notification
// whose Cancel kills the engine, then the sweep's view. The outputs go to the extension's storage, one
// folder per swept folder, never into the user's folder; a second sweep of the same folder and model
// resumes there (only new or changed images are explained).
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EngineError, EngineFailed } from '../engine/client';
import type { SweptResponse } from '../engine/protocol';
import type { Services } from './panel';
import type { Pickers } from './pickers';
import { runOptions } from './settings';
import { SweepView, type SweepStore } from './sweep-view';

const FOLDER_MODELS = 'cnnFixations.sweepModels';

/** What the command returns (the tests read it): where the outputs went and what they hold, or why there are none. */
export type SweepCommandResult =
  | { readonly status: 'done'; readonly out: string; readonly modelPath: string; readonly images: number; readonly wrong: number; readonly top1: number | null }
  | { readonly status: 'cancelled' };

export class Sweeper implements SweepStore {
  private running: AbortController | undefined;

  constructor(
    private readonly services: Services,
    private readonly pickers: Pickers,
    private readonly state: vscode.Memento,
    /** The extension's storage for sweeps' outputs. */
    private readonly storage: string,
  ) {}

  /** The model for this folder: the one used for it before, else as for an image (setting → last used → pick); remembered for the folder. */
  private async modelFor(folder: vscode.Uri): Promise<string> {
    const chosen = this.state.get<Record<string, string>>(FOLDER_MODELS, {});
    const before = chosen[folder.fsPath];
    const model = before && fs.existsSync(before) ? before : await this.pickers.model(folder);
    await this.state.update(FOLDER_MODELS, { ...chosen, [folder.fsPath]: model });
    await this.pickers.rememberModel(model);
    return model;
  }

  /** Where a folder's outputs go: one folder per swept folder in the extension's storage. */
  outFor(dir: string): string {
    const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
    return path.join(this.storage, 'sweeps', `${path.basename(dir).replace(/[^\w.-]+/g, '_')}-${key}`);
  }

  all(): string[] {
    const root = path.join(this.storage, 'sweeps');
    return fs.existsSync(root) ? fs.readdirSync(root).map((f) => path.join(root, f)) : [];
  }

  async run(folder: vscode.Uri | undefined): Promise<SweepCommandResult | undefined> {
    if (!folder) {
      const picked = await vscode.window.showOpenDialog({
        canSelectFiles: false,
        canSelectFolders: true,
        openLabel: 'Sweep this folder',
        title: 'CNN Fixations: a folder of labelled images',
      });
      if (!picked?.length) return undefined;
      folder = picked[0];
    }
    if (folder.scheme !== 'file') throw new Error(`${folder.toString()} is not a folder on disk; CNN Fixations reads images from disk.`);
    if (!fs.statSync(folder.fsPath, { throwIfNoEntry: false })?.isDirectory()) throw new Error(`${folder.fsPath} is not a folder.`);
    if (this.running) throw new Error('a sweep is already running: cancel it (or wait for it) first.');
    const dir = folder.fsPath;
    const modelPath = await this.modelFor(folder);
    const options = runOptions(folder);
    const out = this.outFor(dir);
    const stop = new AbortController();
    this.running = stop;
    let reply: SweptResponse;
    try {
      reply = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Sweeping ${path.basename(dir)} with ${path.basename(modelPath)}`, cancellable: true },
        async (progress, token) => {
          const sub = token.onCancellationRequested(() => stop.abort(new vscode.CancellationError()));
          try {
            progress.report({ message: 'checking the folder and its labels…' });
            return await this.services.engine.sweep(
              { modelPath, dir, out, options, jobs: 0 },
              { signal: stop.signal, onProgress: (message) => progress.report({ message }) },
            );
          } finally {
            sub.dispose();
          }
        },
      );
    } catch (e) {
      if (stop.signal.aborted) {
        this.services.log.info(`sweep of ${dir}: cancelled (the lines written so far stay in ${out}; sweeping again resumes)`);
        return { status: 'cancelled' };
      }
      // What the engine found wrong (labels, model, folder) says so itself; a stopped engine is told as it is.
      if (e instanceof EngineFailed || e instanceof EngineError) throw new Error(e.message);
      throw e;
    } finally {
      this.running = undefined;
    }
    const s = reply.summary;
    this.services.log.info(`sweep of ${dir}: ${s.counts.images} images, ${s.counts.wrong} wrong, into ${out}`);
    SweepView.show(this.services, { modelPath, dir, out, summary: s, thumbs: reply.thumbs });
    return { status: 'done', out, modelPath, images: s.counts.images, wrong: s.counts.wrong, top1: s.accuracy.top1 };
  }

  /** Does what the notification's Cancel does; false when no sweep runs. */
  cancel(): boolean {
    if (!this.running) return false;
    this.running.abort(new vscode.CancellationError());
    return true;
  }
}
