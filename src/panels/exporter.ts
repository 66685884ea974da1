// Saving what the panel shows: the overlay PNG (with the panel's toggles and opacity), the JSON contract,
// or the self-contained HTML report. The user picks the file in a save dialog.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Explainer, Explanation } from '../explain';
import { encodePng, renderOverlayPng } from '../heatmap/render';
import { renderHtmlReport } from '../report/html';
import type { ExportMessage } from '../shared/protocol';

export type SaveDialog = (options: vscode.SaveDialogOptions) => Thenable<vscode.Uri | undefined>;

const filters: Record<ExportMessage['kind'], Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  json: { 'JSON (CNN Fixations result)': ['json'] },
  html: { 'HTML report': ['html'] },
};

/** `eagle.jpg` + class 22 "bald eagle, American eagle, …" → `eagle.class22-bald-eagle.cnn-fixations.png` beside the image. */
export function defaultExportPath(imagePath: string, x: Explanation, kind: ExportMessage['kind']): string {
  const base = path.basename(imagePath).replace(/\.[^.]+$/, '');
  const label = x.json.target.label.split(',')[0].replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return path.join(path.dirname(imagePath), `${base}.class${x.json.target.index}${label ? `-${label}` : ''}.cnn-fixations.${kind}`);
}

/** Asks where to save, writes the file, and returns its path (undefined when the dialog was dismissed). */
export async function exportExplanation(m: ExportMessage, e: Explainer, x: Explanation, imagePath: string, save: SaveDialog): Promise<string | undefined> {
  const target = await save({
    title: `CNN Fixations: save the ${m.kind.toUpperCase()}`,
    defaultUri: vscode.Uri.file(defaultExportPath(imagePath, x, m.kind)),
    filters: filters[m.kind],
    saveLabel: 'Save',
  });
  if (!target) return undefined;
  let data: string | Buffer;
  if (m.kind === 'json') {
    data = JSON.stringify(x.json, null, 1) + '\n';
  } else {
    const overlay = await renderOverlayPng(e.picture, x.heat, x.keptPoints, x.box, m.overlay);
    data = m.kind === 'png' ? overlay : renderHtmlReport(x.json, overlay, await encodePng(e.picture.width, e.picture.height, e.picture.rgba));
  }
  await fs.writeFile(target.fsPath, data);
  return target.fsPath;
}
