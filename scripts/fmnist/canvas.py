"""Fashion-MNIST localization canvases: one item (or two of different classes, make_two_canvas) at a
random position and scale on a larger canvas with clutter (fragments of other items, a background
texture, pixel noise), and the items' true boxes.

Every canvas is a pure function of (split, seed, index): canvas i draws from its own generator
PCG64([seed, i]), so the first 100 canvases of a 1,000 set are the 100 of a quick run, and the set can
be rebuilt bit for bit instead of being committed. Only numpy is needed (no torch), and only
Generator.random / Generator.integers are used, whose streams are the stable part of numpy's API.
"""
import gzip
import hashlib
import os

import numpy as np

DATASET_DIR = os.environ.get('FASHION_MNIST_DIR', '/usr/share/datasets/fashion-mnist')
CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
SIZE = 96
# Item side after scaling: 28 px (native) to 62 px; on a 96 px canvas a box covers 9%–42% of the area.
SCALE_RANGE = (1.0, 2.2)
# A pixel of the scaled item belongs to it (and to its box) above this grey level.
BOX_LEVEL = 25
# Two-object canvases: each item 28–45 px, so two fit side by side on the 96 px canvas the committed
# classifiers take (fixed 96×96 input), at sizes inside the range they were trained on.
TWO_SCALE_RANGE = (1.0, 1.6)


class DatasetMissing(Exception):
    pass


def load_idx(split):
    """Images (N×28×28 uint8) and labels (N) of 'train' or 't10k'."""
    paths = [os.path.join(DATASET_DIR, f'{split}-{kind}-idx{d}-ubyte.gz') for kind, d in (('images', 3), ('labels', 1))]
    for p in paths:
        if not os.path.exists(p):
            raise DatasetMissing(f'{p} is missing: install Fashion-MNIST (apt-get install dataset-fashion-mnist) '
                                 'or point FASHION_MNIST_DIR at a folder with the idx .gz files')
    with gzip.open(paths[0], 'rb') as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)
    with gzip.open(paths[1], 'rb') as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    return images, labels


