// Finding the model for an image and the image for a model: the setting, else the last one used in this
// workspace, else a quick pick of the workspace's files, else an open dialog.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { imageExtensions } from '../preprocess/formats';
import { ModelSettingMissing } from './errors';
import { modelSetting } from './settings';

const LAST_MODEL = 'cnnFixations.lastModel';
const LAST_IMAGE = 'cnnFixations.lastImage';

export const isModelPath = (p: string): boolean => /\.onnx$/i.test(p);
export const isImagePath = (p: string): boolean => new RegExp(`\\.(${imageExtensions.join('|')})$`, 'i').test(p);

/** Raised when the user dismisses a picker: nothing to explain, nothing to report. */
export class PickCancelled extends Error {}

interface FileKind {
  readonly noun: string;
  readonly glob: string;
  readonly filters: Record<string, string[]>;
}
const modelKind: FileKind = { noun: 'ONNX model', glob: '**/*.onnx', filters: { 'ONNX models': ['onnx'] } };
const imageKind: FileKind = {
  noun: 'image',
  glob: `**/*.{${imageExtensions.join(',')},${imageExtensions.map((e) => e.toUpperCase()).join(',')}}`,
  filters: { Images: [...imageExtensions] },
};

async function openDialog(kind: FileKind): Promise<string> {
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: `Use this ${kind.noun}`,
    title: `CNN Fixations: choose an ${kind.noun}`,
    filters: kind.filters,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  if (!picked?.length) throw new PickCancelled();
  return picked[0].fsPath;
}

/** A quick pick of the workspace's files of this kind, with "Browse…" last; an open dialog when there are none. */
async function pickFile(kind: FileKind, recent: string | undefined): Promise<string> {
  const found = await vscode.workspace.findFiles(kind.glob, '**/node_modules/**', 500);
  if (!found.length) return openDialog(kind);
  const files = found.map((u) => u.fsPath).sort((a, b) => Number(b === recent) - Number(a === recent) || a.localeCompare(b));
  type Item = vscode.QuickPickItem & { readonly file?: string };
  const items = files.map((file): Item => ({
    label: path.basename(file),
    description: vscode.workspace.asRelativePath(file),
    detail: file === recent ? 'last used' : undefined,
    file,
  }));
  const browse: Item = { label: '$(folder-opened) Browse…', alwaysShow: true };
  const choice = await vscode.window.showQuickPick([...items, browse], {
    title: `CNN Fixations: choose an ${kind.noun}`,
    placeHolder: `the ${kind.noun} to use`,
    matchOnDescription: true,
  });
  if (!choice) throw new PickCancelled();
  return choice.file ?? openDialog(kind);
}

export class Pickers {
  constructor(private readonly state: vscode.Memento) {}

  /** The model for `image`: setting → last used here → quick pick → dialog. `ask` skips straight to the pick. */
  async model(image: vscode.Uri | undefined, ask = false): Promise<string> {
    if (!ask) {
      const setting = modelSetting(image);
      if (setting) {
        if (!fs.existsSync(setting)) throw new ModelSettingMissing(setting);
        return setting;
      }
      const last = this.state.get<string>(LAST_MODEL);
      if (last && fs.existsSync(last)) return last;
    }
    const chosen = await pickFile(modelKind, this.state.get<string>(LAST_MODEL));
    await this.rememberModel(chosen);
    return chosen;
  }

  /** The image to explain with a model: a quick pick of the workspace's images, else a dialog. */
  async image(): Promise<string> {
    const chosen = await pickFile(imageKind, this.state.get<string>(LAST_IMAGE));
    await this.state.update(LAST_IMAGE, chosen);
    return chosen;
  }

  rememberModel(model: string): Thenable<void> {
    return this.state.update(LAST_MODEL, model);
  }

  rememberImage(image: string): Thenable<void> {
    return this.state.update(LAST_IMAGE, image);
  }
}
