// Class labels: one per line, line i naming class i. ImageNet synset lines ("n01440764 tench, Tinca
// tinca") drop the WordNet id. The ImageNet list ships with the package for 1000-class models.
import * as fs from 'node:fs';
import * as path from 'node:path';

export function parseLabels(text: string): string[] {
  return text
    .split(/\r?\n/)
    .filter((l, i, all) => l.trim() !== '' || i < all.length - 1)
    .map((l) => l.trim().replace(/^n\d{8}\s+/, ''));
}

export function readLabels(file: string): string[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`labels file not found: ${file}`);
  }
  return parseLabels(text);
}

/**
 * What is wrong when a labels list does not have one line per class of the model, or undefined when it does.
 * A shorter list leaves the last classes unnamed (they show as their index); a longer one is often the list of
 * another model (e.g. 1001 lines with a background class for a 1000-class model), so every name may be off by one.
 */
export function labelsMismatch(labelCount: number, classCount: number): string | undefined {
  if (labelCount === classCount) return undefined;
  const what = `the labels file has ${labelCount} line${labelCount === 1 ? '' : 's'} but the model scores ${classCount} class${classCount === 1 ? '' : 'es'}`;
  return labelCount < classCount
    ? `${what}: class${classCount - labelCount === 1 ? ` ${labelCount} is` : `es ${labelCount}–${classCount - 1} are`} shown by index. Check that the labels belong to this model.`
    : `${what}: the names may belong to another model (a background class first shifts every name by one). Check that the labels belong to this model.`;
}

/** The folder of files that ship with the package (demo model, photo, labels, notices). */
export function assetsDir(): string {
  // dist/cli.js and dist/extension.js sit one level below the package root; so do out/src/*.js in tests.
  for (const base of [__dirname, path.join(__dirname, '..'), path.join(__dirname, '..', '..')]) {
    const dir = path.join(base, '..', 'media', 'demo');
    if (fs.existsSync(path.join(dir, 'imagenet_labels.txt'))) return dir;
  }
  throw new Error('the packaged assets (media/demo) are missing; reinstall cnn-fixations');
}

let imagenet: string[] | undefined;
export function imagenetLabels(): string[] {
  imagenet ??= readLabels(path.join(assetsDir(), 'imagenet_labels.txt'));
  return imagenet;
}

/** A label's names: its comma-separated synonyms, lower case, underscores and hyphens read as spaces. */
function namesOf(label: string): string[] {
  return label
    .split(',')
    .map((n) => n.trim().toLowerCase().replace(/[_-]+/g, ' ').replace(/\s+/g, ' '))
    .filter(Boolean);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The labels closest to `text` (a name containing it first, then by edit distance), as "name (index)". */
export function nearestLabels(text: string, labels: readonly string[], n = 5): string[] {
  const q = namesOf(text)[0] ?? '';
  const scored = labels.map((label, index) => {
    const names = namesOf(label);
    const contains = names.some((m) => m.includes(q) || (m.length >= 3 && q.includes(m)));
    const distance = Math.min(...names.map((m) => editDistance(q, m)), Infinity);
    return { index, label, score: (contains ? 0 : 1000) + distance };
  });
  return scored
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .slice(0, n)
    .map((s) => `${s.label.split(',')[0].trim()} (${s.index})`);
}

/**
 * A class the user named: its index ("144"), or a label name, any of its comma-separated synonyms, case
 * and underscores aside ("pelican", "Great_white_shark"). An unknown or ambiguous name is an error that lists
 * the nearest labels; `what` names the option in messages.
 */
export function resolveClass(text: string, labels: readonly string[] | undefined, classCount: number, what = 'class'): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) {
    const k = Number(t);
    if (k >= classCount) throw new RangeError(`${what} ${k} is out of range: the model has ${classCount} classes (0–${classCount - 1})`);
    return k;
  }
  if (!labels)
    throw new RangeError(`${what} '${t}' is not a number, and the model's classes have no names: give an index from 0 to ${classCount - 1}, or a labels file`);
  const q = namesOf(t)[0] ?? '';
  const hits = labels.map((l, i) => (namesOf(l).includes(q) ? i : -1)).filter((i) => i >= 0 && i < classCount);
  if (hits.length === 1) return hits[0];
  if (hits.length > 1) {
    throw new RangeError(
      `${what} '${t}' names ${hits.length} classes: ${hits.map((i) => `${labels[i].split(',')[0].trim()} (${i})`).join(', ')}; give the index`,
    );
  }
  throw new RangeError(`no class is named '${t}' (${what}); the nearest labels: ${nearestLabels(t, labels.slice(0, classCount)).join(', ')}`);
}