def resize_bilinear(img, h, w):
    """Bilinear resize with pixel centres aligned (as PIL and torchvision do), in float32."""
    ih, iw = img.shape
    ys = np.clip((np.arange(h) + 0.5) * ih / h - 0.5, 0, ih - 1)
    xs = np.clip((np.arange(w) + 0.5) * iw / w - 0.5, 0, iw - 1)
    y0 = np.floor(ys).astype(np.int64)
    x0 = np.floor(xs).astype(np.int64)
    y1 = np.minimum(y0 + 1, ih - 1)
    x1 = np.minimum(x0 + 1, iw - 1)
    fy = (ys - y0)[:, None].astype(np.float32)
    fx = (xs - x0)[None, :].astype(np.float32)
    a = img.astype(np.float32)
    top = a[y0][:, x0] * (1 - fx) + a[y0][:, x1] * fx
    bottom = a[y1][:, x0] * (1 - fx) + a[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def uniform(rng, lo, hi):
    return lo + (hi - lo) * rng.random()


def texture(rng, size):
    """A smooth background: nothing, a grating, or low-frequency blobs (amplitude up to 60 grey levels)."""
    kind = int(rng.integers(0, 3))
    if kind == 0:
        return np.zeros((size, size), np.float32)
    amp = uniform(rng, 15, 60)
    if kind == 1:
        fy, fx = uniform(rng, -6, 6), uniform(rng, -6, 6)
        phase = uniform(rng, 0, 2 * np.pi)
        y, x = np.mgrid[0:size, 0:size].astype(np.float32)
        return (amp * (0.5 + 0.5 * np.sin(2 * np.pi * (fy * y + fx * x) / size + phase))).astype(np.float32)
    coarse = rng.random((6, 6)).astype(np.float32) * amp
    return resize_bilinear(coarse, size, size)


def paste(canvas, patch, y, x):
    """Max-blends patch onto the canvas with its top-left at (y, x)."""
    h, w = patch.shape
    np.maximum(canvas[y:y + h, x:x + w], patch, out=canvas[y:y + h, x:x + w])


def random_spot(canvas, patch, rng):
    """A random top-left (y, x) where patch fits whole."""
    return int(rng.integers(0, canvas.shape[0] - patch.shape[0] + 1)), int(rng.integers(0, canvas.shape[1] - patch.shape[1] + 1))


def place(canvas, patch, rng):
    """Pastes patch (max blend) at a random position where it fits whole; returns its top-left."""
    y, x = random_spot(canvas, patch, rng)
    paste(canvas, patch, y, x)
    return y, x


def scaled_item(img, rng, scale_range=SCALE_RANGE):
    s = uniform(rng, *scale_range)
    side = int(round(28 * s))
    return resize_bilinear(img, side, side)


def add_clutter(canvas, images, labels, exclude, rng):
    """1–3 fragments (30–45% of a side) of items whose class is not in `exclude`, dimmer than the items."""
    for _ in range(int(rng.integers(1, 4))):
        while True:
            other = int(rng.integers(0, len(images)))
            if labels[other] not in exclude:
                break
        big = scaled_item(images[other], rng)
        fh = max(6, int(round(big.shape[0] * uniform(rng, 0.30, 0.45))))
        fw = max(6, int(round(big.shape[1] * uniform(rng, 0.30, 0.45))))
        fy = int(rng.integers(0, big.shape[0] - fh + 1))
        fx = int(rng.integers(0, big.shape[1] - fw + 1))
        place(canvas, big[fy:fy + fh, fx:fx + fw] * uniform(rng, 0.6, 1.0), rng)


def item_box(item, top, left):
    """The box [x0, y0, x1, y1] (inclusive) around the item's pixels above BOX_LEVEL, on the canvas."""
    ys, xs = np.nonzero(item > BOX_LEVEL)
    return [left + int(xs.min()), top + int(ys.min()), left + int(xs.max()), top + int(ys.max())]


def finish(canvas, rng):
    """Pixel noise (uniform, up to ±20 grey levels), then rounding to uint8."""
    amp = uniform(rng, 0, 20)
    canvas += (rng.random(canvas.shape).astype(np.float32) * 2 - 1) * amp
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def make_canvas(images, labels, index, seed, size=SIZE):
    """Canvas `index` of the set (seed, images): (uint8 size×size, label, box [x0, y0, x1, y1] inclusive)."""
    rng = np.random.Generator(np.random.PCG64([seed, index]))
    item = int(rng.integers(0, len(images)))
    label = int(labels[item])
    canvas = texture(rng, size)
    add_clutter(canvas, images, labels, (label,), rng)
    target = scaled_item(images[item], rng)
    ty, tx = place(canvas, target, rng)
    box = item_box(target, ty, tx)
    return finish(canvas, rng), label, box


def disjoint(a, b):
    return a[2] < b[0] or b[2] < a[0] or a[3] < b[1] or b[3] < a[1]


def make_two_canvas(images, labels, index, seed, size=SIZE):
    """Two-object canvas `index`: two items of different classes whose boxes do not overlap, on the same
    clutter as make_canvas (texture, fragments of a third class or more, noise), each scaled within
    TWO_SCALE_RANGE. Returns (uint8 size×size, [label A, label B], [box A, box B])."""
    rng = np.random.Generator(np.random.PCG64([seed, index]))
    a = int(rng.integers(0, len(images)))
    while True:
        b = int(rng.integers(0, len(images)))
        if labels[b] != labels[a]:
            break
    pair = (int(labels[a]), int(labels[b]))
    canvas = texture(rng, size)
    add_clutter(canvas, images, labels, pair, rng)
    while True:
        # Scales and places both items until their boxes are disjoint (about 2 draws on average).
        items = [scaled_item(images[i], rng, TWO_SCALE_RANGE) for i in (a, b)]
        spots = [random_spot(canvas, it, rng) for it in items]
        boxes = [item_box(it, y, x) for it, (y, x) in zip(items, spots)]
        if disjoint(*boxes):
            break
    for it, (y, x) in zip(items, spots):
        paste(canvas, it, y, x)
    return finish(canvas, rng), list(pair), boxes


def make_set(split, count, seed, size=SIZE, first=0, pool=None):
    """`count` canvases from items of `split` ('train' or 't10k'), optionally only items in `pool` (index array)."""
    images, labels = load_idx(split)
    if pool is not None:
        images, labels = images[pool], labels[pool]
    out = np.empty((count, size, size), np.uint8)
    ys = np.empty(count, np.int64)
    boxes = np.empty((count, 4), np.int64)
    for i in range(count):
        out[i], ys[i], boxes[i] = make_canvas(images, labels, first + i, seed, size)
    return out, ys, boxes


def make_two_set(split, count, seed, size=SIZE):
    """`count` two-object canvases from items of `split`: images, labels (count×2), boxes (count×2×4)."""
    images, labels = load_idx(split)
    out = np.empty((count, size, size), np.uint8)
    pairs = np.empty((count, 2), np.int64)
    boxes = np.empty((count, 2, 4), np.int64)
    for i in range(count):
        out[i], pairs[i], boxes[i] = make_two_canvas(images, labels, i, seed, size)
    return out, pairs, boxes


def digest(images):
    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()
