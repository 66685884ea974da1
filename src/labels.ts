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
