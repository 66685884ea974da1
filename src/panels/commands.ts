// The commands behind the menus and the palette. Each finds a model and image(s), opens a panel per image
// and explains it; each returns the panels' summaries. No command throws: failures land in the panel or,
// before there is one, in a notification.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { assetsDir } from '../labels';
import { SECTION } from '../shared/settings';
import type { ExplainSummary } from './controller';
import { ExplainPanel, type Services } from './panel';
import { ModelSettingMissing } from './errors';
import { isImagePath, isModelPath, PickCancelled, type Pickers } from './pickers';
import type { Sweeper } from './sweep-command';

export const COMMANDS = {
  explain: 'cnnFixations.explain',
  explainImage: 'cnnFixations.explainImage',
  selectModel: 'cnnFixations.selectModel',
  explainDemo: 'cnnFixations.explainDemo',
  showLog: 'cnnFixations.showLog',
  findMisclassifications: 'cnnFixations.findMisclassifications',
} as const;

/** The image open in VS Code's image preview, when the palette (not a menu) runs "Explain". */
function activeImagePreview(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && isImagePath(input.uri.fsPath) ? input.uri : undefined;
}

/** Explains each image with the model, one after the other (they share two cores and one session). */
async function explainAll(services: Services, pickers: Pickers | undefined, modelPath: string, images: readonly string[]): Promise<ExplainSummary[]> {
  await pickers?.rememberModel(modelPath);
  await pickers?.rememberImage(images[images.length - 1]);
  // Asked from an open image preview: the explanation goes beside it.
  const preview = activeImagePreview()?.fsPath;
  const out: ExplainSummary[] = [];
  for (const imagePath of images) {
    const column = images.length === 1 && imagePath === preview ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active;
    out.push(await ExplainPanel.createOrShow(services, { modelPath, imagePath }, column).run());
  }
  return out;
}

/** Menu and editor-title entry: images (with the model found for them), a model (asking for an image), or both selected. */
async function explainResources(
  services: Services,
  pickers: Pickers,
  uri: vscode.Uri | undefined,
  uris: readonly vscode.Uri[] | undefined,
): Promise<ExplainSummary[]> {
  const chosen = uris?.length ? uris : uri ? [uri] : [activeImagePreview()].filter((u) => u !== undefined);
  if (!chosen.length) return explainImage(services, pickers);
  const remote = chosen.find((u) => u.scheme !== 'file');
  if (remote) throw new UserError(`${remote.toString()} is not a file on disk; CNN Fixations reads models and images from disk.`);
  const models = chosen.filter((u) => isModelPath(u.fsPath)).map((u) => u.fsPath);
  const images = chosen.filter((u) => isImagePath(u.fsPath)).map((u) => u.fsPath);
  const other = chosen.filter((u) => !isModelPath(u.fsPath) && !isImagePath(u.fsPath));
  if (other.length)
    void vscode.window.showWarningMessage(`CNN Fixations explains images with .onnx models; skipping ${other.map((u) => path.basename(u.fsPath)).join(', ')}.`);
  if (models.length > 1) throw new UserError('Select one .onnx model (with or without images) to explain.');
  if (models.length === 1) return explainAll(services, pickers, models[0], images.length ? images : [await pickers.image()]);
  if (!images.length) return [];
  return explainAll(services, pickers, await pickers.model(vscode.Uri.file(images[0])), images);
}

async function explainImage(services: Services, pickers: Pickers): Promise<ExplainSummary[]> {
  const image = await pickers.image();
  return explainAll(services, pickers, await pickers.model(vscode.Uri.file(image)), [image]);
}

async function selectModel(pickers: Pickers): Promise<string> {
  const model = await pickers.model(undefined, true);
  const setting = vscode.workspace.getConfiguration(SECTION).get<string>('model', '');
  const note = setting ? ` Note: the setting ${SECTION}.model (${setting}) still takes precedence.` : '';
  void vscode.window.showInformationMessage(`CNN Fixations will explain images with ${path.basename(model)}.${note}`);
  return model;
}

/** The shipped demo; not remembered as the workspace's model. */
async function explainDemo(services: Services): Promise<ExplainSummary[]> {
  const demo = assetsDir();
  return explainAll(services, undefined, path.join(demo, 'mobilenetv2-12-int8.onnx'), [path.join(demo, 'pelican.jpeg')]);
}

/** A problem with what the user asked for: shown as is. */
class UserError extends Error {}

/** Runs a command body; whatever goes wrong becomes a notification, never an exception in the host. */
function guarded<A extends unknown[], R>(services: Services, name: string, body: (...args: A) => Promise<R>): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await body(...args);
    } catch (e) {
      if (e instanceof PickCancelled) return undefined;
      if (e instanceof ModelSettingMissing) {
        const open = 'Open Settings';
        void vscode.window
          .showErrorMessage(`CNN Fixations: ${e.message}`, open)
          .then((a) => a === open && vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.model`));
        return undefined;
      }
      if (!(e instanceof UserError)) services.log.error(`${name} failed: ${(e as Error)?.stack ?? String(e)}`);
      void vscode.window.showErrorMessage(`CNN Fixations: ${(e as Error)?.message ?? String(e)}`);
      return undefined;
    }
  };
}

export function registerCommands(services: Services, pickers: Pickers, sweeper: Sweeper): vscode.Disposable[] {
  const reg = <A extends unknown[], R>(id: string, body: (...args: A) => Promise<R>) => vscode.commands.registerCommand(id, guarded(services, id, body));
  return [
    reg(COMMANDS.explain, (uri?: vscode.Uri, uris?: vscode.Uri[]) =>
      explainResources(services, pickers, uri instanceof vscode.Uri ? uri : undefined, Array.isArray(uris) ? uris : undefined),
    ),
    reg(COMMANDS.explainImage, () => explainImage(services, pickers)),
    reg(COMMANDS.selectModel, () => selectModel(pickers)),
    reg(COMMANDS.explainDemo, () => explainDemo(services)),
    reg(COMMANDS.showLog, async () => services.log.show()),
    reg(COMMANDS.findMisclassifications, (uri?: vscode.Uri) => sweeper.run(uri instanceof vscode.Uri ? uri : undefined)),
  ];
}
