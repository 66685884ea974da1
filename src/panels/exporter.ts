// Saving what the panel shows: the overlay PNG (with the panel's toggles and opacity), the JSON contract,
// or the self-contained HTML report. The user picks the file in a save dialog; the engine renders the
// bytes (rendering needs the decoded image and the heat map, which live there); the host writes them.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExportResponse } from '../engine/protocol';
import type { ExportMessage } from '../shared/protocol';
import type { ExplanationJson } from '../shared/result';

export type SaveDialog = (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;

const filters: Record<ExportMessage['kind'], Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  json: { 'JSON (CNN Fixations result)': ['json'] },
  html: { 'HTML report': ['html'] },
};

/** `eagle.jpg` + class 22 "bald eagle, American eagle, …" → `eagle.class22-bald-eagle.cnn-fixations.png` beside the image. */
export function defaultExportPath(imagePath: string, result: ExplanationJson, kind: ExportMessage['kind']): string {
  const base = path.basename(imagePath).replace(/\.[^.]+$/, '');
  const label = result.target.label.split(',')[0].replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return path.join(path.dirname(imagePath), `${base}.class${result.target.index}${label ? `-${label}` : ''}.cnn-fixations.${kind}`);
}

/**
 * Asks where to save, has `render` make the bytes, writes the file and returns its path (undefined when the
 * dialog was dismissed: then nothing is rendered).
 */
export async function exportExplanation(
  m: ExportMessage,
  result: ExplanationJson,
  imagePath: string,
  save: SaveDialog,
  render: () => Promise<ExportResponse>,
): Promise<string | undefined> {
  const target = await save({
    title: `CNN Fixations: save the ${m.kind.toUpperCase()}`,
    defaultUri: vscode.Uri.file(defaultExportPath(imagePath, result, m.kind)),
    filters: filters[m.kind],
    saveLabel: 'Save',
  });
  if (!target) return undefined;
  const { data } = await render();
  await fs.writeFile(target.fsPath, data);
  return target.fsPath;
}
