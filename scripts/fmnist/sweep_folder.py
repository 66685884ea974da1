#!/usr/bin/python3
"""Writes the sweep demo: the first canvases of the evaluation's one-item test set (eval/fmnist-loc/test.json,
the same canvases, seed and order) as PNG files in ImageFolder layout, one sub-folder per class named
`<index>_<label>` (the label's '/' and spaces as '_'), each file named by its canvas index.

  /usr/bin/python3 scripts/fmnist/sweep_folder.py [--count 300] [--out eval/fmnist-sweep/images]

The PNGs are committed; this script is how they were made (and how to check them: the output is the same
bytes). test/sweep/demo.test.ts checks the committed folder against the manifest's labels without Python.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canvas as cv  # noqa: E402
from build_dataset import TEST_SEED  # noqa: E402


def folder_name(index, label):
    return f'{index}_' + label.replace('/', '_').replace(' ', '_')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--count', type=int, default=300, help='canvases, the first of the test set (default 300)')
    ap.add_argument('--out', default=os.path.join('eval', 'fmnist-sweep', 'images'))
    a = ap.parse_args()
    from PIL import Image
    try:
        images, labels, _ = cv.make_set('t10k', a.count, TEST_SEED)
    except cv.DatasetMissing as e:
        print(f'sweep_folder: {e}', file=sys.stderr)
        return 1
    for k, name in enumerate(cv.CLASSES):
        os.makedirs(os.path.join(a.out, folder_name(k, name)), exist_ok=True)
    for i, (img, y) in enumerate(zip(images, labels)):
        path = os.path.join(a.out, folder_name(int(y), cv.CLASSES[int(y)]), f'{i:04d}.png')
        Image.fromarray(img, mode='L').save(path, optimize=True)
    print(f'wrote {a.count} canvases to {a.out} (digest of the set {cv.digest(images)[:16]}…)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
