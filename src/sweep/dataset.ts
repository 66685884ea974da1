// The images of a sweep and the class each is expected to be, from the layout the ecosystem uses
// (torchvision's ImageFolder: one sub-folder per class, images directly in the folder unlabelled) or from a
// CSV manifest (path,label). A folder name or label is a class index, a label name or any of its
// comma-separated synonyms, or an index prefix (`144_pelican`). Everything is resolved before any image is
// explained: every name that matches no class is reported at once, each with the nearest labels.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { resolveClass } from '../labels';
import { imageExtensions } from '../preprocess/formats';
import type { ClassRef } from './record';

/** One image to explain. */
export interface SweepItem {
  /** Relative to the swept folder, '/' separated: the image's name in the results. */
  readonly rel: string;
  readonly file: string;
  readonly expected: ClassRef | null;
}

/** The folder or manifest cannot be used as given: the message lists every problem. */
export class DatasetError extends Error {}

const isImage = (name: string) => imageExtensions.some((e) => name.toLowerCase().endsWith(`.${e}`));
const posix = (rel: string) => rel.split(path.sep).join('/');

/** The class names as folder names can spell them: a label's '/' (T-shirt/top) cannot be in a folder name, so it reads as a space. */
const folderSpellings = (labels: readonly string[]) => labels.map((l) => l.replace(/\//g, ' '));

/** Every image file under `dir` (hidden files and folders aside), as paths relative to it, sorted. */
function imagesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, sub), { withFileTypes: true });
    } catch (e) {
      throw new DatasetError(`cannot read the folder ${path.join(dir, sub)}: ${(e as Error).message}`);
    }
    for (const d of entries) {
      if (d.name.startsWith('.')) continue;
      const rel = path.join(sub, d.name);
      const isDir = d.isDirectory() || (d.isSymbolicLink() && fs.statSync(path.join(dir, rel), { throwIfNoEntry: false })?.isDirectory());
      if (isDir) walk(rel);
      else if (isImage(d.name)) out.push(posix(rel));
    }
  };
  walk('');
  return out.sort();
}

/**
 * The class a name stands for: an index ("3"), an index prefix ("144_pelican", "3-dress"), or a label name or
 * synonym. An index prefix wins, unless the rest names another class exactly (a contradiction). Throws a
 * RangeError that says why, listing the nearest labels for an unknown name.
 */
export function classNamed(name: string, labels: readonly string[] | undefined, classCount: number, what: string): number {
  const prefix = /^(\d+)[_\-\s.]+(.+)$/.exec(name.trim());
  if (!prefix) return named(name, labels, classCount, what);
  const k = resolveClass(prefix[1], labels, classCount, what);
  if (labels) {
    let other: number | undefined;
    try {
      other = named(prefix[2], labels, classCount, what);
    } catch {
      other = undefined; // the rest is a free name ("0_tshirts"): the index decides
    }
    if (other !== undefined && other !== k) {
      throw new RangeError(
        `${what} starts with class ${k} (${labels[k].split(',')[0].trim()}) but names class ${other} (${labels[other].split(',')[0].trim()})`,
      );
    }
  }
  return k;
}

/** A class by its name as written (T-shirt/top), or as a folder name can spell it (T-shirt_top); the error is the name's as written. */
function named(name: string, labels: readonly string[] | undefined, classCount: number, what: string): number {
  try {
    return resolveClass(name, labels, classCount, what);
  } catch (e) {
    if (!labels) throw e;
    try {
      return resolveClass(name, folderSpellings(labels), classCount, what);
    } catch {
      throw e;
    }
  }
}

const ref = (k: number, labels: readonly string[] | undefined): ClassRef => ({ index: k, label: labels?.[k] ?? String(k) });

/** The images of an ImageFolder tree: sub-folder = class, images directly in `dir` unlabelled. */
export function imageFolderItems(dir: string, labels: readonly string[] | undefined, classCount: number): SweepItem[] {
  const rels = imagesUnder(dir);
  const classes = new Map<string, number>();
  const problems: string[] = [];
  for (const folder of new Set(rels.filter((r) => r.includes('/')).map((r) => r.split('/')[0]))) {
    try {
      classes.set(folder, classNamed(folder, labels, classCount, `folder '${folder}'`));
    } catch (e) {
      problems.push((e as Error).message);
    }
  }
  if (problems.length)
    throw new DatasetError(`${problems.length} class folder(s) of ${dir} match no class of the model:\n  ${problems.join('\n  ')}${labelsHint(labels)}`);
  return rels.map((rel) => {
    const folder = rel.includes('/') ? rel.split('/')[0] : undefined;
    return { rel, file: path.join(dir, rel), expected: folder === undefined ? null : ref(classes.get(folder)!, labels) };
  });
}

const labelsHint = (labels: readonly string[] | undefined) =>
  labels ? '' : '\n  (the model has no class names: name folders by index, e.g. 3 or 3_dress, or give --labels FILE)';

/** The fields of one CSV row (RFC 4180 quoting: "a,b" and "" inside quotes). */
export function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '',
    quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      out.push(field);
      field = '';
    } else field += c;
  }
  return [...out, field];
}

/** The images a CSV manifest lists (path,label; paths relative to `dir` or absolute; an empty label: unlabelled), in its order. */
export function manifestItems(manifest: string, dir: string, labels: readonly string[] | undefined, classCount: number): SweepItem[] {
  let text: string;
  try {
    text = fs.readFileSync(manifest, 'utf8');
  } catch {
    throw new DatasetError(`manifest not found: ${manifest}`);
  }
  const items: SweepItem[] = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const [p = '', label = '', ...extra] = csvFields(line).map((f) => f.trim());
    if (i === 0 && p.toLowerCase() === 'path' && label.toLowerCase() === 'label') return; // the header
    const where = `${path.basename(manifest)} line ${i + 1}`;
    if (!p || extra.some((f) => f)) return void problems.push(`${where}: expected "path,label", got ${JSON.stringify(line)}`);
    const file = path.resolve(dir, p);
    const rel = posix(path.relative(dir, file));
    if (seen.has(rel)) return void problems.push(`${where}: ${p} is listed already on line ${seen.get(rel)}`);
    seen.set(rel, i + 1);
    if (!label) return void items.push({ rel, file, expected: null });
    try {
      items.push({ rel, file, expected: ref(classNamed(label, labels, classCount, `${where}: label '${label}'`), labels) });
    } catch (e) {
      problems.push((e as Error).message);
    }
  });
  if (problems.length) {
    const shown = problems.slice(0, 20).join('\n  ') + (problems.length > 20 ? `\n  … and ${problems.length - 20} more` : '');
    throw new DatasetError(`${problems.length} problem(s) in the manifest ${manifest}:\n  ${shown}${labelsHint(labels)}`);
  }
  return items;
}
