#!/usr/bin/python3
"""Trains the two Fashion-MNIST localization classifiers on CPU and exports them to ONNX:

  gap  conv×4 → GlobalAveragePool → Gemm          (the CAM-ready head)
  fc   conv×4 → MaxPool → Flatten → Gemm → Relu → Gemm   (a flatten + fully connected head)

  /usr/bin/python3 scripts/fmnist/train.py [--arch gap|fc|both] [--out eval/models] [--epochs 6] [--minutes 10]

The committed models came from `--arch gap` and `--arch fc` run side by side (one thread each): 6 epochs
of 30,000 canvases, 548 and 301 CPU-seconds. Fixed seeds, one thread; bit-identical weights on another
machine are not promised (MKL-DNN kernels differ by CPU). Each model stops at its CPU-time budget (the
machine is shared). Input: 1×1×96×96
grey in [0, 1] (the `unit` preset, named in the model's metadata). Writes eval/models/fmnist-<arch>.onnx
and eval/models/accuracy.json (test accuracy on 10,000 canvases of Fashion-MNIST's test items; the
first 1,000 are the localization benchmark).
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import canvas as cv  # noqa: E402
from build_dataset import TEST_SEED  # noqa: E402

TRAIN_SEED, VAL_SEED = 1, 2
TRAIN_POOL = np.arange(0, 55000)
VAL_POOL = np.arange(55000, 60000)


def block(cin, cout, stride=1, k=3):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


def trunk():
    """96 → 48 → 24 → 12 with strided convolutions: about 7 M multiply-adds per image, so a model trains in
    minutes on two shared CPU cores (Debian's torch has a generic BLAS; MKL-DNN does the convolutions)."""
    return [block(1, 12, 2, 5), block(12, 24, 2), block(24, 48, 2), block(48, 64)]


class GapNet(nn.Module):
    """The last conv maps (64×12×12) are averaged, then one linear layer: the head CAM applies to."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*trunk())
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.features(x), 1), 1))


class FcNet(nn.Module):
    """Same trunk, max-pooled to 6×6, flattened (2304) into two fully connected layers, as VGG's fc6/fc7."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(*trunk(), nn.MaxPool2d(2))
        self.fc1 = nn.Linear(64 * 6 * 6, 128)
        self.drop = nn.Dropout(0.3)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        return self.fc2(self.drop(F.relu(self.fc1(torch.flatten(self.features(x), 1)))))


ARCHS = {'gap': GapNet, 'fc': FcNet}


def to_tensor(images):
    return torch.from_numpy(images).float().div_(255).unsqueeze(1)


def accuracy(model, images, labels, batch=500):
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, len(images), batch):
            right += (model(to_tensor(images[i:i + batch])).argmax(1).numpy() == labels[i:i + batch]).sum()
    return float(right) / len(images)


def train(arch, data, minutes, epochs, log):
    torch.manual_seed(0)
    model = ARCHS[arch]()
    (xtr, ytr), (xva, yva) = data['train'], data['val']
    steps_per_epoch = (len(xtr) + 127) // 128
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * steps_per_epoch, pct_start=0.2)
    order_rng = np.random.Generator(np.random.PCG64(7))
    # The budget counts this process's CPU time, not the wall clock: on a shared machine the result then
    # does not depend on what else runs (with one thread, CPU time is what an idle machine's clock shows).
    t0, c0 = time.time(), time.process_time()
    done = 0
    for epoch in range(epochs):
        model.train()
        order = order_rng.permutation(len(xtr))
        loss_sum = 0.0
        for s in range(steps_per_epoch):
            idx = order[s * 128:(s + 1) * 128]
            x = to_tensor(xtr[idx])
            # Flips keep the task (an item flipped is the same item) and double the variety for free.
            if order_rng.random() < 0.5:
                x = torch.flip(x, [3])
            loss = F.cross_entropy(model(x), torch.from_numpy(ytr[idx]).long())
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.item()
        done = epoch + 1
        val = accuracy(model, xva, yva)
        cpu = time.process_time() - c0
        log(f'{arch} epoch {done}/{epochs}: loss {loss_sum / steps_per_epoch:.3f}, val acc {val:.4f}, '
            f'{cpu:.0f} s CPU, {time.time() - t0:.0f} s wall')
        if cpu > minutes * 60 and done < epochs:
            log(f'{arch}: CPU budget of {minutes} min reached after {done} epochs; stopping (the schedule did not finish)')
            break
    return model, done, time.process_time() - c0


