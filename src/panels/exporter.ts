// Where an export goes by default, and what the save dialog offers for it: the overlay PNG (with the
// panel's toggles and opacity), the JSON contract, or the self-contained HTML report. The engine renders
// the bytes (they need the decoded image and the heat map, which live there); the controller writes them.
import * as path from 'node:path';
import type { ExportKind } from '../shared/protocol';
import type { ExplanationJson } from '../shared/result';

/** The save dialog's file types per export. */
export const exportFilters: Record<ExportKind, Record<string, string[]>> = {
  png: { 'PNG image': ['png'] },
  json: { 'JSON (CNN Fixations result)': ['json'] },
  html: { 'HTML report': ['html'] },
};

/** `eagle.jpg` + class 22 "bald eagle, American eagle, …" → `eagle.class22-bald-eagle.cnn-fixations.png` beside the image. */
export function defaultExportPath(imagePath: string, result: ExplanationJson, kind: ExportKind): string {
  const base = path.basename(imagePath).replace(/\.[^.]+$/, '');
  const label = result.target.label
    .split(',')[0]
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 40);
  return path.join(path.dirname(imagePath), `${base}.class${result.target.index}${label ? `-${label}` : ''}.cnn-fixations.${kind}`);
}
