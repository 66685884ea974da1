// The sweep demo folder (eval/fmnist-sweep/images) is what scripts/fmnist/sweep_folder.py says it is: the first
// 300 canvases of the evaluation's one-item test set, each in the folder of its class by the committed manifest
// (eval/fmnist-loc/test.json), named by its index; small enough to ship (≤ 2 MB).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repo } from '../helpers/tmp';

describe('sweep demo folder', () => {
  it('holds the first 300 canvases of the evaluation set, each in its class folder, with their licence', () => {
    const root = path.join(repo, 'eval', 'fmnist-sweep');
    const manifest = JSON.parse(fs.readFileSync(path.join(repo, 'eval', 'fmnist-loc', 'test.json'), 'utf8')) as { labels: number[]; classes: string[] };
    const images = path.join(root, 'images');
    const folders = fs.readdirSync(images).sort((a, b) => parseInt(a) - parseInt(b));
    assert.deepEqual(
      folders,
      manifest.classes.map((c, k) => `${k}_${c.replace(/[/ ]/g, '_')}`),
    );
    const seen: number[] = [];
    let bytes = 0;
    folders.forEach((folder, k) => {
      for (const f of fs.readdirSync(path.join(images, folder))) {
        const i = Number(/^(\d{4})\.png$/.exec(f)?.[1]);
        assert.equal(manifest.labels[i], k, `${folder}/${f}: canvas ${i} is of class ${manifest.labels[i]}`);
        const png = fs.readFileSync(path.join(images, folder, f));
        assert.equal(png.readUInt32BE(16), 96, 'width 96');
        assert.equal(png.readUInt32BE(20), 96, 'height 96');
        bytes += png.length;
        seen.push(i);
      }
    });
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      Array.from({ length: 300 }, (_, i) => i),
    );
    assert.ok(bytes <= 2 * 1024 * 1024, `${bytes} bytes`);
    assert.match(fs.readFileSync(path.join(root, 'LICENSE'), 'utf8'), /Zalando SE/);
  });
});