def export(model, path, arch, test_acc):
    import onnx
    model.eval()
    torch.onnx.export(model, torch.zeros(1, 1, cv.SIZE, cv.SIZE), path, input_names=['image'], output_names=['logits'],
                      dynamic_axes={'image': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=13, do_constant_folding=True)
    m = onnx.load(path)
    meta = {
        'cnn_fixations.preset': 'unit',
        'cnn_fixations.labels': ','.join(cv.CLASSES),
        'description': f'Fashion-MNIST localization classifier ({arch} head), 96x96 grey in [0,1]; '
                       f'test accuracy {test_acc:.4f}; trained by scripts/fmnist/train.py',
    }
    for k, v in meta.items():
        p = m.metadata_props.add()
        p.key, p.value = k, v
    onnx.checker.check_model(m)
    onnx.save(m, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--arch', choices=['gap', 'fc', 'both'], default='both')
    ap.add_argument('--out', default='eval/models')
    ap.add_argument('--train-count', type=int, default=30000)
    ap.add_argument('--epochs', type=int, default=6)
    ap.add_argument('--minutes', type=float, default=10, help='CPU-time budget per model')
    ap.add_argument('--threads', type=int, default=1, help='1 is kind to a shared machine and, there, no slower')
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    log = lambda s: print(s, flush=True)  # noqa: E731
    t = time.time()
    try:
        data = {
            'train': cv.make_set('train', a.train_count, TRAIN_SEED, pool=TRAIN_POOL)[:2],
            'val': cv.make_set('train', 2000, VAL_SEED, pool=VAL_POOL)[:2],
            'test': cv.make_set('t10k', 10000, TEST_SEED)[:2],
        }
    except cv.DatasetMissing as e:
        print(f'train: {e}', file=sys.stderr)
        return 1
    log(f'canvases built in {time.time() - t:.0f} s')
    os.makedirs(a.out, exist_ok=True)
    acc_path = os.path.join(a.out, 'accuracy.json')
    for arch in (['gap', 'fc'] if a.arch == 'both' else [a.arch]):
        model, epochs, secs = train(arch, data, a.minutes, a.epochs, log)
        xte, yte = data['test']
        test_acc = accuracy(model, xte, yte)
        bench_acc = accuracy(model, xte[:1000], yte[:1000])
        path = os.path.join(a.out, f'fmnist-{arch}.onnx')
        export(model, path, arch, test_acc)
        # Read just before writing: the two models may train in two processes at once.
        results = json.load(open(acc_path)) if os.path.exists(acc_path) else {}
        results[arch] = {
            'file': os.path.basename(path),
            'test_accuracy_10000': round(test_acc, 4),
            'benchmark_accuracy_1000': round(bench_acc, 4),
            'val_accuracy_2000': round(accuracy(model, *data['val']), 4),
            'epochs': epochs,
            'train_canvases': a.train_count,
            'train_cpu_seconds': round(secs),
            'threads': a.threads,
            'parameters': sum(p.numel() for p in model.parameters()),
            'torch': torch.__version__,
        }
        log(f'{arch}: test accuracy {test_acc:.4f} (benchmark 1,000: {bench_acc:.4f}) → {path}')
        with open(acc_path, 'w') as f:
            json.dump(results, f, indent=1)
            f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
