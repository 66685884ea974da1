#!/usr/bin/python3
"""Builds the Fashion-MNIST localization test sets: raw canvases (N×96×96 uint8, row-major) and a
manifest with labels, true boxes and the images' sha256.

  /usr/bin/python3 scripts/fmnist/build_dataset.py --out .cache/fmnist-loc [--count 1000] [--preview F.png]
  /usr/bin/python3 scripts/fmnist/build_dataset.py --two --out .cache/fmnist-two [--count 500] [--preview F.png]

The committed manifests (eval/fmnist-loc/test.json, one item per canvas; eval/fmnist-two/test.json, two
items of different classes per canvas) hold the labels, boxes and digest; the images are rebuilt from
Fashion-MNIST on demand (the eval harness does it) and checked against that digest.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canvas as cv  # noqa: E402

TEST_SEED = 2019
TWO_SEED = 2020


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


def two_manifest(images, pairs, boxes, count):
    lo, hi = (round(28 * s) for s in cv.TWO_SCALE_RANGE)
    return {
        'name': 'fashion-mnist-two-objects',
        'description': f'two Fashion-MNIST t10k items of different classes per 96x96 canvas, each at a random scale ({lo}-{hi} px) '
                       'and position with disjoint boxes, over the clutter of the one-item set (fragments of items of other classes, '
                       f'a background texture, pixel noise); boxes are [x0, y0, x1, y1] inclusive around item pixels > {cv.BOX_LEVEL}',
        'split': 't10k',
        'seed': TWO_SEED,
        'size': cv.SIZE,
        'count': count,
        'classes': cv.CLASSES,
        'sha256': cv.digest(images),
        'images': 'raw uint8, count x size x size, row-major (file images.u8 next to this manifest when rebuilt)',
        'labels': [[int(v) for v in p] for p in pairs],
        'boxes': [[[int(v) for v in b] for b in two] for two in boxes],
    }


def preview(images, boxes, labels, path, n=24):
    """A grid of the first canvases with their boxes (one or two per canvas), to look at."""
    from PIL import Image, ImageDraw
    cols = 8
    rows = (n + cols - 1) // cols
    s = cv.SIZE
    sheet = Image.new('RGB', (cols * (s + 4), rows * (s + 16)), (40, 40, 40))
    draw = ImageDraw.Draw(sheet)
    colours = [(0, 230, 255), (255, 160, 0)]
    for i in range(min(n, len(images))):
        x, y = (i % cols) * (s + 4), (i // cols) * (s + 16)
        sheet.paste(Image.fromarray(images[i]).convert('RGB'), (x, y))
        two = len(boxes[i]) == 2 and hasattr(boxes[i][0], '__len__')
        for j, b in enumerate(boxes[i] if two else [boxes[i]]):
            draw.rectangle([x + b[0], y + b[1], x + b[2], y + b[3]], outline=colours[j])
        names = [cv.CLASSES[v] for v in (labels[i] if two else [labels[i]])]
        draw.text((x + 2, y + s + 2), ' / '.join(n[:7] for n in names), fill=(255, 255, 255))
    sheet.save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', required=True, help='folder for images.u8 and manifest.json')
    ap.add_argument('--two', action='store_true', help='the two-object set (default: one item per canvas)')
    ap.add_argument('--count', type=int, help='canvases (default 1000, or 500 with --two)')
    ap.add_argument('--preview', help='also write a PNG grid of the first 24 canvases with their boxes')
    a = ap.parse_args()
    count = a.count or (500 if a.two else 1000)
    try:
        if a.two:
            images, labels, boxes = cv.make_two_set('t10k', count, TWO_SEED)
            doc = two_manifest(images, labels, boxes, count)
        else:
            images, labels, boxes = cv.make_set('t10k', count, TEST_SEED)
            doc = manifest(images, labels, boxes, count)
    except cv.DatasetMissing as e:
        print(f'build_dataset: {e}', file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    images.tofile(os.path.join(a.out, 'images.u8'))
    with open(os.path.join(a.out, 'manifest.json'), 'w') as f:
        json.dump(doc, f, separators=(',', ':'))
        f.write('\n')
    if a.preview:
        preview(images, boxes, labels, a.preview)
    print(f'wrote {count} canvases to {a.out} (sha256 {cv.digest(images)[:16]}…)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
