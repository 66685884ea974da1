#!/usr/bin/python3
"""Builds the Fashion-MNIST localization test set: raw canvases (N×96×96 uint8, row-major) and a
manifest with labels, true boxes and the images' sha256.

  /usr/bin/python3 scripts/fmnist/build_dataset.py --out .cache/fmnist-loc [--count 1000] [--preview F.png]

The committed manifest (eval/fmnist-loc/test.json) holds the labels, boxes and digest; the images are
rebuilt from Fashion-MNIST on demand (the eval harness does it) and checked against that digest.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canvas as cv  # noqa: E402

TEST_SEED = 2019


def manifest(images, labels, boxes, count):
    return {
        'name': 'fashion-mnist-localization',
        'description': 'Fashion-MNIST t10k items at random positions and scales (28-62 px) on 96x96 canvases with '
                       'fragments of other-class items, a background texture and pixel noise; boxes are '
                       f'[x0, y0, x1, y1] inclusive around item pixels > {cv.BOX_LEVEL}',
        'split': 't10k',
        'seed': TEST_SEED,
        'size': cv.SIZE,
        'count': count,
        'classes': cv.CLASSES,
        'sha256': cv.digest(images),
        'images': 'raw uint8, count x size x size, row-major (file images.u8 next to this manifest when rebuilt)',
        'labels': [int(v) for v in labels],
        'boxes': [[int(v) for v in b] for b in boxes],
    }


def preview(images, boxes, labels, path, n=24):
    """A grid of the first canvases with their boxes, to look at."""
    from PIL import Image, ImageDraw
    cols = 8
    rows = (n + cols - 1) // cols
    s = cv.SIZE
    sheet = Image.new('RGB', (cols * (s + 4), rows * (s + 16)), (40, 40, 40))
    draw = ImageDraw.Draw(sheet)
    for i in range(n):
        x, y = (i % cols) * (s + 4), (i // cols) * (s + 16)
        sheet.paste(Image.fromarray(images[i]).convert('RGB'), (x, y))
        b = boxes[i]
        draw.rectangle([x + b[0], y + b[1], x + b[2], y + b[3]], outline=(0, 230, 255))
        draw.text((x + 2, y + s + 2), cv.CLASSES[labels[i]], fill=(255, 255, 255))
    sheet.save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='folder for images.u8 and manifest.json')
    ap.add_argument('--count', type=int, default=1000)
    ap.add_argument('--preview', help='also write a PNG grid of the first 24 canvases with their boxes')
    a = ap.parse_args()
    try:
        images, labels, boxes = cv.make_set('t10k', a.count, TEST_SEED)
    except cv.DatasetMissing as e:
        print(f'build_dataset: {e}', file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    images.tofile(os.path.join(a.out, 'images.u8'))
    with open(os.path.join(a.out, 'manifest.json'), 'w') as f:
        json.dump(manifest(images, labels, boxes, a.count), f, separators=(',', ':'))
        f.write('\n')
    if a.preview:
        preview(images, boxes, labels, a.preview)
    print(f'wrote {a.count} canvases to {a.out} (sha256 {cv.digest(images)[:16]}…)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
