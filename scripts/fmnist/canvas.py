"""Fashion-MNIST localization canvases: one item at a random position and scale on a larger canvas
with clutter (fragments of other items, a background texture, pixel noise), and the item's true box.

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


def place(canvas, patch, rng):
    """Pastes patch (max blend) at a random position where it fits whole; returns its top-left."""
    h, w = patch.shape
    y = int(rng.integers(0, canvas.shape[0] - h + 1))
    x = int(rng.integers(0, canvas.shape[1] - w + 1))
    np.maximum(canvas[y:y + h, x:x + w], patch, out=canvas[y:y + h, x:x + w])
    return y, x


def scaled_item(img, rng):
    s = uniform(rng, *SCALE_RANGE)
    side = int(round(28 * s))
    return resize_bilinear(img, side, side)


def make_canvas(images, labels, index, seed, size=SIZE):
    """Canvas `index` of the set (seed, images): (uint8 size×size, label, box [x0, y0, x1, y1] inclusive)."""
    rng = np.random.Generator(np.random.PCG64([seed, index]))
    item = int(rng.integers(0, len(images)))
    label = int(labels[item])
    canvas = texture(rng, size)
    # Clutter: 1–3 fragments (30–45% of a side) of items of other classes, dimmer than the item.
    for _ in range(int(rng.integers(1, 4))):
        while True:
            other = int(rng.integers(0, len(images)))
            if labels[other] != label:
                break
        big = scaled_item(images[other], rng)
        fh = max(6, int(round(big.shape[0] * uniform(rng, 0.30, 0.45))))
        fw = max(6, int(round(big.shape[1] * uniform(rng, 0.30, 0.45))))
        fy = int(rng.integers(0, big.shape[0] - fh + 1))
        fx = int(rng.integers(0, big.shape[1] - fw + 1))
        place(canvas, big[fy:fy + fh, fx:fx + fw] * uniform(rng, 0.6, 1.0), rng)
    target = scaled_item(images[item], rng)
    ty, tx = place(canvas, target, rng)
    ys, xs = np.nonzero(target > BOX_LEVEL)
    box = [tx + int(xs.min()), ty + int(ys.min()), tx + int(xs.max()), ty + int(ys.max())]
    # Pixel noise: uniform, up to ±20 grey levels.
    amp = uniform(rng, 0, 20)
    canvas += (rng.random((size, size)).astype(np.float32) * 2 - 1) * amp
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8), label, box


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


def digest(images):
    return hashlib.sha256(np.ascontiguousarray(images).tobytes()).hexdigest()
