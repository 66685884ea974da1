// Labelling a sweep's images: ImageFolder names (exact, synonyms, index prefixes), CSV manifests, and the
// errors that come before any work, listing the nearest labels. On real files in a temporary folder.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { classNamed, csvFields, DatasetError, imageFolderItems, manifestItems } from '../../src/sweep/dataset';
import { imagenetLabels } from '../../src/labels';
import { tmpFile } from '../helpers/tmp';

const fmnist = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** A folder with these files (contents do not matter to labelling). */
function tree(name: string, files: readonly string[]): string {
  const root = path.dirname(tmpFile(`${name}/x`));
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), 'x');
  }
  return root;
}

describe('sweep: labelling the images', () => {
  it('reads a class from a folder name: its label, a synonym, an index, an index prefix; a slash in a label reads as a space', () => {
    const imagenet = imagenetLabels();
    assert.equal(classNamed('pelican', imagenet, 1000, 'f'), 144);
    assert.equal(classNamed('great_white_shark', imagenet, 1000, 'f'), 2);
    assert.equal(classNamed('Carcharodon carcharias', imagenet, 1000, 'f'), 2, 'any comma-separated synonym');
    assert.equal(classNamed('144', imagenet, 1000, 'f'), 144);
    assert.equal(classNamed('144_pelican', imagenet, 1000, 'f'), 144);
    assert.equal(classNamed('0_tshirts', fmnist, 10, 'f'), 0, 'an index prefix with a free name: the index decides');
    assert.equal(classNamed('T-shirt_top', fmnist, 10, 'f'), 0);
    assert.equal(classNamed('9-ankle-boot', fmnist, 10, 'f'), 9);
    assert.equal(classNamed('7', undefined, 10, 'f'), 7, 'indices without labels');
  });

  it('refuses a prefix that contradicts the name, an index out of range, an unknown name (with the nearest labels)', () => {
    assert.throws(() => classNamed('3_Coat', fmnist, 10, "folder '3_Coat'"), /folder '3_Coat' starts with class 3 \(Dress\) but names class 4 \(Coat\)/);
    assert.throws(() => classNamed('12_x', fmnist, 10, 'f'), /out of range: the model has 10 classes/);
    assert.throws(
      () => classNamed('sneakers', fmnist, 10, "folder 'sneakers'"),
      /no class is named 'sneakers' \(folder 'sneakers'\); the nearest labels: Sneaker \(7\)/,
    );
    assert.throws(() => classNamed('coat', undefined, 10, 'f'), /classes have no names/);
  });

  it('lists an ImageFolder tree sorted, with each image’s class; images in the root are unlabelled, other files and hidden ones are skipped', () => {
    const root = tree('folder-ok', ['4_Coat/b.png', '4_Coat/a.JPG', 'Trouser/sub/c.png', 'Trouser/notes.txt', 'loose.png', '.hidden/d.png', 'Bag/.e.png']);
    const items = imageFolderItems(root, fmnist, 10);
    assert.deepEqual(
      items.map((i) => [i.rel, i.expected?.index ?? null]),
      [
        ['4_Coat/a.JPG', 4],
        ['4_Coat/b.png', 4],
        ['Trouser/sub/c.png', 1],
        ['loose.png', null],
      ],
    );
    assert.equal(items[0].file, path.join(root, '4_Coat', 'a.JPG'));
    assert.deepEqual(items[0].expected, { index: 4, label: 'Coat' });
  });

  it('reports every folder that names no class at once, each with its nearest labels', () => {
    const root = tree('folder-bad', ['Coat/a.png', 'sneakers/a.png', 'Pulover/a.png', 'Bag/a.png']);
    assert.throws(
      () => imageFolderItems(root, fmnist, 10),
      (e: Error) => {
        assert.ok(e instanceof DatasetError);
        assert.match(e.message, /^2 class folder\(s\) of .* match no class of the model/);
        assert.match(e.message, /no class is named 'Pulover' \(folder 'Pulover'\); the nearest labels: Pullover \(2\)/);
        assert.match(e.message, /no class is named 'sneakers'.*Sneaker \(7\)/);
        return true;
      },
    );
    const named = tree('folder-unnamed', ['coat/a.png']);
    assert.throws(() => imageFolderItems(named, undefined, 10), /name folders by index, e\.g\. 3 or 3_dress, or give --labels FILE/);
  });

  it('splits CSV fields with RFC 4180 quotes', () => {
    assert.deepEqual(csvFields('a.png,Coat'), ['a.png', 'Coat']);
    assert.deepEqual(csvFields('"x, y.png","T-shirt/top"'), ['x, y.png', 'T-shirt/top']);
    assert.deepEqual(csvFields('"say ""hi"".png",'), ['say "hi".png', '']);
  });

  it('reads a manifest: header, names, synonyms, indices and prefixes, empty labels, absolute paths, in its order', () => {
    const root = tree('manifest-ok', []);
    const abs = path.join(root, 'elsewhere', 'z.png');
    const csv = tmpFile('m-ok.csv', `path,label\nb.png,sandal\n"c, d.png",3\ne.png,9_ankle_boot\nf.png,\n${abs},Bag\n`);
    const items = manifestItems(csv, root, fmnist, 10);
    assert.deepEqual(
      items.map((i) => [i.rel, i.expected?.index ?? null]),
      [
        ['b.png', 5],
        ['c, d.png', 3],
        ['e.png', 9],
        ['f.png', null],
        ['elsewhere/z.png', 8],
      ],
    );
    const imagenet = imagenetLabels();
    const wnid = manifestItems(tmpFile('m-in.csv', 'a.jpg,Great_white_shark\nb.jpg,144_pelican\n'), root, imagenet, 1000);
    assert.deepEqual(
      wnid.map((i) => i.expected),
      [
        { index: 2, label: imagenet[2] },
        { index: 144, label: imagenet[144] },
      ],
    );
  });

  it('reports every bad manifest line before any work: unknown labels, duplicates, extra fields', () => {
    const root = tree('manifest-bad', []);
    const csv = tmpFile('m-bad.csv', 'a.png,Coat\nb.png,Cot\na.png,Bag\nc.png,Bag,extra\n');
    assert.throws(
      () => manifestItems(csv, root, fmnist, 10),
      (e: Error) => {
        assert.match(e.message, /3 problem\(s\) in the manifest/);
        assert.match(e.message, /m-bad\.csv line 2: label 'Cot'.*nearest labels: Coat \(4\)/);
        assert.match(e.message, /line 3: a\.png is listed already on line 1/);
        assert.match(e.message, /line 4: expected "path,label"/);
        return true;
      },
    );
    assert.throws(() => manifestItems(path.join(root, 'missing.csv'), root, fmnist, 10), /manifest not found/);
  });
});
