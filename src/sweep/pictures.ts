// Where a results folder keeps the listed mistakes' pictures (drawn in thumbnails.ts): pictures/KEY.json, one
// per mistake, named by its path and bytes. Apart from the drawing so that the VS Code host, which restores a
// sweep's view after a reload from these files, does not bundle the image code.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MistakeThumbnails, Thumbnail } from '../report/sweep';
import type { SweepLine } from './record';
import { writeWhole } from './results';
import type { Mistake } from './summary';

/** The folder of a results folder holding the listed mistakes' pictures, one KEY.json each. */
export const PICTURES = 'pictures';

/** The name of a mistake's pictures: of its path and bytes (the same image swept again keeps its name; a changed one gets another). */
export function pictureKey(line: Pick<SweepLine, 'path' | 'sha256'>): string {
  return createHash('sha256')
    .update(`${line.path}\0${line.sha256 ?? ''}`)
    .digest('hex')
    .slice(0, 32);
}

export const pictureFile = (out: string, key: string) => path.join(out, PICTURES, `${key}.json`);

export function writePictures(out: string, line: SweepLine, t: Thumbnail): void {
  fs.mkdirSync(path.join(out, PICTURES), { recursive: true });
  writeWhole(pictureFile(out, pictureKey(line)), JSON.stringify(t));
}

export function readPictures(dirs: readonly string[], key: string): Thumbnail | undefined {
  for (const dir of dirs) {
    try {
      const t = JSON.parse(fs.readFileSync(pictureFile(dir, key), 'utf8')) as Thumbnail;
      if (typeof t?.base === 'string' && typeof t.versus?.marks === 'string') return t;
    } catch {
      // not there (or unreadable): drawn again from the image
    }
  }
  return undefined;
}

/**
 * The listed mistakes' pictures as a results folder keeps them, nothing drawn (the VS Code view restored after a
 * reload reads them in the extension host, which does no image work); a missing one says so.
 */
export function storedThumbnails(out: string, mistakes: readonly Mistake[], lines: ReadonlyMap<string, SweepLine>): MistakeThumbnails {
  return new Map(
    mistakes.map((m) => {
      const line = lines.get(m.path);
      const t = line && readPictures([out], pictureKey(line));
      return [m.path, t ?? 'its pictures are not in the stored results: sweep the folder again to draw them'];
    }),
  );
}
